#!/usr/bin/env bash
# A single-node Slurm cluster on localhost, for development and the test suite.
#
#   scripts/slurm-localhost.sh start    install (apt) + configure + start, idempotent
#   scripts/slurm-localhost.sh stop     cancel jobs, stop the daemons started by `start`
#   scripts/slurm-localhost.sh status   print daemon/node state; exit 0 iff the cluster is usable
#
# Debian 12 packages: munge, slurmctld, slurmd, slurm-client (Slurm 22.05) and, for accounting
# (so that `sacct` works, which the Snakemake Slurm executor uses for job status), slurmdbd +
# mariadb-server. Daemons are started directly (no systemd needed), so this works in containers.
# Must run as root. `start` on a running, unchanged cluster only checks it (a few seconds).
#
# Knobs (environment variables):
#   SLURM_CLUSTER=localcluster      cluster name
#   SLURM_PARTITION=debug           name of the (only, default) partition
#   SLURM_DEF_MEM_PER_CPU=500       MB per CPU for jobs without --mem (else one job takes the node)
#   SLURM_MAX_ARRAY_SIZE=           MaxArraySize (unset: Slurm's default, 1001)
#   SLURM_MIN_JOB_AGE=60            seconds a finished job stays visible to squeue/scontrol
#   SLURM_SCHEDULER_PARAMETERS=bf_interval=5,sched_interval=5
#                                   SchedulerParameters: pending jobs (e.g. requeued ones whose
#                                   begin time has come) are looked at every 5 s, not 30-60 s
#   SLURM_CRED_EXPIRE=30            AuthInfo cred_expire: also how long a requeued job (resume)
#                                   waits before it may start again (Slurm's default: 120 s)
#   SLURM_ACCOUNTING=1              0: no slurmdbd/MariaDB (sacct will NOT work)
#   SLURM_CGROUPS=0                 1: proctrack/task cgroup (enforces --mem; jobs then need
#                                   mem_mb >= ~300 because Snakemake itself runs in the job)
#   SLURM_SMOKE_TEST=1              after (re)starting, run one job and wait for sacct COMPLETED
set -euo pipefail

CLUSTER=${SLURM_CLUSTER:-localcluster}
PARTITION=${SLURM_PARTITION:-debug}
DEF_MEM_PER_CPU=${SLURM_DEF_MEM_PER_CPU:-500}
MAX_ARRAY_SIZE=${SLURM_MAX_ARRAY_SIZE:-}
MIN_JOB_AGE=${SLURM_MIN_JOB_AGE:-60}
SCHED_PARAMS=${SLURM_SCHEDULER_PARAMETERS-bf_interval=5,sched_interval=5}
CRED_EXPIRE=${SLURM_CRED_EXPIRE:-30}
ACCOUNTING=${SLURM_ACCOUNTING:-1}
CGROUPS=${SLURM_CGROUPS:-0}
SMOKE=${SLURM_SMOKE_TEST:-1}
DBPASS=${SLURM_DB_PASS:-slurmdbpass}

CONF_DIR=/etc/slurm
LOG_DIR=/var/log/slurm
STATE_DIR=/var/lib/slurm
# daemon name -> pidfile
declare -A PIDFILE=(
  [munged]=/run/munge/munged.pid
  [mariadbd]=/run/mysqld/mysqld.pid
  [slurmdbd]=/run/slurmdbd.pid
  [slurmctld]=/run/slurmctld.pid
  [slurmd]=/run/slurmd.pid
)

log() { echo "[slurm-localhost $(date +%T)] $*"; }
die() {
  echo "[slurm-localhost] ERROR: $*" >&2
  exit 1
}

# wait_for SECONDS CMD...: poll until CMD succeeds
wait_for() {
  local t=$1
  shift
  local end=$(($(date +%s) + t))
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$end" ] || return 1
    sleep 0.2
  done
}

