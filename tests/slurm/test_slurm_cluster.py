"""The localhost Slurm cluster itself, and jobs of other rules than the cluster_utils runner.

Grid jobs (rule ``run_job``) go out as arrays that run the runner directly
(tests/slurm/test_slurm_grid.py); every other rule that is not a local rule keeps the Slurm
executor plugin's own submission (one sbatch per job, a nested ``snakemake`` in the job), and its
status comes from the same single sacct query per cycle.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import REPO_ROOT
from tests.slurm.slurm_helpers import FAST_POLLING, executor_counts, run_uuid, sacct

pytestmark = [pytest.mark.slurm, pytest.mark.usefixtures("slurm_cluster")]

SNAKEFILE = """
rule all:
    input: expand("out/{name}.txt", name=["a", "b", "bad"])

rule other:
    output: "out/{name}.txt"
    resources: mem_mb=300, runtime=5
    shell: "test {wildcards.name} != bad && echo {wildcards.name} > {output}"
"""


def sacct_states(slurm_job_id: str) -> list[str]:
    """All records of a job (-D: every requeue too), oldest first."""
    out = subprocess.run(
        ["sacct", "-D", "-X", "-n", "-P", "-j", slurm_job_id, "-o", "State"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [line.split()[0] for line in out.split("\n") if line.strip()]


def test_sbatch_job_completes_per_sacct() -> None:
    jid = subprocess.run(
        ["sbatch", "--parsable", "-o", "/dev/null", "-t", "1", "--mem", "50", "--wrap", "true"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    deadline = time.time() + 60
    while time.time() < deadline:
        if sacct_states(jid) == ["COMPLETED"]:
            return
        time.sleep(0.5)
    pytest.fail(f"job {jid} not COMPLETED per sacct: {sacct_states(jid)}")


def test_other_rules_keep_the_plugins_own_submission(tmp_path: Path) -> None:
    (tmp_path / "Snakefile").write_text(SNAKEFILE)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "snakemake",
            "--profile",
            str(REPO_ROOT / "profiles" / "slurm"),
            *FAST_POLLING,
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert proc.returncode != 0  # "bad" failed; keep-going ran the others
    assert (tmp_path / "out" / "a.txt").read_text() == "a\n"
    assert (tmp_path / "out" / "b.txt").read_text() == "b\n"
    records = {r["JobID"]: r for r in sacct("--name", run_uuid(proc.stderr), expect=3)}
    # one plain Slurm job per Snakemake job, no arrays, none through the direct path
    assert len(records) == 3 and not any("_" in job_id for job_id in records)
    assert sorted(r["State"] for r in records.values()) == ["COMPLETED", "COMPLETED", "FAILED"]
    (failed,) = [job_id for job_id, r in records.items() if r["State"] == "FAILED"]
    assert f"SLURM-job '{failed}' failed: exited with code 1 (Slurm job {failed}: FAILED" in (
        proc.stderr
    )
    sbatch_calls, tasks, queries, cycles = executor_counts(proc.stderr)
    assert (sbatch_calls, tasks) == (0, 0) and queries == cycles
