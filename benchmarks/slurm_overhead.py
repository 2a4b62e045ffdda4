"""Slurm overhead: N trivial jobs through profiles/slurm vs N raw `sbatch` of the same job script.

    python benchmarks/slurm_overhead.py [--jobs 50] [--repeat 3] [--skip-raw]
        [--snakemake-args ...]

Needs a Slurm cluster with accounting (here: `scripts/slurm-localhost.sh start`, as root). Both
sides run the same trivial @cluster_main script with the same parameter files and the same
per-job request (1 CPU, 200 MB, 5 minutes), so Slurm runs as many at once in both (what the
cluster allows; no throttle on either side):

- raw: every job submitted at once with its own `sbatch --wrap "python job.py params.json"`,
  then `sacct` polled every second until all are COMPLETED (the wall time ends at the poll that
  sees the last one);
- ours: `cluster-utils grid-search CONFIG --profile slurm` (planning, Snakemake, array
  submission, status polling, results table), wall time of the whole command.

Prints both wall times of each run, where our time went (start-up until the array was
submitted, Slurm running the jobs, the tail from the last job's end until the command returned:
status latency, collecting results, Snakemake ending), the ratios and their median, and both
sides' sbatch and sacct calls (``cluster_overhead.py``).
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

# benchmarks/ is on sys.path when run as a script
from cluster_overhead import REQUEST, compare, raw_params


def run_raw(workdir: Path, n_jobs: int) -> tuple[float, int]:
    """Wall time of N raw sbatch jobs (submitted at once) and the number of sacct polls."""
    params = raw_params(workdir, n_jobs)
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


def main() -> None:
    result = compare(__doc__.splitlines()[0], "slurm", "slurm_arrays.jsonl", run_raw)
    counts = re.findall(
        r"cluster_utils: (\d+) sbatch calls \((\d+) array tasks\), (\d+) status queries in "
        r"(\d+) status cycles",
        result.log,
    )
    sbatch, tasks, queries, cycles = counts[-1] if counts else ("?", "?", "?", "?")
    result.print(
        "Slurm overhead",
        (
            f"raw sbatch x {result.jobs}",
            f"{result.jobs} sbatch calls, {result.raw_polls} sacct polls",
        ),
        (
            "cluster-utils --profile slurm",
            f"{sbatch} sbatch calls for {tasks} array tasks, {queries} sacct calls in {cycles} "
            "status cycles",
        ),
    )


if __name__ == "__main__":
    main()