# alive NAME: the daemon's pidfile names a live process with that command name
alive() {
  local pf=${PIDFILE[$1]} pid
  [ -s "$pf" ] || return 1
  pid=$(cat "$pf" 2>/dev/null) || return 1
  [ -n "$pid" ] && [ -r "/proc/$pid/comm" ] && [ "$(cat "/proc/$pid/comm")" = "$1" ]
}

daemons() {
  local d=(munged)
  [ "$ACCOUNTING" = 1 ] && d+=(mariadbd slurmdbd)
  d+=(slurmctld slurmd)
  echo "${d[@]}"
}

node_ok() { sinfo -h -n localhost -o %T 2>/dev/null | grep -Eq '^(idle|mixed|allocated|completing)'; }

usable() {
  local d
  for d in $(daemons); do alive "$d" || return 1; done
  scontrol ping 2>/dev/null | grep -q UP || return 1
  node_ok || return 1
  if [ "$ACCOUNTING" = 1 ]; then sacct -n -X -S now -o JobID >/dev/null 2>&1 || return 1; fi
}

# ------------------------------------------------------------------------------ packages
install_packages() {
  local pkgs=(munge slurmctld slurmd slurm-client) missing=() p
  [ "$ACCOUNTING" = 1 ] && pkgs+=(slurmdbd mariadb-server)
  for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} = 0 ] && return 0
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # keep the packages' init scripts/units from starting daemons: this script starts them itself
  local own_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    own_policy=1
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  [ "$own_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
  return 0
}

# ------------------------------------------------------------------------------ config
# install_if_changed SRC DEST MODE OWNER: prints 1 if DEST was (re)written
install_if_changed() {
  if cmp -s "$1" "$2"; then
    echo 0
  else
    install -m "$3" -o "$4" -g "$4" "$1" "$2"
    echo 1
  fi
  rm -f "$1"
}

