"""Against the real localhost HTCondor pool (scripts/htcondor-localhost.sh): a trivial job, the
executor on a throwaway workflow (data/workflow; job.py stands in for the job runner) and the bid.

The grid workflow itself (failures, exit_for_resume, concurrency limits, GPUs, unmatched jobs) is
tested through the CLI and `snakemake --profile` in test_htcondor_grid.py.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

if TYPE_CHECKING:
    from tests.htcondor.conftest import Pool

pytestmark = pytest.mark.htcondor


def write_config(workdir: Path, jobs: list[str], cluster_requirements: dict[str, Any]) -> str:
    (workdir / "run.yaml").write_text(
        yaml.safe_dump({"jobs": jobs, "cluster_requirements": cluster_requirements})
    )
    return "run.yaml"


def test_trivial_job(htcondor_pool: Pool, tmp_path: Path) -> None:
    (tmp_path / "job.sub").write_text(
        "executable = /bin/echo\narguments = hello\noutput = out.txt\nerror = err.txt\n"
        "log = log.txt\nqueue\n"
    )
    result = htcondor_pool.run(
        tmp_path, "sh", "-c", "condor_submit job.sub && condor_wait -wait 120 log.txt"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "out.txt").read_text() == "hello\n"


def test_snakemake_job(htcondor_pool: Pool, workflow_dir: Path) -> None:
    config = write_config(workflow_dir, ["ok1", "ok2"], {"request_cpus": 1, "memory_in_mb": 200})
    result = htcondor_pool.snakemake(workflow_dir, "--configfile", config)
    assert result.returncode == 0, result.stdout + result.stderr
    for job_id in ("ok1", "ok2"):
        assert (workflow_dir / "results" / "jobs" / job_id / "done").exists()


def test_bid_goes_through_condor_submit_bid(htcondor_pool: Pool, workflow_dir: Path) -> None:
    bindir = workflow_dir / "bin"
    bindir.mkdir()
    fake = bindir / "condor_submit_bid"
    # like MPI-IS's wrapper: condor_submit_bid <bid> [condor_submit args] <file>
    fake.write_text(
        '#!/bin/sh\necho "$@" >> "$(dirname "$0")/calls.log"\nbid=$1; shift\n'
        'exec condor_submit -append "+SubmitBid = $bid" "$@"\n'
    )
    fake.chmod(0o755)
    config = write_config(
        workflow_dir, ["ok1"], {"request_cpus": 1, "memory_in_mb": 200, "bid": 42}
    )
    result = htcondor_pool.snakemake(
        workflow_dir,
        "--configfile",
        config,
        env={"PATH": f"{bindir}:/opt/cluster-utils-venv/bin:/usr/bin:/bin"},
    )
    log = result.stdout + result.stderr
    assert result.returncode == 0, log
    assert "submitted with" in log and "condor_submit_bid <bid>" in log
    calls = (bindir / "calls.log").read_text().splitlines()
    assert len(calls) == 1 and calls[0].startswith("42 -terse ")
    history = htcondor_pool.run(
        workflow_dir, "condor_history", "-limit", "1", "-af", "ClusterUtilsBid", "SubmitBid"
    )
    assert history.stdout.split() == ["42", "42"]


def test_extra_submission_options_win_in_the_executor(
    htcondor_pool: Pool, workflow_dir: Path
) -> None:
    """3.0's extra_submission_options reach the submitted jobs exactly as given; where they set
    what the mapping sets (memory_in_mb -> request_memory) they win, with one warning a run."""
    tag = uuid.uuid4().hex
    cluster_requirements = {
        "request_cpus": 1,
        "memory_in_mb": 200,
        "extra_submission_options": {"request_memory": 300, "+CuExtra": f'"{tag}"'},
    }
    config = write_config(workflow_dir, ["ok1", "ok2"], cluster_requirements)
    result = htcondor_pool.snakemake(workflow_dir, "--configfile", config)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log
    assert log.count("extra_submission_options sets request_memory = 300;") == 1, log
    assert "replaces request_memory = 200" in log
    history = htcondor_pool.run(
        workflow_dir,
        "condor_history",
        "-constraint",
        f'CuExtra =?= "{tag}"',
        "-af",
        "RequestMemory",
        "RequestCpus",
    )
    assert history.stdout.split() == ["300", "1"] * 2, history.stdout + history.stderr
