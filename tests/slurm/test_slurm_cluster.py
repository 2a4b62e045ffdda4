"""Real jobs on the localhost Slurm cluster (scripts/slurm-localhost.sh).

The workflow here is a stand-in for the project's Snakefile: rule ``run_job`` with wildcard
``job_id`` and output ``results/jobs/{job_id}/done``, its resources from
``cluster_utils.backends.slurm.snakemake_resources`` and its shell running a small runner that
uses the backend's job-side hooks (timeout signal, exit_for_resume) the way the real runner does.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

pytestmark = [pytest.mark.slurm, pytest.mark.usefixtures("slurm_cluster")]

REPO_ROOT = Path(__file__).resolve().parents[2]

SNAKEFILE = """
from cluster_utils.backends import get_backend

slurm = get_backend("slurm")
REQ = config["cluster_requirements"]

rule all:
    input: expand("results/jobs/{job_id}/done", job_id=config["job_ids"])

rule run_job:
    output: "results/jobs/{job_id}/done"
    threads: slurm.snakemake_threads(REQ)
    resources: **slurm.snakemake_resources(REQ)
    shell:
        "{config[python]} runner.py {config[signal_seconds]} "
        "job.py results/jobs/{wildcards.job_id} {wildcards.job_id}"
"""

# The runner's Slurm path: start the script, arm the timeout signal, on exit code 3 resume.
RUNNER = """
import subprocess, sys
from cluster_utils.backends import get_backend

slurm = get_backend("slurm")
signal_seconds = int(sys.argv[1])
while True:
    proc = subprocess.Popen([sys.executable, *sys.argv[2:]])
    timer = None
    if signal_seconds and slurm.in_slurm_job():
        timer = slurm.arm_timeout_signal(proc.pid, signal_seconds)
    rc = proc.wait()
    if timer is not None:
        timer.cancel()
    if rc != 3:
        sys.exit(rc)
    code = slurm.request_resume()
    if code is not None:
        sys.exit(code)
    print("resume in place", file=sys.stderr)
"""

# modes: "resume" exits for resume twice, then succeeds; "signal" works until SIGUSR1 (3.0's
# examples/slurm_timeout_signal pattern), checkpoints, exits for resume, then finishes;
# "fail" exits 1.
JOB_SCRIPT = """
import json, os, pathlib, signal, sys, time

workdir, mode = pathlib.Path(sys.argv[1]), sys.argv[2]
workdir.mkdir(parents=True, exist_ok=True)
received = False

def on_usr1(sig, frame):
    global received
    received = True

signal.signal(signal.SIGUSR1, on_usr1)
checkpoint = workdir / "checkpoint.json"
state = json.loads(checkpoint.read_text()) if checkpoint.exists() else {"runs": 0, "it": 0}
state["runs"] += 1
checkpoint.write_text(json.dumps(state))

def event(**kw):
    kw.update(t=time.time(), job=os.environ.get("SLURM_JOB_ID"), run=state["runs"])
    with open(workdir / "events.jsonl", "a") as f:
        f.write(json.dumps(kw) + "\\n")

event(what="start", it=state["it"])
print(f"job script run {state['runs']}", flush=True)
if mode == "fail":
    sys.exit(1)
if mode == "resume" and state["runs"] <= 2:
    sys.exit(3)
if mode == "signal":
    for i in range(state["it"], 120):
        time.sleep(1)
        if received:
            state["it"] = i + 1
            checkpoint.write_text(json.dumps(state))
            event(what="usr1", it=i)
            sys.exit(3)
        if state["runs"] >= 2 and i >= state["it"] + 3:
            break
