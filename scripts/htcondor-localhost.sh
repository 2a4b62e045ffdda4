#!/usr/bin/env bash
# A personal HTCondor pool on localhost, for development and the test suite.
#
#   scripts/htcondor-localhost.sh up     [ROOTDIR]   build (once) + configure + start, idempotent
#   scripts/htcondor-localhost.sh down   [ROOTDIR]   stop the daemons, unmount everything under ROOTDIR
#   scripts/htcondor-localhost.sh status [ROOTDIR]   print the pool state; exit 0 iff it is usable
#   scripts/htcondor-localhost.sh run    [-C DIR] [-e NAME=VALUE]... [--] CMD...
#                                                     = scripts/htcondor-run.sh (see there)
#
# Why a root file system: Debian 12 has no HTCondor package and the PyPI `htcondor` wheel has no
# daemons. Debian 13 (trixie) packages `condor` + `minicondor` (HTCondor 23.9), but they need
# libc6 >= 2.38, so they run in a trixie root built with debootstrap from the Debian mirror the host
# already uses, entered with chroot. Everything lives in ROOTDIR (~700 MB, plus ~400 MB venv).
#
# Inside the root:
#   - minicondor (collector, negotiator, schedd, startd on one host), with fast negotiation
#     intervals, 8 CPUs / 8 GB, 2 simulated GPUs (CUDACapability 8.0, CUDAGlobalMemoryMb 47661),
#     every `user.<tag>` concurrency limit worth 10000 tokens (as on the MPI-IS cluster), and a
#     short PERIODIC_EXPR_INTERVAL so that exit_for_resume's hold/release cycle takes seconds.
#   - the pool user (HTCONDOR_POOL_USER, uid HTCONDOR_POOL_UID) that submits and runs the jobs,
#     with an IDTOKEN (the PyPI bindings fail file-system authentication in a chroot).
#   - a venv (/opt/cluster-utils-venv, on the root's Python 3.13) with snakemake, the HTCondor
#     executor plugin and this checkout installed in editable mode. The checkout is bind-mounted
#     at its own path, so paths are the same inside and outside the root.
#
# The Snakemake driver has to run inside the root as the pool user (scripts/htcondor-run.sh):
# running it on the host as root failed on permissions (root-owned log dirs, ~/.cache, 0700 temp
# dirs) and the host cannot talk to the schedd with the pool user's identity.
#
# Must run as root (debootstrap, chroot, mount). `up` on a running pool only checks it (~1 s);
# on a built but stopped root it takes a few seconds; the first `up` builds the root (~1-3 min).
#
# Knobs (environment variables):
#   HTCONDOR_ROOT=/var/tmp/cluster-utils-htcondor   default ROOTDIR
#   HTCONDOR_POOL_USER=condoruser  HTCONDOR_POOL_UID=1500
#   HTCONDOR_MIRROR=             Debian mirror (default: the one in the host's apt sources)
#   HTCONDOR_SUITE=trixie
#   HTCONDOR_SKIP_VENV=0         1: do not create/update the driver venv
#   HTCONDOR_PIP_EXTRAS=runner,htcondor   extras of this project installed into the driver venv
set -euo pipefail
# the host's HTCondor settings (if any) must not leak into the root
unset CONDOR_CONFIG

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/.." && pwd)
POOL_USER=${HTCONDOR_POOL_USER:-condoruser}
POOL_UID=${HTCONDOR_POOL_UID:-1500}
SUITE=${HTCONDOR_SUITE:-trixie}
SKIP_VENV=${HTCONDOR_SKIP_VENV:-0}
PIP_EXTRAS=${HTCONDOR_PIP_EXTRAS:-runner,htcondor}
VENV=/opt/cluster-utils-venv
BUILT_MARK=.cluster-utils-root-built
PIDFILE=.cluster-utils-master.pid

