#!/usr/bin/env bash
# A single-node OpenPBS cluster on localhost, for development and the test suite.
#
#   scripts/pbs-localhost.sh start     build (once) + configure + start; idempotent
#   scripts/pbs-localhost.sh stop      delete our jobs, stop the daemons, remove the namespace
#   scripts/pbs-localhost.sh status    print server and node state; exit 0 iff the cluster is usable
#   scripts/pbs-localhost.sh run CMD   run CMD where the cluster is (inside its network namespace,
#                                      with SLURM_CONF=/dev/null unless set: see `run` below)
#
# OpenPBS has no Debian package: it is built from the OpenPBS source tarball (PBS_SOURCE_TARBALL,
# else openpbs-*.tar.gz in ../shared/vendor/ or ../vendor/ next to the checkout) into /opt/pbs,
# once: a machine where /opt/pbs is installed is never rebuilt (~2 min on 2 cores, plus apt).
# Must run as root.
#
# Why a network namespace: OpenPBS refuses loopback addresses for its host name ("Could not find
# any usable IP address for host ..."), and this machine's other interfaces must not be used. So
# the daemons, and every client command (qsub, qstat, qdel, pbsnodes, and the cluster_utils driver
# that calls them: `scripts/pbs-localhost.sh run cluster-utils grid-search ...`), run inside the
# network namespace `pbsnet` made here. Its only interfaces are lo and a veth pair carrying
# 10.77.0.1, which /etc/hosts names `pbshost`; nothing in it reaches beyond this machine. A UTS
# namespace gives the daemons the host name pbshost.
#
# Knobs (environment variables):
#   PBS_NETNS=pbsnet                network namespace
#   PBS_SCHEDULER_ITERATION=2       seconds between scheduling cycles (PBS' default: 600; the
#                                   scheduler also runs on every submission and job end)
#   PBS_MOM_CHECK_POLL=1            how often (s) the mom checks its jobs' resource use: how soon
#                                   a job past its walltime is killed (PBS' default: 10-120 s)
#   PBS_MAX_ARRAY_SIZE=             the server's max_array_size (unset: PBS' default, 10000)
set -euo pipefail

NS=${PBS_NETNS:-pbsnet}
HOST=pbshost
ADDR=10.77.0.1
PREFIX=/opt/pbs
PBS_HOME_DIR=/var/spool/pbs
SCHED_ITERATION=${PBS_SCHEDULER_ITERATION:-2}
CHECK_POLL=${PBS_MOM_CHECK_POLL:-1}
MAX_ARRAY_SIZE=${PBS_MAX_ARRAY_SIZE:-}
HERE=$(cd "$(dirname "$0")" && pwd)
CREATED_MARK=$PBS_HOME_DIR/server_priv/.cluster-utils-created

log() { echo "[pbs-localhost $(date +%T)] $*"; }
die() {
  echo "[pbs-localhost] ERROR: $*" >&2
  exit 1
}
inns() { ip netns exec "$NS" "$@"; }
q() { inns "$PREFIX/bin/$@"; }

server_answers() { ip netns list 2>/dev/null | grep -qw "$NS" && q qstat -B >/dev/null 2>&1; }
node_free() { q pbsnodes -a 2>/dev/null | grep -qE 'state = (free|job-busy)'; }

find_tarball() {
  if [ -n "${PBS_SOURCE_TARBALL:-}" ]; then echo "$PBS_SOURCE_TARBALL"; return; fi
  local t
  for t in "$HERE"/../../shared/vendor/openpbs-*.tar.gz "$HERE"/../../vendor/openpbs-*.tar.gz \
    "$HERE"/../vendor/openpbs-*.tar.gz; do
    [ -f "$t" ] && { echo "$t"; return; }
  done
  return 1
}

