"""The harness the cluster overhead benchmarks (slurm_overhead.py, pbs_overhead.py) share: the
trivial job, its parameter files and request, the grid through a cluster profile, the command
line, where our time goes, and the printed comparison. Each benchmark brings its raw submission
(N jobs submitted at once, polled every second until all have finished), its arrays record and
its scheduler's words.

A cluster's own pace varies by a second or two between runs (on the localhost Slurm it starts
two jobs every ~1.7 s), so one pair of runs is a noisy ratio: ``--repeat N`` runs both sides N
times, alternating, and prints every pair and the median ratio.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

# benchmarks/ is on sys.path when run as a script
from compiled_sources import compile_sources
from trivial_job import JOB_SCRIPT

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


@dataclass
class OursRun:
    """One run of ``cluster-utils grid-search``: wall time, Snakemake log, phases (seconds)."""

    seconds: float
    log: str
    phases: dict[str, float]


def phases(experiment: Path, arrays_file: str, started: float, ended: float) -> dict[str, float]:
    """Where the time of our run went, from the experiment's own records: the first array's
    submission (the executor's arrays record) and each job's runner start and end (state.json)."""
    internal = experiment / ".cluster_utils"
    arrays = [json.loads(line) for line in (internal / arrays_file).read_text().splitlines()]
    submitted = min(record["submitted"] for record in arrays)
    starts, ends = [], []
    for state_file in (experiment / "jobs").glob("*/state.json"):
        attempts = [a for a in json.loads(state_file.read_text())["attempts"] if a["end"]]
        starts += [min(a["start"] for a in attempts)] if attempts else []
        ends += [max(a["end"] for a in attempts)] if attempts else []
    return {
        "start-up until the first array was submitted": submitted - started,
        "submitted -> first job started": min(starts) - submitted,
        "first job started -> last job ended": max(ends) - min(starts),
        "last job ended -> command returned": ended - max(ends),
    }


def run_ours(
    workdir: Path, n_jobs: int, profile: str, arrays_file: str, snakemake_args: list[str]
) -> OursRun:
    """``cluster-utils grid-search CONFIG --profile PROFILE``: wall time, log and phases."""
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
    start, started = time.perf_counter(), time.time()
    result = subprocess.run(
        argv, cwd=workdir, stdin=subprocess.DEVNULL, capture_output=True, text=True
    )
    elapsed, ended = time.perf_counter() - start, time.time()
    experiment = workdir / "results" / "ours"
    if result.returncode != 0:
        sys.exit(f"cluster-utils failed ({result.returncode}):\n{result.stderr[-3000:]}")
    log = (experiment / ".cluster_utils" / "snakemake.log").read_text()
    return OursRun(elapsed, log, phases(experiment, arrays_file, started, ended))


@dataclass
class Comparison:
    """Both sides' wall times per repetition (no raw ones with --skip-raw) and our runs."""

    jobs: int
    raw: list[tuple[float, int]] = field(default_factory=list)  #: (seconds, polls) per run
    ours: list[OursRun] = field(default_factory=list)

    @property
    def log(self) -> str:
        """Our last run's Snakemake log (for the calls the executor counted)."""
        return self.ours[-1].log

    @property
    def raw_polls(self) -> int:
        return self.raw[-1][1] if self.raw else 0

    def print(self, title: str, raw: tuple[str, str], ours: tuple[str, str]) -> None:
        """Each run's wall times, our phases, each side's label and calls (``(label, calls)``,
        of the last run), and the ratios with their median."""
        print(f"\n{title}, {self.jobs} trivial @cluster_main jobs, {len(self.ours)} run(s)")
        width = max(len(raw[0]), len(ours[0])) + 1
        ratios = []
        for i, run in enumerate(self.ours):
            print(f"  run {i + 1}:")
            if self.raw:
                print(f"    {raw[0] + ':':<{width}} {self.raw[i][0]:7.1f} s")
            print(f"    {ours[0] + ':':<{width}} {run.seconds:7.1f} s")
            for phase, seconds in run.phases.items():
                print(f"      {phase:<46} {seconds:6.1f} s")
            if self.raw:
                ratios.append(run.seconds / self.raw[i][0])
                print(f"    ratio ours/raw: {ratios[-1]:.2f}")
        print(f"  calls (last run): {raw[0]}: {raw[1]}; {ours[0]}: {ours[1]}")
        if ratios:
            listed = ", ".join(f"{r:.2f}" for r in ratios)
            print(f"  ratio ours/raw: median {statistics.median(ratios):.2f} (runs: {listed})")


def compare(description: str, profile: str, arrays_file: str, run_raw: RawRun) -> Comparison:
    """Parse the command line (--jobs, --repeat, --skip-raw, --snakemake-args) and run both
    sides, raw first, alternating, each run in a fresh temporary directory."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--jobs", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3, help="pairs of runs (default 3)")
    parser.add_argument("--skip-raw", action="store_true", help="only run cluster_utils")
    parser.add_argument(
        "--snakemake-args", nargs=argparse.REMAINDER, default=[], help="passed to snakemake"
    )
    args = parser.parse_args()
    compile_sources()
    comparison = Comparison(args.jobs)
    for _ in range(max(1, args.repeat)):
        with tempfile.TemporaryDirectory() as tmp:
            workdir = Path(tmp)
            (workdir / "job.py").write_text(JOB_SCRIPT)
            if not args.skip_raw:
                comparison.raw.append(run_raw(workdir, args.jobs))
            comparison.ours.append(
                run_ours(workdir, args.jobs, profile, arrays_file, args.snakemake_args)
            )
    return comparison