(workdir / "done").write_text(f"runs={state['runs']}\\n")
"""


@dataclass
class Run:
    workdir: Path
    returncode: int
    output: str

    def events(self, job_id: str) -> list[dict]:
        path = self.workdir / "results" / "jobs" / job_id / "events.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()]

    def slurm_log(self, slurm_job_id: str) -> str:
        logs = list((self.workdir / ".snakemake" / "slurm_logs").rglob(f"{slurm_job_id}.log"))
        assert logs, f"no Slurm log for job {slurm_job_id}"
        return logs[0].read_text()


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


@pytest.fixture(scope="module")
def prototype_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    """One Snakemake run through profiles/slurm with a resume, a signal and a failing job."""
    workdir = tmp_path_factory.mktemp("slurm_prototype")
    (workdir / "Snakefile").write_text(SNAKEFILE)
    (workdir / "runner.py").write_text(textwrap.dedent(RUNNER))
    (workdir / "job.py").write_text(textwrap.dedent(JOB_SCRIPT))
    config = {
        "job_ids": ["resume", "signal", "fail"],
        "python": sys.executable,
        "signal_seconds": 50,
        "cluster_requirements": {
            "partition": "debug",
            "request_cpus": 1,
            "memory_in_mb": 500,
            "request_time": "1:00",  # 1 minute: the signal comes 50 s before the end
            "signal_seconds_to_timeout": 50,
            "bid": 1000,  # HTCondor only: ignored
        },
    }
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "snakemake",
            "--profile",
            str(REPO_ROOT / "profiles" / "slurm"),
            "--configfile",
            "config.yaml",
            "--slurm-init-seconds-before-status-checks",
            "1",
            "--seconds-between-status-checks",
            "1",
            "--slurm-keep-successful-logs",
        ],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=480,
        check=False,
    )
    yield Run(workdir, proc.returncode, proc.stdout + proc.stderr)


def test_exit_for_resume_requeues_the_same_job_until_it_succeeds(prototype_run: Run) -> None:
    run = prototype_run
    done = run.workdir / "results" / "jobs" / "resume" / "done"
    assert done.read_text() == "runs=3\n", run.output[-5000:]
    events = run.events("resume")
    assert [e["run"] for e in events] == [1, 2, 3]
    slurm_ids = {e["job"] for e in events}
    assert len(slurm_ids) == 1  # one Slurm job, requeued twice, one Snakemake job
    (slurm_id,) = slurm_ids
    assert sacct_states(slurm_id) == ["REQUEUED", "REQUEUED", "COMPLETED"]
    # each run starts after the previous one ended: a fresh allocation and time limit
    assert events[1]["t"] > events[0]["t"] and events[2]["t"] > events[1]["t"]
    # the Slurm log was appended to, not truncated by the requeues
    log = run.slurm_log(slurm_id)
    for n in (1, 2, 3):
        assert f"job script run {n}" in log
    # not reported as a failure by Snakemake
    assert not re.search(r"Error in rule run_job:\s+message: SLURM-job '" + slurm_id, run.output)


def test_timeout_signal_reaches_the_job_script(prototype_run: Run) -> None:
    run = prototype_run
    events = run.events("signal")
    starts = [e for e in events if e["what"] == "start"]
    usr1 = [e for e in events if e["what"] == "usr1"]
    assert len(usr1) == 1, (events, run.output[-5000:])
    # 1 minute limit, signal 50 s before the end: ~10 s after the job started
    elapsed = usr1[0]["t"] - starts[0]["t"]
    assert 3 < elapsed < 25, elapsed
    # checkpoint + exit_for_resume, then the requeued job continued from the checkpoint
    assert len(starts) == 2 and starts[1]["it"] == usr1[0]["it"] + 1
    assert (run.workdir / "results" / "jobs" / "signal" / "done").read_text() == "runs=2\n"
    (slurm_id,) = {e["job"] for e in events}
    assert sacct_states(slurm_id) == ["REQUEUED", "COMPLETED"]


def test_failing_job_is_not_retried(prototype_run: Run) -> None:
    run = prototype_run
    assert run.returncode != 0  # the run reports the failure (keep-going ran the others)
    events = run.events("fail")
    assert len(events) == 1
    assert not (run.workdir / "results" / "jobs" / "fail" / "done").exists()
    assert sacct_states(events[0]["job"]) == ["FAILED"]
    assert "Error in rule run_job" in run.output and "job_id=fail" in run.output