write_config() {
  local cpus sockets cores threads mem acct proctrack taskplugin tmp changed=0 extra=""
  read -r cpus sockets cores threads mem < <(slurmd -C | head -1 | tr ' ' '\n' | awk -F= '
    /^CPUs=/{c=$2} /^SocketsPerBoard=/{s=$2} /^CoresPerSocket=/{k=$2}
    /^ThreadsPerCore=/{t=$2} /^RealMemory=/{m=$2} END{print c, s, k, t, m}')
  if [ "$ACCOUNTING" = 1 ]; then
    acct=$'AccountingStorageType=accounting_storage/slurmdbd\nAccountingStorageHost=localhost\nAccountingStoragePort=6819'
  else
    acct="AccountingStorageType=accounting_storage/none"
  fi
  if [ "$CGROUPS" = 1 ]; then
    proctrack=proctrack/cgroup taskplugin=task/cgroup
  else
    proctrack=proctrack/linuxproc taskplugin=task/none
  fi
  [ -n "$MAX_ARRAY_SIZE" ] && extra+="MaxArraySize=$MAX_ARRAY_SIZE"$'\n'
  [ -n "$SCHED_PARAMS" ] && extra+="SchedulerParameters=$SCHED_PARAMS"$'\n'
  mkdir -p "$CONF_DIR"

  tmp=$(mktemp)
  cat >"$tmp" <<EOF
# generated by scripts/slurm-localhost.sh: a single-node cluster on localhost
ClusterName=$CLUSTER
SlurmctldHost=localhost
AuthType=auth/munge
AuthInfo=cred_expire=$CRED_EXPIRE
CredType=cred/munge
SlurmUser=slurm
SlurmctldPort=6817
SlurmdPort=6818
StateSaveLocation=$STATE_DIR/slurmctld
SlurmdSpoolDir=$STATE_DIR/slurmd
SlurmctldPidFile=${PIDFILE[slurmctld]}
SlurmdPidFile=${PIDFILE[slurmd]}
SlurmctldLogFile=$LOG_DIR/slurmctld.log
SlurmdLogFile=$LOG_DIR/slurmd.log
ProctrackType=$proctrack
TaskPlugin=$taskplugin
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=$DEF_MEM_PER_CPU
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=30
JobCompType=jobcomp/none
$acct
MinJobAge=$MIN_JOB_AGE
KillWait=5
InactiveLimit=0
${extra}NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus Boards=1 SocketsPerBoard=$sockets CoresPerSocket=$cores ThreadsPerCore=$threads RealMemory=$mem State=UNKNOWN
PartitionName=$PARTITION Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
  changed=$((changed + $(install_if_changed "$tmp" "$CONF_DIR/slurm.conf" 644 root)))

  tmp=$(mktemp)
  printf 'CgroupPlugin=autodetect\nConstrainCores=yes\nConstrainRAMSpace=yes\n' >"$tmp"
  if [ "$(install_if_changed "$tmp" "$CONF_DIR/cgroup.conf" 644 root)" = 1 ] && [ "$CGROUPS" = 1 ]; then
    changed=$((changed + 1))
  fi

  if [ "$ACCOUNTING" = 1 ]; then
    tmp=$(mktemp)
    cat >"$tmp" <<EOF
AuthType=auth/munge
DbdHost=localhost
DbdPort=6819
SlurmUser=slurm
PidFile=${PIDFILE[slurmdbd]}
LogFile=$LOG_DIR/slurmdbd.log
StorageType=accounting_storage/mysql
StorageHost=localhost
StoragePort=3306
StorageUser=slurm
StoragePass=$DBPASS
StorageLoc=slurm_acct_db
EOF
    changed=$((changed + $(install_if_changed "$tmp" "$CONF_DIR/slurmdbd.conf" 600 slurm)))
  fi
  echo "$changed"
}

# ------------------------------------------------------------------------------ daemons
stop_daemon() {
  local name=$1 pf=${PIDFILE[$1]} pid
  if ! alive "$name"; then
    rm -f "$pf"
    return 0
  fi
  pid=$(cat "$pf")
  log "stopping $name ($pid)"
  kill -TERM "$pid" 2>/dev/null || true
  wait_for 20 bash -c "! kill -0 $pid" || {
    log "$name did not exit, SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  }
  rm -f "$pf"
}

start_munge() {
  install -d -o munge -g munge -m 755 /run/munge
  install -d -o munge -g munge -m 700 /etc/munge /var/log/munge
  install -d -o munge -g munge -m 711 /var/lib/munge
  if [ ! -s /etc/munge/munge.key ]; then
    log "creating munge key"
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
  fi
  chown munge:munge /etc/munge/munge.key
  chmod 400 /etc/munge/munge.key
  if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then return 0; fi
  log "starting munged"
  rm -f /run/munge/munge.socket.2.lock "${PIDFILE[munged]}"
  runuser -u munge -- /usr/sbin/munged
  wait_for 15 bash -c 'munge -n | unmunge' || die "munged did not come up"
}

start_mariadb() {
  install -d -o mysql -g root -m 755 /run/mysqld
  if ! mariadb-admin ping >/dev/null 2>&1; then
    if [ ! -d /var/lib/mysql/mysql ]; then
      log "initialising the MariaDB data directory"
      mariadb-install-db --user=mysql --datadir=/var/lib/mysql >/dev/null
    fi
    log "starting mariadbd"
    setsid /usr/sbin/mariadbd --user=mysql --pid-file="${PIDFILE[mariadbd]}" \
      --innodb-buffer-pool-size=256M --innodb-lock-wait-timeout=900 \
      >>"$LOG_DIR/mariadb.log" 2>&1 </dev/null &
    wait_for 60 mariadb-admin ping || die "mariadbd did not come up (see $LOG_DIR/mariadb.log)"
  fi
  mariadb -e "CREATE DATABASE IF NOT EXISTS slurm_acct_db;
    CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY '$DBPASS';
    ALTER USER 'slurm'@'localhost' IDENTIFIED BY '$DBPASS';
    GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost'; FLUSH PRIVILEGES;"
}

start_slurmdbd() {
  if ! alive slurmdbd; then
    log "starting slurmdbd"
    /usr/sbin/slurmdbd
  fi
  wait_for 60 sacctmgr -n list cluster || die "slurmdbd not answering (see $LOG_DIR/slurmdbd.log)"
  sacctmgr -n -P list cluster format=cluster | grep -qx "$CLUSTER" ||
    sacctmgr -i add cluster "$CLUSTER" >/dev/null
}

start_slurm() {
  if ! alive slurmctld; then
    log "starting slurmctld"
    /usr/sbin/slurmctld
  fi
  wait_for 60 bash -c 'scontrol ping | grep -q UP' || die "slurmctld not UP (see $LOG_DIR/slurmctld.log)"
  if ! alive slurmd; then
    log "starting slurmd"
    /usr/sbin/slurmd -N localhost
  fi
  if ! wait_for 30 node_ok; then
    log "node state: $(sinfo -h -n localhost -o '%T %E') -> resuming"
    scontrol update nodename=localhost state=resume || true
    wait_for 30 node_ok || die "node not usable: $(sinfo -h -n localhost -o '%T %E')"
  fi
}

smoke_test() {
  local jid
  jid=$(sbatch --parsable -J smoke -p "$PARTITION" -o /dev/null -t 1 --mem 10 --wrap true)
  if [ "$ACCOUNTING" = 1 ]; then
    wait_for 60 bash -c "sacct -n -X -P -j $jid -o State | grep -qx COMPLETED" ||
      die "smoke job $jid not COMPLETED in sacct: $(sacct -n -X -P -j "$jid" -o State)"
  else
    wait_for 60 bash -c "squeue -h -t all -j $jid -o %T | grep -qx COMPLETED" ||
      die "smoke job $jid did not complete"
  fi
  log "smoke job $jid COMPLETED"
}

cmd_start() {
  [ "$(id -u)" = 0 ] || die "must run as root"
  install_packages
  install -d -o slurm -g slurm -m 755 "$STATE_DIR" "$STATE_DIR/slurmctld" "$STATE_DIR/slurmd" "$LOG_DIR"
  local changed d
  changed=$(write_config)
  if [ "$changed" = 0 ] && usable; then
    log "already running (cluster '$CLUSTER', partition '$PARTITION'): nothing to do"
    return 0
  fi
  if [ "$changed" != 0 ]; then
    log "configuration changed: restarting Slurm daemons that are up"
    for d in slurmd slurmctld slurmdbd; do stop_daemon "$d"; done
  fi
  start_munge
  if [ "$ACCOUNTING" = 1 ]; then
    start_mariadb
    start_slurmdbd
  fi
  start_slurm
  [ "$SMOKE" = 1 ] && smoke_test
  log "cluster '$CLUSTER' ready: $(sinfo -h -o '%P %D %c CPUs %m MB %T' | head -1)"
}

cmd_stop() {
  [ "$(id -u)" = 0 ] || die "must run as root"
  local jobs d left
  if scontrol ping 2>/dev/null | grep -q UP; then
    jobs=$(squeue -h -o %i 2>/dev/null | tr '\n' ' ')
    if [ -n "${jobs// /}" ]; then
      log "cancelling jobs: $jobs"
      # shellcheck disable=SC2086
      scancel $jobs || true
      wait_for 10 bash -c '[ -z "$(squeue -h -t R,CG,PD -o %i)" ]' || true
    fi
  fi
  for d in slurmd slurmctld slurmdbd mariadbd munged; do stop_daemon "$d"; done
  left=$(pgrep -x slurmstepd | tr '\n' ' ' || true)
  [ -n "$left" ] && log "WARNING: leftover slurmstepd processes: $left"
  log "stopped"
}

cmd_status() {
  local d rc=0
  for d in $(daemons); do
    if alive "$d"; then echo "$d: running (pid $(cat "${PIDFILE[$d]}"))"; else
      echo "$d: not running"
      rc=1
    fi
  done
  if [ "$rc" = 0 ]; then
    sinfo
    usable || rc=1
  fi
  echo "usable: $([ "$rc" = 0 ] && echo yes || echo no)"
  return "$rc"
}

case "${1:-}" in
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
*)
  echo "usage: $0 start|stop|status" >&2
  exit 2
  ;;
esac