build() {
  [ -x "$PREFIX/sbin/pbs_server.bin" ] && return
  local tarball src
  tarball=$(find_tarball) || die "OpenPBS is not installed and no openpbs-*.tar.gz was found (set PBS_SOURCE_TARBALL)"
  log "installing build dependencies (apt)"
  apt-get update -qq
  # the list of the tarball's INSTALL ("For Debian systems"), plus what its build needs here
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc make libtool libhwloc-dev libx11-dev \
    libxt-dev libedit-dev libical-dev ncurses-dev perl postgresql-server-dev-all postgresql-contrib \
    python3-dev tcl-dev tk-dev swig libexpat-dev libssl-dev libxext-dev libxft-dev autoconf \
    automake g++ libcjson-dev iproute2 util-linux >/dev/null
  src=$(mktemp -d)
  tar xzf "$tarball" -C "$src"
  log "building OpenPBS from $(basename "$tarball") (a few minutes)"
  (cd "$src"/openpbs* && ./autogen.sh && ./configure --prefix="$PREFIX" && make -j"$(nproc)" &&
    make install) >"$src/build.log" 2>&1 || {
    tail -20 "$src/build.log"
    die "build failed (log: $src/build.log)"
  }
  # pbs_postinstall registers a systemd unit; without systemd its complaints are harmless
  PBS_CONF_FILE=/etc/pbs.conf "$PREFIX/libexec/pbs_postinstall" >/dev/null 2>&1 || true
  chmod 4755 "$PREFIX/sbin/pbs_iff" "$PREFIX/sbin/pbs_rcp"
  rm -rf "$src"
  log "OpenPBS installed in $PREFIX"
}

namespace() {
  ip netns list | grep -qw "$NS" || ip netns add "$NS"
  inns ip link set lo up
  if ! inns ip -4 addr | grep -q "$ADDR"; then
    inns ip link add pbsa type veth peer name pbsb
    inns ip addr add "$ADDR/24" dev pbsa
    inns ip link set pbsa up
    inns ip link set pbsb up
  fi
  grep -q "^$ADDR $HOST\$" /etc/hosts || echo "$ADDR $HOST" >>/etc/hosts
}

configure() {
  cat >/etc/pbs.conf <<EOF
PBS_SERVER=$HOST
PBS_START_SERVER=1
PBS_START_SCHED=1
PBS_START_COMM=1
PBS_START_MOM=1
PBS_EXEC=$PREFIX
PBS_HOME=$PBS_HOME_DIR
PBS_CORE_LIMIT=unlimited
PBS_SCP=/usr/bin/scp
PBS_MOM_NODE_NAME=$HOST
PBS_LEAF_NAME=$HOST
PBS_SERVER_HOST_NAME=$HOST
EOF
  # the mom: check running jobs' resource use (walltime) every CHECK_POLL s
  local mom_config=$PBS_HOME_DIR/mom_priv/config want
  want=$(printf '$restrict_user_maxsysid 999\n$min_check_poll %s\n$max_check_poll %s\n' \
    "$CHECK_POLL" "$CHECK_POLL")
  if [ -d "$PBS_HOME_DIR/mom_priv" ] && [ "$(cat "$mom_config" 2>/dev/null)" != "$want" ]; then
    echo "$want" >"$mom_config"
    # a running mom re-reads it on SIGHUP (its pid is in mom.lock)
    kill -HUP "$(cat "$PBS_HOME_DIR/mom_priv/mom.lock" 2>/dev/null)" 2>/dev/null || true
  fi
}

settings() {
  local qm="$PREFIX/bin/qmgr -c"
  if [ ! -e "$CREATED_MARK" ]; then
    inns $qm "create node $HOST" >/dev/null 2>&1 || true
    inns $qm "create queue workq queue_type=execution,enabled=true,started=true" >/dev/null 2>&1 || true
    inns $qm "set server default_queue=workq"
    inns $qm "set server acl_roots+=root@*" # root may submit (the tests run as root)
    touch "$CREATED_MARK"
  fi
  inns $qm "set server scheduling=true"
  inns $qm "set server job_history_enable=true" # qstat -x lists finished jobs and subjobs
  inns $qm "set server scheduler_iteration=$SCHED_ITERATION"
  if [ -n "$MAX_ARRAY_SIZE" ]; then
    inns $qm "set server max_array_size=$MAX_ARRAY_SIZE"
  else
    inns $qm "unset server max_array_size" >/dev/null 2>&1 || true
  fi
}

