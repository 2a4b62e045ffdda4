"""``backends.slurm.request_resume`` in a real Slurm job: the requeue that exit_for_resume asks
for, when Slurm's SIGTERM (sent to every process of the job once it accepts the requeue) reaches
``scontrol`` before ``scontrol`` has exited. That happened on CI under load: the runner took the
requeue for refused, ran the job script again in place, and Slurm killed that attempt."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slurm, pytest.mark.usefixtures("slurm_cluster")]

#: scontrol as it is, except that after a requeue it lingers as a loaded machine's may
SLOW_SCONTROL = """#!/bin/bash
{real} "$@"
status=$?
[ "$1" = requeue ] && sleep 10
exit $status
"""

JOB = """#!/bin/bash
export PATH={wrappers}:$PATH
exec {python} - {record} <<'PY'
import json, sys
from cluster_utils.backends import slurm
code = slurm.request_resume(wait_seconds=60)
with open(sys.argv[1], "a") as record:
    record.write(json.dumps({{"code": code, "restart": slurm.restart_count()}}) + "\\n")
PY
"""


def test_a_requeue_whose_scontrol_slurm_stops_first_is_still_a_requeue(tmp_path: Path) -> None:
    real = shutil.which("scontrol")
    assert real is not None
    wrappers = tmp_path / "bin"
    wrappers.mkdir()
    (wrappers / "scontrol").write_text(SLOW_SCONTROL.format(real=real))
    (wrappers / "scontrol").chmod(0o755)
    record = tmp_path / "record.jsonl"
    job = tmp_path / "job.sh"
    job.write_text(JOB.format(wrappers=wrappers, python=sys.executable, record=record))
    # the executor's job name (a run UUID) makes it one of our jobs (slurm.in_slurm_job)
    submitted = subprocess.run(
        [
            *("sbatch", "--parsable", "--requeue", f"--job-name={uuid.uuid4()}"),
            *("-o", "/dev/null", "-t", "5", "--mem", "200", str(job)),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    job_id = submitted.stdout.strip()
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not record.exists():
            time.sleep(0.5)
        assert record.exists(), f"Slurm job {job_id} recorded nothing"
        first = json.loads(record.read_text().splitlines()[0])
    finally:
        subprocess.run(["scancel", job_id], check=False)
    # Slurm took the requeue (its restart count is 1), and request_resume says so with exit code
    # 3: the runner records the job as pending and lets Slurm run it again. None (before the
    # fix) made the runner run the job script again in place, in a job Slurm was stopping.
    assert first == {"code": 3, "restart": 1}
