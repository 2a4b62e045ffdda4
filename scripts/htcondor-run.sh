#!/usr/bin/env bash
# Run a command inside the localhost HTCondor pool's root as the pool user.
#
#   scripts/htcondor-run.sh [-C DIR] [-e NAME=VALUE]... [--] CMD [ARGS...]
#
# e.g.  scripts/htcondor-run.sh -C /tmp/exp -- snakemake --profile profiles/htcondor
#
# DIR (default: the current directory) is bind-mounted at the same path inside the root while
# commands run in it (unless it is already visible there, e.g. inside this checkout) and made
# writable for the pool user (chown -R: the jobs and the driver write their outputs there as that
# user). The command runs in DIR with a clean environment: HOME of the pool user, PATH starting with the driver venv
# (snakemake, python), LANG=C.UTF-8, plus the -e variables. Its exit code is returned.
# Start the pool first: scripts/htcondor-localhost.sh up. Must run as root.
set -euo pipefail
# the host's HTCondor settings (if any) must not leak into the root
unset CONDOR_CONFIG

R=${HTCONDOR_ROOT:-/var/tmp/cluster-utils-htcondor}
R=${R%/}
POOL_USER=${HTCONDOR_POOL_USER:-condoruser}
VENV=/opt/cluster-utils-venv
DIR=$PWD
ENVS=()

die() { echo "htcondor-run: ERROR: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
    case "$1" in
    -C) DIR=$2; shift 2 ;;
    -e) ENVS+=("$2"); shift 2 ;;
    --) shift; break ;;
    -h|--help) sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) break ;;
    esac
done
[ $# -ge 1 ] || die "no command given"
[ "$(id -u)" = 0 ] || die "must run as root (chroot, mount)"
[ -x "$R/usr/sbin/condor_master" ] || die "no pool root at $R; run scripts/htcondor-localhost.sh up"
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd -P)

# Commands may run in the same DIR at the same time: each holds a shared "users" lock (fd 9) on
# DIR while it runs; mounting and unmounting happen under the "mount" lock (fd 8), and the last
# command out (the only one that can get the users lock exclusively) removes the mount.
LOCKS="$R/.cluster-utils-run-locks"
mkdir -p "$LOCKS"
LOCK="$LOCKS/$(printf '%s' "$DIR" | sha256sum | cut -c1-16)"
exec 8>"$LOCK.mount" 9>"$LOCK.users"
flock -x 8
if ! { [ -e "$R$DIR" ] && [ "$(stat -c %d:%i "$DIR")" = "$(stat -c %d:%i "$R$DIR")" ]; }; then
    # a stale mount (its directory was deleted and re-created on the host) is replaced
    if mountpoint -q "$R$DIR" 2>/dev/null; then umount -l "$R$DIR" || true; fi
    mkdir -p "$R$DIR"
    mount --bind "$DIR" "$R$DIR"
    echo "$DIR" >"$LOCK.mounted"
fi
if ! chroot "$R" runuser -u "$POOL_USER" -- test -w "$DIR"; then
    chown -R "$(chroot "$R" id -u "$POOL_USER"):$(chroot "$R" id -g "$POOL_USER")" "$DIR"
fi
flock -s 9
flock -u 8

# SIGTERM/SIGINT/SIGHUP are passed on to the command (e.g. snakemake then cancels its jobs)
chroot "$R" runuser -u "$POOL_USER" -- env -i \
    HOME="/home/$POOL_USER" USER="$POOL_USER" LOGNAME="$POOL_USER" LANG=C.UTF-8 \
    PATH="$VENV/bin:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin" \
    "${ENVS[@]}" \
    sh -c 'cd "$1" && shift && exec "$@"' sh "$DIR" "$@" 8>&- 9>&- &
child=$!
trap 'kill -TERM "$child" 2>/dev/null || true' TERM HUP
trap 'kill -INT "$child" 2>/dev/null || true' INT
rc=0
while :; do
    wait "$child" && rc=0 || rc=$?
    kill -0 "$child" 2>/dev/null || break
done
# a directory mounted by this script is unmounted again by the last command using it (the pool's
# own jobs are done with it once the command, e.g. snakemake, has returned)
flock -x 8
if flock -xn 9 && [ -f "$LOCK.mounted" ]; then
    umount "$R$DIR" 2>/dev/null || umount -l "$R$DIR" || true
    rm -f "$LOCK.mounted"
fi
exit "$rc"
