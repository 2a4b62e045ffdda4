"""Against the real localhost HTCondor pool (scripts/htcondor-localhost.sh): a trivial job, the
exit_for_resume hold/release cycle, concurrency limits, GPU matching, unmatched jobs and the bid.

Each test runs Snakemake with profiles/htcondor inside the pool's root as the pool user, on the
throwaway workflow in data/workflow (job.py stands in for the job runner).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

if TYPE_CHECKING:
    from conftest import Pool

pytestmark = pytest.mark.htcondor


def write_config(workdir: Path, jobs: list[str], cluster_requirements: dict[str, Any]) -> str:
    (workdir / "run.yaml").write_text(
        yaml.safe_dump({"jobs": jobs, "cluster_requirements": cluster_requirements})
    )
    return "run.yaml"


def events(workdir: Path, job_id: str) -> list[tuple[float, str, str]]:
    """(time, cluster id, event) per line of the job's events.log."""
    lines = (workdir / "results" / "jobs" / job_id / "events.log").read_text().splitlines()
    out = []
    for line in lines:
        stamp, cluster, event = line.split(" ", 2)
        out.append((float(stamp), cluster.removeprefix("cluster="), event))
    return out


def max_running(intervals: list[tuple[float, float]]) -> int:
    points = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    running = peak = 0
    for _, delta in points:
        running += delta
        peak = max(peak, running)
    return peak


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


def test_resume_and_failure(htcondor_pool: Pool, workflow_dir: Path) -> None:
    config = write_config(
        workflow_dir, ["resume1", "fail1", "ok1"], {"request_cpus": 1, "memory_in_mb": 200}
    )
    result = htcondor_pool.snakemake(workflow_dir, "--configfile", config)
    log = result.stdout + result.stderr
    assert result.returncode != 0, log  # fail1 fails the run ...
    # ... but the others complete
    assert (workflow_dir / "results" / "jobs" / "resume1" / "done").exists()
    assert (workflow_dir / "results" / "jobs" / "ok1" / "done").exists()

    # resume1: exit_for_resume twice, then success, all in the same HTCondor job (held+released)
    resume = events(workflow_dir, "resume1")
    assert [e for _, _, e in resume] == [
        "start",
        "end code=3",
        "resume -> 3",
        "start",
        "end code=3",
        "resume -> 3",
        "start",
        "end code=0",
    ]
    assert len({cluster for _, cluster, _ in resume}) == 1
    # the job event log shows the two resume holds (and no other hold)
    event_log = (workflow_dir / ".snakemake" / "htcondor" / "snakemake-rules.log").read_text()
    assert event_log.count("Job was held.") == 2
    assert event_log.count("cluster_utils: exit_for_resume, will resume") == 2
    # only fail1 is reported as failed
    assert re.findall(r"Error in rule run_job:.*?output: results/jobs/(\w+)/done", log, re.S) == [
        "fail1"
    ]

    # fail1: a normal failure is reported once and not retried
    fail = events(workflow_dir, "fail1")
    assert [e for _, _, e in fail] == ["start", "end code=7"]
    assert "failed with ExitCode 1" in log
    assert not (workflow_dir / "results" / "jobs" / "fail1" / "done").exists()

    # a rerun runs only the failed job
    rerun = htcondor_pool.snakemake(workflow_dir, "--configfile", config)
    assert rerun.returncode != 0
    assert len(events(workflow_dir, "resume1")) == len(resume)
    assert len(events(workflow_dir, "fail1")) == 4


def test_concurrency_limit(htcondor_pool: Pool, workflow_dir: Path) -> None:
    jobs = [f"sleep{i}" for i in range(4)]
    config = write_config(
        workflow_dir,
        jobs,
        {
            "request_cpus": 1,
            "memory_in_mb": 200,
            "concurrency_limit_tag": "probe",
            "concurrency_limit": 2,
        },
    )
    # a short unmatched timeout: jobs waiting for a concurrency token must not count as unmatched
    result = htcondor_pool.snakemake(
        workflow_dir, "--configfile", config, "--cluster-utils-htcondor-unmatched-timeout", "3"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    intervals = []
    for job_id in jobs:
        times = {event: stamp for stamp, _, event in events(workflow_dir, job_id)}
        intervals.append((times["start"], times["end code=0"]))
    # 8 CPUs are free, but only 2 of the 4 jobs may hold a "user.probe" token at a time
    assert max_running(intervals) == 2


def test_gpu_match(htcondor_pool: Pool, workflow_dir: Path) -> None:
    cr = {"request_cpus": 1, "request_gpus": 1, "memory_in_mb": 200, "cuda_requirement": "7.0"}
    config = write_config(workflow_dir, ["gpu7"], {**cr, "gpu_memory_mb": 40000})
    result = htcondor_pool.snakemake(workflow_dir, "--configfile", config)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (workflow_dir / "results" / "jobs" / "gpu7" / "done").exists()


def test_gpu_unmatched_is_reported(htcondor_pool: Pool, workflow_dir: Path) -> None:
    cr = {"request_cpus": 1, "request_gpus": 1, "memory_in_mb": 200, "cuda_requirement": "9.0"}
    config = write_config(workflow_dir, ["gpu9"], cr)
    result = htcondor_pool.snakemake(
        workflow_dir,
        "--configfile",
        config,
        "--cluster-utils-htcondor-unmatched-timeout",
        "5",
        timeout=120,
    )
    log = result.stdout + result.stderr
    assert result.returncode != 0, log
    assert "is unmatched: no machine in the pool can ever match the job" in log
    assert "CUDACapability >= 9" in log
    assert not (workflow_dir / "results" / "jobs" / "gpu9").exists()  # never started
    # removed from the queue
    mine = f'Iwd == "{workflow_dir}"'
    queue = htcondor_pool.run(workflow_dir, "condor_q", "-constraint", mine, "-af", "ClusterId")
    assert queue.returncode == 0 and queue.stdout.strip() == "", queue.stdout + queue.stderr


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
