"""hp_optimization latency: from a job's end to its successor's start, locally.

Runs ``python -m cluster_utils.hp_optimization`` on ~30 short jobs of different lengths with
``n_jobs_per_iteration = 2`` (the default ``n_completed_jobs_before_resubmit = 1``) and reads
every job's attempt start/end times from ``jobs/<id>/state.json``. With a refill per completion,
the k-th job end triggers the (n_jobs_per_iteration + k)-th job start; the latency is the
difference. Prints median and max, and their ratio to the 1 s target.

    python benchmarks/hpo_latency.py [--samples 30] [--jobs-per-iteration 2] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from compiled_sources import compile_sources  # benchmarks/ is on sys.path when run as a script

TARGET_SECONDS = 1.0

JOB_SCRIPT = """
import time
from cluster_utils import finalize_job, initialize_job

params = initialize_job()
time.sleep(params.duration)
finalize_job({"loss": (params.duration - 0.5) ** 2}, params)
"""


def write_experiment(workdir: Path, samples: int, jobs_per_iteration: int) -> Path:
    (workdir / "job.py").write_text(textwrap.dedent(JOB_SCRIPT))
    config = {
        "optimization_procedure_name": "latency",
        "results_dir": "results",
        "script_relative_path": "job.py",
        "run_in_working_dir": True,
        "environment_setup": {},
        "cluster_requirements": {"request_cpus": 1},
        "optimizer_str": "cem_metaoptimizer",
        "optimizer_settings": {"with_restarts": False, "num_jobs_in_elite": 5},
        "optimization_setting": {
            "metric_to_optimize": "loss",
            "minimize": True,
            "number_of_samples": samples,
            "n_jobs_per_iteration": jobs_per_iteration,
            "run_local": True,
        },
        "optimized_params": [
            {"param": "duration", "distribution": "TruncatedNormal", "bounds": [0.05, 1.0]}
        ],
    }
    path = workdir / "latency.json"
    path.write_text(json.dumps(config, indent=2))
    return path


def attempt_times(experiment: Path) -> tuple[list[float], list[float]]:
    starts, ends = [], []
    for state_file in (experiment / "jobs").glob("*/state.json"):
        attempts = json.loads(state_file.read_text())["attempts"]
        starts.append(attempts[0]["start"])
        ends.append(attempts[-1]["end"])
    return sorted(starts), sorted(ends)


def successor_latencies(starts: list[float], ends: list[float], in_flight: int) -> list[float]:
    return [starts[in_flight + k] - ends[k] for k in range(len(starts) - in_flight)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--jobs-per-iteration", type=int, default=2)
    parser.add_argument("--keep", type=Path, help="run in this directory and keep it")
    args = parser.parse_args()
    compile_sources()
    with tempfile.TemporaryDirectory(prefix="hpo_latency_") as tmp:
        workdir = args.keep or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        config = write_experiment(workdir, args.samples, args.jobs_per_iteration)
        began = time.monotonic()
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "cluster_utils.hp_optimization",
                str(config),
                "--cores",
                str(args.jobs_per_iteration),
            ],
            cwd=workdir,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
        )
        wall = time.monotonic() - began
        if run.returncode != 0:
            print(run.stderr, file=sys.stderr)
            return run.returncode
        starts, ends = attempt_times(workdir / "results" / "latency")
    latencies = successor_latencies(starts, ends, args.jobs_per_iteration)
    median, worst = statistics.median(latencies), max(latencies)
    print(
        f"hp_optimization local end-to-successor-start latency over {len(starts)} jobs "
        f"(n_jobs_per_iteration={args.jobs_per_iteration}, {len(latencies)} successors, "
        f"wall time {wall:.1f} s)"
    )
    print(f"  median {median * 1000:.0f} ms  ({median / TARGET_SECONDS:.2f} x the 1 s target)")
    print(f"  max    {worst * 1000:.0f} ms  ({worst / TARGET_SECONDS:.2f} x the 1 s target)")
    return 0 if worst < TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