usage() {
    sed -n '2,8p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

cmd=${1:-}
[ -n "$cmd" ] || usage
shift
if [ "$cmd" = run ]; then
    exec "$HERE/htcondor-run.sh" "$@"
fi
R=${1:-${HTCONDOR_ROOT:-/var/tmp/cluster-utils-htcondor}}
R=${R%/}

log() { echo "htcondor-localhost: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }
in_root() { chroot "$R" "$@"; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

[ "$(id -u)" = 0 ] || die "must run as root (debootstrap, chroot, mount)"

master_running() {
    [ -f "$R/$PIDFILE" ] && kill -0 "$(cat "$R/$PIDFILE")" 2>/dev/null
}

# every mount point below ROOTDIR, deepest first
mounts_below() {
    awk -v r="$R/" 'index($2, r) == 1 { print $2 }' /proc/self/mounts | sort -r
}

pool_usable() {
    master_running || return 1
    local n
    n=$( (in_root condor_status -af Name 2>/dev/null || true) | wc -l)
    [ "$n" -ge 1 ] || return 1
    in_root runuser -u "$POOL_USER" -- condor_q -totals >/dev/null 2>&1
}

find_mirror() {
    if [ -n "${HTCONDOR_MIRROR:-}" ]; then echo "$HTCONDOR_MIRROR"; return; fi
    local m=""
    m=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
    if [ -z "$m" ] && [ -f /etc/apt/sources.list ]; then
        m=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { print $i; exit } }' \
            /etc/apt/sources.list)
    fi
    # a security/snapshot mirror cannot serve the main suite
    case "$m" in *debian-security*|"") m=http://deb.debian.org/debian ;; esac
    echo "$m"
}

build_root() {
    local t0 mirror
    t0=$(now)
    mirror=$(find_mirror)
    if ! command -v debootstrap >/dev/null; then
        log "installing debootstrap on the host"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
    fi
    mkdir -p "$R"
    if [ ! -x "$R/usr/bin/apt-get" ] || [ ! -f "$R/var/lib/dpkg/status" ]; then
        log "debootstrap $SUITE from $mirror into $R"
        debootstrap --variant=minbase "$SUITE" "$R" "$mirror" >"$R.debootstrap.log" 2>&1 \
            || die "debootstrap failed, see $R.debootstrap.log"
    fi
    cp /etc/resolv.conf "$R/etc/resolv.conf" 2>/dev/null || true
    # minicondor is installed with apt inside the root: debootstrap's own resolver cannot
    # satisfy virtual packages (python3-cryptography -> python3-cffi-backend-api-min)
    log "installing condor + minicondor in the root"
    in_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive in_root apt-get install -y -qq --no-install-recommends \
        minicondor python3-venv ca-certificates procps >"$R/var/log/cluster-utils-apt.log" 2>&1 || true
    # the postinst scripts want systemd; finish what can be finished
    in_root dpkg --configure -a >>"$R/var/log/cluster-utils-apt.log" 2>&1 || true
    [ -x "$R/usr/sbin/condor_master" ] || die "condor install failed, see $R/var/log/cluster-utils-apt.log"
    # outgoing TLS (pip) trusts what the host trusts
    cp /etc/ssl/certs/ca-certificates.crt "$R/etc/ssl/certs/ca-certificates.crt"
    in_root sh -c 'apt-get clean; rm -rf /var/lib/apt/lists/*'
    touch "$R/$BUILT_MARK"
    log "root built in $(elapsed "$t0") s"
}

write_config() {
    cat >"$R/etc/condor/config.d/99-cluster-utils-localhost" <<'EOF'
# Written by scripts/htcondor-localhost.sh (cluster_utils test pool).
# Per-job mount namespaces fail inside a chroot ("Failed to unshare the mount namespace").
MOUNT_UNDER_SCRATCH =
# The PyPI bindings fail authentication over IPv6 here; stay on IPv4 loopback.
ENABLE_IPV6 = False
NUM_CPUS = 8
MEMORY = 8192
# As on the MPI-IS cluster: every "user.<tag>" concurrency limit has 10000 tokens.
CONCURRENCY_LIMIT_DEFAULT_USER = 10000
# Fast turnaround for tests.
SCHEDD_INTERVAL = 2
NEGOTIATOR_INTERVAL = 1
NEGOTIATOR_CYCLE_DELAY = 1
NEGOTIATOR_MIN_INTERVAL = 1
UPDATE_INTERVAL = 2
STARTER_UPDATE_INTERVAL = 2
SHADOW_QUEUE_UPDATE_INTERVAL = 2
# periodic_release (exit_for_resume) is evaluated this often (default 60 s).
PERIODIC_EXPR_INTERVAL = 5
# Two simulated A100s: CUDACapability 8.0, CUDAGlobalMemoryMb 47661.
use feature : GPUs
GPU_DISCOVERY_EXTRA = -simulate:4,2 -not-nested
EOF
}

start_master() {
    # runtime dirs: /var/run in the root is an absolute link to /run, so create them from inside
    in_root sh -c 'mkdir -p /run/condor /run/lock/condor /var/log/condor /var/spool/condor /var/lib/condor/execute &&
                   chown condor:condor /run/condor /run/lock/condor /var/log/condor /var/spool/condor /var/lib/condor/execute &&
                   chmod 755 /var/lib/condor/execute'
    if ! master_running; then
        setsid chroot "$R" /usr/sbin/condor_master -f >"$R/var/log/condor/master.stdout" 2>&1 </dev/null &
        echo $! >"$R/$PIDFILE"
    fi
}

setup_user() {
    in_root id "$POOL_USER" >/dev/null 2>&1 || in_root useradd -m -u "$POOL_UID" -s /bin/bash "$POOL_USER"
    local tok="/home/$POOL_USER/.condor/tokens.d/$POOL_USER.token" domain
    if [ ! -s "$R$tok" ]; then
        in_root sh -c "mkdir -p /home/$POOL_USER/.condor/tokens.d && chmod 700 /home/$POOL_USER/.condor/tokens.d"
        for _ in $(seq 1 60); do
            if [ -f "$R/etc/condor/passwords.d/POOL" ]; then
                domain=$(in_root condor_config_val UID_DOMAIN)
                in_root condor_token_create -identity "$POOL_USER@$domain" >"$R$tok" 2>/dev/null && break
            fi
            sleep 0.5
        done
        [ -s "$R$tok" ] || die "could not create an IDTOKEN for $POOL_USER"
        in_root chown -R "$POOL_USER:$POOL_USER" "/home/$POOL_USER/.condor"
        chmod 600 "$R$tok"
    fi
}

wait_for_startd() {
    local n=0
    for _ in $(seq 1 120); do
        n=$( (in_root condor_status -af Name 2>/dev/null || true) | wc -l)
        [ "$n" -ge 1 ] && return 0
        sleep 0.5
    done
    die "the startd did not show up; see $R/var/log/condor/"
}

# bind-mount a host directory at the same path inside the root (no-op if already visible there)
mirror_dir() {
    local d=$1
    if [ -e "$R$d" ] && [ "$(stat -c %d:%i "$d")" = "$(stat -c %d:%i "$R$d")" ]; then
        return 0
    fi
    # a stale mount (the host directory was deleted and made again, as a fresh clone at the path of
    # an earlier one while the pool ran) is replaced: mounting onto it fails with ENOENT
    if mountpoint -q "$R$d" 2>/dev/null; then umount -l "$R$d" || true; fi
    mkdir -p "$R$d"
    mount --bind "$d" "$R$d"
}

setup_venv() {
    [ "$SKIP_VENV" = 1 ] && return 0
    local stamp="$R$VENV/.cluster-utils-stamp" want
    # reinstall when the checkout path, the extras, pyproject.toml or the readme's presence (hatchling
    # refuses to build without it) change
    want="$SRC $PIP_EXTRAS $(sha256sum "$SRC/pyproject.toml" | cut -c1-16) $(compgen -G "$SRC/README*" || true)"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
        return 0
    fi
    local t0
    t0=$(now)
    log "creating the driver venv $VENV (snakemake, HTCondor executor plugin, this checkout)"
    [ -x "$R$VENV/bin/python" ] || in_root python3 -m venv "$VENV"
    # a clean environment: the host's pip settings (local indexes, constraints) do not apply here
    local pipenv=(env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/root LANG=C.UTF-8
        PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore)
    [ -n "${PIP_INDEX_URL:-}" ] && pipenv+=("PIP_INDEX_URL=$PIP_INDEX_URL")
    in_root "${pipenv[@]}" "$VENV/bin/pip" install -q \
        'snakemake>=9,<10' 'snakemake-executor-plugin-htcondor>=0.3,<0.4' 'htcondor>=24,<25' \
        >"$R/var/log/cluster-utils-pip.log" 2>&1 \
        || die "pip install failed, see $R/var/log/cluster-utils-pip.log"
    # the checkout itself, editable, so that changes need no reinstall
    if ! in_root "${pipenv[@]}" "$VENV/bin/pip" install -q -e "$SRC[$PIP_EXTRAS]" \
        >>"$R/var/log/cluster-utils-pip.log" 2>&1; then
        log "WARNING: 'pip install -e $SRC[$PIP_EXTRAS]' failed (see $R/var/log/cluster-utils-pip.log);"
        log "         putting the checkout on sys.path instead"
        # the dependencies of the requested extras, read from pyproject.toml
        local deps site
        deps=$(in_root "$VENV/bin/python" - "$SRC/pyproject.toml" "$PIP_EXTRAS" <<'PY'
import re, sys, tomllib
project = tomllib.load(open(sys.argv[1], "rb"))["project"]
name, extras = project["name"], project.get("optional-dependencies", {})
out, todo, seen = list(project.get("dependencies", [])), sys.argv[2].split(","), set()
while todo:
    extra = todo.pop()
    if extra in seen or extra not in extras:
        continue
    seen.add(extra)
    for req in extras[extra]:
        m = re.fullmatch(re.escape(name) + r"\[(.*)\]", req.strip())
        todo.extend(m.group(1).split(",")) if m else out.append(req)
print("\n".join(out))
PY
)
        local -a deplist
        readarray -t deplist <<<"$deps"
        [ -z "$deps" ] || in_root "${pipenv[@]}" "$VENV/bin/pip" install -q "${deplist[@]}" \
            >>"$R/var/log/cluster-utils-pip.log" 2>&1 || die "pip install of the project's dependencies failed"
        site=$(in_root "$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
        echo "$SRC" >"$R$site/cluster-utils-checkout.pth"
    fi
    echo "$want" >"$stamp"
    log "driver venv ready in $(elapsed "$t0") s"
}

case "$cmd" in
up)
    t0=$(now)
    if master_running && pool_usable; then
        mirror_dir "$SRC"
        setup_venv
        log "pool already up ($R), checked in $(elapsed "$t0") s"
        exit 0
    fi
    [ -f "$R/$BUILT_MARK" ] || build_root
    for m in proc dev sys; do mountpoint -q "$R/$m" || mount --bind "/$m" "$R/$m"; done
    mountpoint -q "$R/dev/pts" || mount --bind /dev/pts "$R/dev/pts" 2>/dev/null || true
    cp /etc/resolv.conf "$R/etc/resolv.conf" 2>/dev/null || true
    write_config
    start_master
    setup_user
    wait_for_startd
    mirror_dir "$SRC"
    setup_venv
    pool_usable || die "pool started but condor_q fails for $POOL_USER; see $R/var/log/condor/"
    log "pool up after $(elapsed "$t0") s (root $R, master pid $(cat "$R/$PIDFILE"))"
    ;;
down)
    if master_running; then
        pid=$(cat "$R/$PIDFILE")
        in_root condor_off -master >/dev/null 2>&1 || true
        for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
        kill -0 "$pid" 2>/dev/null && kill "$pid" || true
    fi
    rm -f "$R/$PIDFILE"
    # deepest first; repeated because a path can be mounted more than once
    for _ in 1 2 3; do
        for m in $(mounts_below); do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; done
        [ -z "$(mounts_below)" ] && break
    done
    [ -z "$(mounts_below)" ] || log "WARNING: still mounted below $R: $(mounts_below | tr '\n' ' ')"
    # htcondor-run.sh's per-directory locks (nothing runs any more)
    rm -rf "$R/.cluster-utils-run-locks"
    log "pool down ($R)"
    ;;
status)
    if [ ! -f "$R/$BUILT_MARK" ]; then echo "root $R: not built"; exit 1; fi
    echo "root $R: built"
    if ! master_running; then echo "condor_master: not running"; exit 1; fi
    echo "condor_master: running (pid $(cat "$R/$PIDFILE"))"
    in_root condor_status -af Name Cpus Memory GPUs CUDACapability 2>/dev/null | sed 's/^/slot: /' || true
    in_root runuser -u "$POOL_USER" -- condor_q -totals 2>/dev/null | tail -n 2 || true
    [ -x "$R$VENV/bin/snakemake" ] && echo "driver venv: $VENV" || echo "driver venv: missing"
    pool_usable
    ;;
*)
    usage
    ;;
esac
