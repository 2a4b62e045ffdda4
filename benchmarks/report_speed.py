"""Time the grid_search PDF report on a built 500-job experiment directory.

    python benchmarks/report_speed.py [--keep DIR]

Builds a 5 x 4 x 5 x 5 grid (500 jobs: learning rate, optimizer, layers, dropout; metrics
loss and accuracy plus time_elapsed; 8 failed and 3 resumed jobs) in a temporary directory with
``tests/report/experiment_builder.py``, loads it and writes its report, and prints the wall time
against the 15 s target of the design.  The 3.0 figure is quoted from the project's notes on
upstream cluster_utils, not measured here.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

# The experiment builder lives with the report tests (it is no part of the package).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TARGET_SECONDS = 15.0
UPSTREAM_QUOTE = (
    "cluster_utils 3.0: 54 s for 63 plots at dpi 1200 (quoted from the notes, not measured)"
)

GRID = {
    "fn_args.learning_rate": [1e-5, 1e-4, 1e-3, 1e-2, 1e-1],
    "fn_args.optimizer": ["adam", "adamw", "sgd", "rmsprop"],
    "fn_args.num_layers": [1, 2, 4, 8, 16],
    "fn_args.dropout": [0.0, 0.1, 0.2, 0.3, 0.5],
}


def run(directory: Path) -> None:
    from pypdf import PdfReader

    from cluster_utils.report import load_experiment, report_from
    from tests.report.experiment_builder import make_grid_experiment

    experiment = make_grid_experiment(
        directory / "grid_500", hyperparams=GRID, n_failed=8, n_resumed=3, n_slots=16
    )
    n_jobs = sum(1 for _ in (experiment / "jobs").iterdir())
    import cluster_utils.report.render  # noqa: F401  (exclude import time from the timing)

    start = time.perf_counter()
    data = load_experiment(experiment)
    output = report_from(data, data.report_pdf())
    seconds = time.perf_counter() - start
    pages = len(PdfReader(output).pages)
    size_kb = output.stat().st_size / 1024
    print(f"grid report, {n_jobs} jobs: {seconds:.2f} s, {pages} pages, {size_kb:.0f} KiB")
    print(f"target {TARGET_SECONDS:.0f} s: ratio {seconds / TARGET_SECONDS:.2f} of the target")
    print(f"reference: {UPSTREAM_QUOTE}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="write the experiment here and keep it")
    args = parser.parse_args()
    if args.keep is not None:
        args.keep.mkdir(parents=True, exist_ok=True)
        run(args.keep)
        return
    with tempfile.TemporaryDirectory() as tmp:
        run(Path(tmp))


if __name__ == "__main__":
    main()
