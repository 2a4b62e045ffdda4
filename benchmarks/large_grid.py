"""Scale: a 10,000-setting grid -- plan + validate + dry-run, no-op rerun, result aggregation.

    python benchmarks/large_grid.py [--settings 10000] [--profile local]

Runs the real CLI on a grid of trivial jobs: (1) `--dry-run` of the fresh grid (expansion, schema
validation, the listing of 10,000 jobs; read-only), (2) planning (10,000 parameter files, ids,
plan.json), (3) the run itself is skipped: instead every job's outcome files are written
directly, as if all had finished, (4) a no-op rerun of the same command (state check of every
job, Snakemake's DAG, nothing to do), (5) aggregating the 10,000 metrics.csv into all_data.csv.
Prints each figure with its target and the ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from compiled_sources import compile_sources  # benchmarks/ is on sys.path when run as a script

from cluster_utils.experiment import job_state
from cluster_utils.experiment.layout import ExperimentLayout
from cluster_utils.experiment.plan import planned_job_ids
from cluster_utils.experiment.settings import prepare_settings
from cluster_utils.grid.planning import plan_grid_search
from cluster_utils.results.collect import collect_results

TARGETS = {"dry-run": 15.0, "plan": 15.0, "no-op rerun": 10.0, "aggregation": 5.0}


def cli(workdir: Path, *args: str) -> float:
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "cluster_utils.cli.main", "grid-search", "grid.json", *args],
        cwd=workdir,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    if result.returncode != 0:
        sys.exit(f"cluster-utils failed:\n{result.stderr[-3000:]}")
    return time.perf_counter() - start


def pretend_all_finished(layout: ExperimentLayout) -> None:
    from cluster_utils.experiment.chunks import local_chunk_size, make_chunks, read_chunk

    job_ids = planned_job_ids(layout) or []
    # the chunks a local run of this grid has (grid/driver.py: one slot per core here)
    make_chunks(layout, job_ids, local_chunk_size(len(job_ids), os.cpu_count() or 1))
    for job_id in job_ids:
        workdir = layout.working_dir(job_id)
        workdir.mkdir(parents=True, exist_ok=True)
        (workdir / "metrics.csv").write_text(f"y,time_elapsed\n{job_id * 2},0.01\n")
        state = job_state.JobState(id=job_id, status=job_state.SUCCEEDED, return_code=0)
        job_state.save_state(layout, state)
        layout.done_marker(job_id).touch()
    if layout.chunks_dir.is_dir():
        for members in layout.chunks_dir.glob("*.json"):
            read_chunk(layout, members.stem)
            layout.chunk_marker(members.stem).touch()
    layout.all_data_csv.touch()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--settings", type=int, default=10_000)
    parser.add_argument("--profile", default="local")
    args = parser.parse_args()
    compile_sources()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        (workdir / "job.py").write_text("print('never run')\n")
        side = int(args.settings**0.5)
        config = {
            "optimization_procedure_name": "large",
            "results_dir": "results",
            "script_relative_path": "job.py",
            "run_in_working_dir": True,
            "environment_setup": {},
            "hyperparam_list": [
                {"param": "a", "values": list(range(side))},
                {"param": "b", "values": list(range(args.settings // side))},
            ],
        }
        (workdir / "grid.json").write_text(json.dumps(config))
        figures = {"dry-run": cli(workdir, "--profile", args.profile, "--dry-run")}
        layout = ExperimentLayout.at(workdir / "results" / "large")
        start = time.perf_counter()
        settings = prepare_settings(config, "grid_search").settings
        n_jobs = len(plan_grid_search(settings, workdir, layout).job_ids)
        figures["plan"] = time.perf_counter() - start
        pretend_all_finished(layout)
        figures["no-op rerun"] = cli(workdir, "--profile", args.profile)
        start = time.perf_counter()
        summary = collect_results(layout, planned_job_ids(layout) or [])
        figures["aggregation"] = time.perf_counter() - start
        assert summary.counts["succeeded"] == n_jobs

    print(f"\n{n_jobs} jobs, profile {args.profile}")
    print(f"{'step':<14} {'seconds':>8} {'target':>8} {'ratio':>7}")
    for step, seconds in figures.items():
        print(f"{step:<14} {seconds:>8.1f} {TARGETS[step]:>8.1f} {seconds / TARGETS[step]:>7.2f}")


if __name__ == "__main__":
    main()
