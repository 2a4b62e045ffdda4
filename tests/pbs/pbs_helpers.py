"""Helpers of the real-cluster PBS tests: run grids through profiles/pbs inside the cluster's
network namespace (scripts/pbs-localhost.sh run) and read qstat; what the Slurm tests use too is in
``tests.cluster_helpers``."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.cluster_helpers import ClusterGridRun, fast_polling, lifecycle_script
from tests.cluster_helpers import write_grid as write_grid  # the cluster tests import it from here
from tests.helpers import REPO_ROOT

SCRIPT = REPO_ROOT / "scripts" / "pbs-localhost.sh"
#: every PBS client command runs where the cluster is: inside its network namespace
IN_CLUSTER = ["bash", str(SCRIPT), "run"]

#: short polling for tests (the profile's values suit real clusters)
FAST_POLLING = fast_polling("cluster-utils-pbs", "2", "0.3")

#: records the PBS job it ran in (tests.cluster_helpers.lifecycle_script)
LIFECYCLE_SCRIPT = lifecycle_script(
    '{"job": os.environ.get("PBS_JOBID"), "t": time.time()}',
    'finalize_job({"y": 1, "pbs_job": os.environ.get("PBS_JOBID", "")}, params)',
)


def in_cluster(argv: list[str]) -> list[str]:
    return [*IN_CLUSTER, *argv]


def run_in_cluster(argv: list[str], cwd: Path, *, timeout: float = 400, **kwargs: Any) -> str:
    """Run ``argv`` inside the cluster's namespace and return its output; the test fails with
    the output's end unless it exits 0 (``kwargs`` go to subprocess.run: env, input)."""
    proc = subprocess.run(
        in_cluster(argv),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        **kwargs,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-4000:]
    return output


def cli_command(config: Path, *snakemake_args: str, profile: str | None = "pbs") -> list[str]:
    """The grid-search command, run inside the cluster's namespace."""
    chosen = ["--profile", profile] if profile else []
    return in_cluster(
        [
            sys.executable,
            "-m",
            "cluster_utils.cli.main",
            "grid-search",
            str(config),
            *chosen,
            "--snakemake-args",
            *FAST_POLLING,
            *snakemake_args,
        ]
    )


def run_grid(config: Path, *snakemake_args: str, timeout: float = 300) -> GridRun:
    proc = subprocess.run(
        cli_command(config, *snakemake_args),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=config.parent,
    )
    experiment = experiment_dir(config.parent, proc.stdout + proc.stderr)
    return GridRun(experiment, proc.returncode, proc.stdout + proc.stderr)


def experiment_dir(workdir: Path, output: str) -> Path:
    found = [p.parent.parent for p in workdir.glob("results/*/.cluster_utils/launch.json")]
    assert len(found) == 1, f"expected one experiment in {workdir}, found {found}:\n{output}"
    return found[0]


class GridRun(ClusterGridRun):
    arrays_file = "pbs_arrays.jsonl"


def executor_counts(log: str) -> tuple[int, int, int, int]:
    """(qsub calls, jobs submitted, qstat calls, status cycles) the executor reported last."""
    found = re.findall(
        r"cluster_utils: (\d+) qsub calls \((\d+) jobs, \d+ resubmitted for resume\), (\d+) "
        r"qstat calls in (\d+) status cycles",
        log,
    )
    assert found, "the executor's summary line is missing from the Snakemake log"
    qsub, jobs, queries, cycles = (int(v) for v in found[-1])
    return qsub, jobs, queries, cycles


def qstat_jobs(job_id: str) -> dict[str, dict[str, Any]]:
    """``qstat -x -f -F json -t`` of one job (an array: with its subjobs), by id. One id per call:
    OpenPBS 23.06 lists only the first of several in JSON (docs/pbs.md)."""
    out = subprocess.run(
        in_cluster(["qstat", "-x", "-f", "-F", "json", "-t", job_id]),
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    return json.loads(out[out.find("{") :], strict=False).get("Jobs", {}) if "{" in out else {}
