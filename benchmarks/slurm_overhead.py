"""Slurm overhead: N trivial jobs through profiles/slurm vs N raw `sbatch` of the same job script.

    python benchmarks/slurm_overhead.py [--jobs 50] [--skip-raw] [--snakemake-args ...]

Needs a Slurm cluster with accounting (here: `scripts/slurm-localhost.sh start`, as root). Both
sides run the same trivial @cluster_main script with the same parameter files and the same
per-job request (1 CPU, 200 MB, 5 minutes), so Slurm runs as many at once in both (what the
cluster allows; no throttle on either side):

- raw: every job submitted at once with its own `sbatch --wrap "python job.py params.json"`,
  then `sacct` polled every second until all are COMPLETED (the wall time ends at the poll that
  sees the last one);
- ours: `cluster-utils grid-search CONFIG --profile slurm` (planning, Snakemake, array
  submission, status polling, results table), wall time of the whole command.

Prints both wall times, their ratio, our sbatch calls and status queries, and where our time
goes (from the command's start, the first sbatch in slurm_arrays.jsonl, and each job's runner
start and end in its state.json): start-up until the array is submitted, Slurm running the
jobs, and the tail from the last job's end until the command returned (status-poll latency,
collecting results, Snakemake ending).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from trivial_job import JOB_SCRIPT  # benchmarks/ is on sys.path when run as a script

REQUEST = {"request_cpus": 1, "memory_in_mb": 200, "request_time": "5"}


def run_raw(workdir: Path, n_jobs: int) -> tuple[float, int]:
    """Wall time of N raw sbatch jobs (submitted at once) and the number of sacct polls."""
    params = []
    for x in range(n_jobs):
        path = workdir / "raw_params" / f"{x}.json"
        path.parent.mkdir(exist_ok=True)
        path.write_text(
            json.dumps({"x": x, "id": x, "working_dir": str(workdir / "raw_wd" / str(x))})
        )
        params.append(path)
    start = time.perf_counter()
    ids = []
    for path in params:
        out = subprocess.run(
            [
                "sbatch",
                "--parsable",
                "--job-name",
                "raw_benchmark",
                "-o",
                "/dev/null",
                "-t",
                REQUEST["request_time"],
                "--mem",
                str(REQUEST["memory_in_mb"]),
                "--cpus-per-task",
                str(REQUEST["request_cpus"]),
                "-D",
                str(workdir),
                "--wrap",
                f"{sys.executable} job.py {path}",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        ids.append(out.strip().split(";")[0])
    polls = 0
    while True:
        polls += 1
        out = subprocess.run(
            ["sacct", "-X", "-n", "-P", "-o", "JobID,State", "-j", ",".join(ids)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        states = dict(line.split("|")[:2] for line in out.splitlines() if "|" in line)
        finished = [s for s in states.values() if s.split()[0] not in ("PENDING", "RUNNING")]
        if len(states) == n_jobs and len(finished) == n_jobs:
            elapsed = time.perf_counter() - start
            bad = [s for s in states.values() if s != "COMPLETED"]
            if bad:
                sys.exit(f"raw jobs did not complete: {bad[:5]}")
            return elapsed, polls
        time.sleep(1)


def timeline(experiment: Path, started: float, ended: float) -> dict[str, float]:
    """Seconds of each phase of our run, from the experiment's own records."""
    internal = experiment / ".cluster_utils"
    arrays = [
        json.loads(line) for line in (internal / "slurm_arrays.jsonl").read_text().splitlines()
    ]
    submitted = min(record["submitted"] for record in arrays)
    starts, ends = [], []
    for state_file in (experiment / "jobs").glob("*/state.json"):
        attempts = [a for a in json.loads(state_file.read_text())["attempts"] if a["end"]]
        starts += [min(a["start"] for a in attempts)] if attempts else []
        ends += [max(a["end"] for a in attempts)] if attempts else []
    return {
        "start-up until the sbatch call returned": submitted - started,
        "sbatch -> first job started": min(starts) - submitted,
        "first job started -> last job ended": max(ends) - min(starts),
        "last job ended -> command returned": ended - max(ends),
    }


def run_ours(
    workdir: Path, n_jobs: int, snakemake_args: list[str]
) -> tuple[float, str, dict[str, float]]:
    config = workdir / "ours.json"
    config.write_text(
        json.dumps(
            {
                "optimization_procedure_name": "ours",
                "results_dir": str(workdir / "results"),
                "script_relative_path": "job.py",
                "run_in_working_dir": True,
                "environment_setup": {},
                "cluster_requirements": REQUEST,
                "hyperparam_list": [{"param": "x", "values": list(range(n_jobs))}],
                "generate_report": "never",
                "no_user_interaction": True,
            }
        )
    )
    argv = [sys.executable, "-m", "cluster_utils.cli.main", "grid-search", str(config)]
    argv += ["--profile", "slurm"]
    if snakemake_args:
        argv += ["--snakemake-args", *snakemake_args]
    start, started = time.perf_counter(), time.time()
    result = subprocess.run(
        argv, cwd=workdir, stdin=subprocess.DEVNULL, capture_output=True, text=True
    )
    elapsed, ended = time.perf_counter() - start, time.time()
    experiment = workdir / "results" / "ours"
    log = (experiment / ".cluster_utils" / "snakemake.log").read_text()
    if result.returncode != 0:
        sys.exit(f"cluster-utils failed ({result.returncode}):\n{result.stderr[-3000:]}")
    return elapsed, log, timeline(experiment, started, ended)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=50)
    parser.add_argument("--skip-raw", action="store_true", help="only run cluster_utils")
    parser.add_argument(
        "--snakemake-args", nargs=argparse.REMAINDER, default=[], help="passed to snakemake"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        (workdir / "job.py").write_text(JOB_SCRIPT)
        raw, polls = (None, 0) if args.skip_raw else run_raw(workdir, args.jobs)
        ours, log, phases = run_ours(workdir, args.jobs, args.snakemake_args)

    counts = re.findall(
        r"cluster_utils: (\d+) sbatch calls \((\d+) array tasks\), (\d+) status queries in "
        r"(\d+) status cycles",
        log,
    )
    sbatch, tasks, queries, cycles = counts[-1] if counts else ("?", "?", "?", "?")
    print(f"\nSlurm overhead, {args.jobs} trivial @cluster_main jobs")
    if raw is not None:
        label = f"raw sbatch x {args.jobs}:"
        print(f"  {label:<30} {raw:7.1f} s  ({args.jobs} sbatch calls, {polls} sacct polls)")
    print(
        f"  cluster-utils --profile slurm: {ours:7.1f} s  ({sbatch} sbatch calls for {tasks} "
        f"array tasks, {queries} sacct calls in {cycles} status cycles)"
    )
    for phase, seconds in phases.items():
        print(f"    {phase:<42} {seconds:6.1f} s")
    if raw is not None:
        print(f"  ratio ours/raw: {ours / raw:.2f}")


if __name__ == "__main__":
    main()
