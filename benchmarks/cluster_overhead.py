"""The harness the cluster overhead benchmarks (slurm_overhead.py, pbs_overhead.py) share: the
trivial job, its parameter files and request, the grid through a cluster profile, the command
line, and the printed comparison. Each benchmark brings its raw submission (N jobs submitted at
once, polled every second until all have finished) and its scheduler's words."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from trivial_job import JOB_SCRIPT  # benchmarks/ is on sys.path when run as a script

#: the per-job request of both sides
REQUEST = {"request_cpus": 1, "memory_in_mb": 200, "request_time": "5"}

#: a raw side: (workdir, n_jobs) -> (wall time in seconds, status polls)
RawRun = Callable[[Path, int], tuple[float, int]]


def raw_params(workdir: Path, n_jobs: int) -> list[Path]:
    """The parameter files of the raw jobs (what cluster_utils would write for the same grid)."""
    params = []
    for x in range(n_jobs):
        path = workdir / "raw_params" / f"{x}.json"
        path.parent.mkdir(exist_ok=True)
        path.write_text(
            json.dumps({"x": x, "id": x, "working_dir": str(workdir / "raw_wd" / str(x))})
        )
        params.append(path)
    return params


def run_ours(
    workdir: Path, n_jobs: int, profile: str, snakemake_args: list[str]
) -> tuple[float, str]:
    """Wall time of ``cluster-utils grid-search CONFIG --profile PROFILE`` and its Snakemake log."""
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
    argv += ["--profile", profile]
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


@dataclass
class Comparison:
    """Both sides' wall times (``raw_seconds`` None with --skip-raw) and our Snakemake log."""

    jobs: int
    raw_seconds: float | None
    raw_polls: int
    ours_seconds: float
    log: str

    def print(self, title: str, raw: tuple[str, str], ours: tuple[str, str]) -> None:
        """The result: each side's label, wall time and calls (``(label, calls)``), the ratio."""
        print(f"\n{title}, {self.jobs} trivial @cluster_main jobs")
        width = max(len(raw[0]), len(ours[0])) + 1
        if self.raw_seconds is not None:
            print(f"  {raw[0] + ':':<{width}} {self.raw_seconds:7.1f} s  ({raw[1]})")
        print(f"  {ours[0] + ':':<{width}} {self.ours_seconds:7.1f} s  ({ours[1]})")
        if self.raw_seconds is not None:
            print(f"  ratio ours/raw: {self.ours_seconds / self.raw_seconds:.2f}")


def compare(description: str, profile: str, run_raw: RawRun) -> Comparison:
    """Parse the command line (--jobs, --skip-raw, --snakemake-args) and run both sides, raw
    first, in a temporary directory."""
    parser = argparse.ArgumentParser(description=description)
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
        ours, log = run_ours(workdir, args.jobs, profile, args.snakemake_args)
    return Comparison(args.jobs, raw, polls, ours, log)
