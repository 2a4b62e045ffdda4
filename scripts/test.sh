#!/usr/bin/env bash
# Set up everything the tests need, from scratch, and run them: lint, format check, the whole
# test suite (the Slurm, HTCondor and PBS tests start their localhost daemons themselves; they
# need root). Extra arguments go to pytest, e.g. `scripts/test.sh -m "not slurm and not htcondor"`.
#
# The tests run in TEST_WORKERS (default 6) pytest-xdist workers at once: most of the suite waits
# (for scheduling cycles, job sleeps, polling), not computes. `--dist loadgroup` keeps each
# cluster's tests one after the other in one worker (tests/worker_groups.py); `-n 0` as an extra
# argument runs everything in this one process, in order.
set -euo pipefail
cd "$(dirname "$0")/.."

# On CI (CI=true, root), start the localhost Slurm cluster, HTCondor pool and PBS cluster (built
# from source the first time) while pip installs: one after the other (all of them may use apt).
# The cluster tests start them again if this failed.
CLUSTERS_PID=
if [ "${CI:-}" = "true" ] && [ "$(id -u)" = 0 ]; then
  (
    rc=0
    bash scripts/slurm-localhost.sh start || rc=1
    bash scripts/htcondor-localhost.sh up || rc=1
    bash scripts/pbs-localhost.sh start || rc=1
    exit $rc
  ) \
    > "${TMPDIR:-/tmp}/cluster-utils-ci-clusters.log" 2>&1 &
  CLUSTERS_PID=$!
fi

VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}
if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q -e '.[test,slurm,htcondor]'
# 3.0's checkpointing example (run unchanged by tests/upstream_3_0) imports torch: the CPU build
"$VENV/bin/python" -m pip install -q torch==2.13.0
# The editable install leaves our sources uncompiled, and where PYTHONDONTWRITEBYTECODE is set
# (as on CI machines) every process the tests start (CLI, Snakemake, one runner per job) would
# compile every module it imports again: compile them once.
"$VENV/bin/python" -m compileall -q -j 0 cluster_utils cluster snakemake_executor_plugin_cluster_utils_*

echo "== ruff check / ruff format --check"
"$VENV/bin/ruff" check .
"$VENV/bin/ruff" format --check .

if [ -n "$CLUSTERS_PID" ] && ! wait "$CLUSTERS_PID"; then
  echo "(starting the localhost clusters early failed; the cluster tests start them themselves)"
fi

echo "== pytest"
exec "$VENV/bin/python" -m pytest -q -p no:cacheprovider -n "${TEST_WORKERS:-6}" --dist loadgroup "$@"