# A server that was killed (not stopped with qterm) counts job ids again from below the ids of
# the finished jobs its history still holds, and qsub then fails with "Job with requested ID
# already exists". So a cold start forgets the finished jobs (queued and running ones stay).
forget_finished_jobs() {
  local ids
  ids=$(q qselect -x -s F 2>/dev/null | tr '\n' ' ')
  if [ -n "${ids// /}" ]; then
    # shellcheck disable=SC2086
    q qdel -x -W force $ids >/dev/null 2>&1 || true
  fi
}

start() {
  [ "$(id -u)" = 0 ] || die "must run as root"
  build
  namespace
  configure
  if server_answers && node_free; then
    settings
    log "already running"
    return
  fi
  local t0=$SECONDS
  # comm, mom, sched and the server through PBS's own init script, in the namespaces
  inns unshare --uts sh -c "hostname $HOST && $PREFIX/libexec/pbs_init.d start" >/dev/null 2>&1 || true
  if ! server_answers; then
    # the very first start needs a fresh server database: pbs_server -t create (asks to confirm)
    inns unshare --uts sh -c "hostname $HOST && echo y | $PREFIX/sbin/pbs_server -t create" >/dev/null 2>&1 || true
    rm -f "$CREATED_MARK"
  fi
  for _ in $(seq 60); do server_answers && break; sleep 1; done
  server_answers || die "pbs_server not answering (see $PBS_HOME_DIR/server_logs)"
  configure # the mom's config (its directory exists now)
  settings
  forget_finished_jobs
  for _ in $(seq 60); do node_free && break; sleep 1; done
  node_free || die "the node $HOST is not free (pbsnodes -a; $PBS_HOME_DIR/mom_logs)"
  log "ready in $((SECONDS - t0)) s: $(q pbsnodes -a | grep -E 'resources_available.ncpus' | tr -s ' ')"
}

stop() {
  [ "$(id -u)" = 0 ] || die "must run as root"
  if server_answers; then
    q qdel -W force $(q qselect) >/dev/null 2>&1 || true
  fi
  if ip netns list | grep -qw "$NS" && [ -x "$PREFIX/libexec/pbs_init.d" ]; then
    inns "$PREFIX/libexec/pbs_init.d" stop >/dev/null 2>&1 || true
  fi
  ip netns list | grep -qw "$NS" && ip netns delete "$NS" || true
  log "stopped"
}

status() {
  if ! server_answers; then
    echo "pbs_server: not answering (namespace $NS)"
    return 1
  fi
  q qstat -B
  q pbsnodes -a | grep -E '^[^ ]|state =|resources_available.ncpus'
  node_free
}

case "${1:-}" in
start | up) start ;;
stop | down) stop ;;
status) status ;;
run)
  shift
  [ "$(id -u)" = 0 ] || die "must run as root"
  # No slurmctld is reachable from the namespace: Slurm's clients there (this machine has them)
  # would wait ~9 s for it each time, and Snakemake's Slurm plugin calls `scontrol show config` at
  # every Snakemake start. An empty Slurm config makes them fail at once, as on a PBS-only machine
  # (a SLURM_CONF the caller sets is kept).
  exec ip netns exec "$NS" env PATH="$PREFIX/bin:$PATH" SLURM_CONF="${SLURM_CONF:-/dev/null}" "$@"
  ;;
*)
  sed -n '2,29p' "$0"
  exit 2
  ;;
esac
