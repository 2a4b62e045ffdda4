"""Against the real localhost HTCondor pool (scripts/htcondor-localhost.sh): a trivial job, the
executor on a throwaway workflow (data/workflow; job.py stands in for the job runner) and the bid.

The grid workflow itself (failures, exit_for_resume, concurrency limits, GPUs, unmatched jobs) is
tested through the CLI and `snakemake --profile` in test_htcondor_grid.py.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from tests.htcondor.conftest import SCRIPTS

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


def test_a_fresh_clone_at_the_path_of_an_earlier_one_is_mounted_again(
    htcondor_pool: Pool, tmp_path: Path
) -> None:
    """`up` bind-mounts the checkout into the pool's root at its own path. A checkout deleted and
    cloned again at the same path while the pool runs (as CI does) leaves a stale mount behind;
    `up` replaces it instead of failing with "mount(2) system call failed: No such file"."""
    root = Path(os.environ.get("HTCONDOR_ROOT", "/var/tmp/cluster-utils-htcondor"))
    checkout = tmp_path / "checkout"

    def clone_and_up(marker: str) -> subprocess.CompletedProcess[str]:
        (checkout / "scripts").mkdir(parents=True)
        for script in ("htcondor-localhost.sh", "htcondor-run.sh"):
            shutil.copy2(SCRIPTS / script, checkout / "scripts" / script)
        (checkout / "marker").write_text(marker)
        return subprocess.run(
            ["bash", str(checkout / "scripts" / "htcondor-localhost.sh"), "up"],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "HTCONDOR_SKIP_VENV": "1"},
            check=False,
        )

    try:
        first = clone_and_up("first clone")
        assert first.returncode == 0, first.stdout + first.stderr
        assert (root / str(checkout).lstrip("/") / "marker").read_text() == "first clone"
        shutil.rmtree(checkout)
        second = clone_and_up("second clone")
        assert second.returncode == 0, second.stdout + second.stderr
        assert (root / str(checkout).lstrip("/") / "marker").read_text() == "second clone"
    finally:
        subprocess.run(["umount", "-l", str(root / str(checkout).lstrip("/"))], check=False)
