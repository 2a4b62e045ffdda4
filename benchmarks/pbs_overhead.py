"""PBS overhead: N trivial jobs through profiles/pbs vs N raw `qsub` of the same job script.

    scripts/pbs-localhost.sh run .venv/bin/python benchmarks/pbs_overhead.py [--jobs 50]
        [--repeat 3] [--skip-raw] [--snakemake-args ...]

Needs a PBS server with job history on (here: `scripts/pbs-localhost.sh start`, as root; then run
this inside its network namespace, as above). Both sides run the same trivial @cluster_main
script with the same parameter files and the same per-job request (1 CPU, 200 MB, 5 minutes), so
PBS runs as many at once in both (what the node allows; no throttle on either side):

- raw: every job submitted at once with its own `qsub -- python job.py params.json`, then
  `qstat -x` polled every second until all have finished (the wall time ends at the poll that
  sees the last one);
- ours: `cluster-utils grid-search CONFIG --profile pbs` (planning, Snakemake, array submission,
  status polling, results table), wall time of the whole command.

Prints both wall times of each run, where our time went, the ratios and their median, and both
sides' qsub and qstat calls (``cluster_overhead.py``).
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
    """Wall time of N raw qsub jobs (submitted at once) and the number of qstat polls."""
    params = raw_params(workdir, n_jobs)
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


def main() -> None:
    result = compare(__doc__.splitlines()[0], "pbs", "pbs_arrays.jsonl", run_raw)
    counts = re.findall(
        r"cluster_utils: (\d+) qsub calls \((\d+) jobs, \d+ resubmitted for resume\), (\d+) "
        r"qstat calls in (\d+) status cycles",
        result.log,
    )
    qsub, jobs, queries, cycles = counts[-1] if counts else ("?", "?", "?", "?")
    result.print(
        "PBS overhead",
        (f"raw qsub x {result.jobs}", f"{result.jobs} qsub calls, {result.raw_polls} qstat polls"),
        (
            "cluster-utils --profile pbs",
            f"{qsub} qsub calls for {jobs} jobs, {queries} qstat calls in {cycles} status cycles",
        ),
    )


if __name__ == "__main__":
    main()
