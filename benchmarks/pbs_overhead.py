"""PBS overhead: N trivial jobs through profiles/pbs vs N raw `qsub` of the same job script.

    scripts/pbs-localhost.sh run .venv/bin/python benchmarks/pbs_overhead.py [--jobs 50]
        [--skip-raw] [--snakemake-args ...]

Needs a PBS server with job history on (here: `scripts/pbs-localhost.sh start`, as root; then run
this inside its network namespace, as above). Both sides run the same trivial @cluster_main
script with the same parameter files and the same per-job request (1 CPU, 200 MB, 5 minutes), so
PBS runs as many at once in both (what the node allows; no throttle on either side):

- raw: every job submitted at once with its own `qsub -- python job.py params.json`, then
  `qstat -x` polled every second until all have finished (the wall time ends at the poll that
  sees the last one);
- ours: `cluster-utils grid-search CONFIG --profile pbs` (planning, Snakemake, array submission,
  status polling, results table), wall time of the whole command.

Prints both wall times, their ratio, and both sides' qsub and qstat calls.
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
    """Wall time of N raw qsub jobs (submitted at once) and the number of qstat polls."""
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
        script = f"cd {workdir} && exec {sys.executable} job.py {path}\n"
        out = subprocess.run(
            [
                "qsub",
                "-N",
                "raw_benchmark",
                "-j",
                "oe",
                "-o",
                "/dev/null",
                "-l",
                f"select=1:ncpus={REQUEST['request_cpus']}:mem={REQUEST['memory_in_mb']}mb",
                "-l",
                "walltime=00:05:00",
            ],
            input=script,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        ids.append(out.strip())
    polls = 0
    while True:
        polls += 1
        out = subprocess.run(
            ["qstat", "-x", "-f", *ids], capture_output=True, text=True, check=True
        ).stdout
        states = re.findall(r"^\s+job_state = (\S+)", out, re.MULTILINE)
        if len(states) == n_jobs and all(s in ("F", "X") for s in states):
            elapsed = time.perf_counter() - start
            codes = re.findall(r"^\s+Exit_status = (-?\d+)", out, re.MULTILINE)
            if len(codes) != n_jobs or set(codes) != {"0"}:
                sys.exit(f"raw jobs did not all succeed: exit statuses {sorted(set(codes))}")
            return elapsed, polls
        time.sleep(1)


def run_ours(workdir: Path, n_jobs: int, snakemake_args: list[str]) -> tuple[float, str]:
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
    argv += ["--profile", "pbs"]
    if snakemake_args:
        argv += ["--snakemake-args", *snakemake_args]
    start = time.perf_counter()
    result = subprocess.run(
        argv, cwd=workdir, stdin=subprocess.DEVNULL, capture_output=True, text=True
    )
    elapsed = time.perf_counter() - start
    log = (workdir / "results" / "ours" / ".cluster_utils" / "snakemake.log").read_text()
    if result.returncode != 0:
        sys.exit(f"cluster-utils failed ({result.returncode}):\n{result.stderr[-3000:]}")
    return elapsed, log


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
        ours, log = run_ours(workdir, args.jobs, args.snakemake_args)

    counts = re.findall(
        r"cluster_utils: (\d+) qsub calls \((\d+) jobs, \d+ resubmitted for resume\), (\d+) "
        r"qstat calls in (\d+) status cycles",
        log,
    )
    qsub, jobs, queries, cycles = counts[-1] if counts else ("?", "?", "?", "?")
    print(f"\nPBS overhead, {args.jobs} trivial @cluster_main jobs")
    if raw is not None:
        label = f"raw qsub x {args.jobs}:"
        print(f"  {label:<28} {raw:7.1f} s  ({args.jobs} qsub calls, {polls} qstat polls)")
    print(
        f"  cluster-utils --profile pbs: {ours:7.1f} s  ({qsub} qsub calls for {jobs} jobs, "
        f"{queries} qstat calls in {cycles} status cycles)"
    )
    if raw is not None:
        print(f"  ratio ours/raw: {ours / raw:.2f}")


if __name__ == "__main__":
    main()
