"""3.0's example hp_optimization configs run unchanged (local overrides only)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from tests.hpo.hpo_helpers import UPSTREAM_BASIC, HpoRun

pytestmark = pytest.mark.slow

EXAMPLES = {
    "optimization_metaopt.json": "test_asynch_opt_metaopt",
    "optimization_metaopt.toml": "test_asynch_opt_metaopt",
    "optimization_ng.json": "test_asynch_opt_ng",
    "optimize_locally.json": "test_local_opt",
}
SAMPLES = 12
IN_FLIGHT = 4


@pytest.mark.parametrize("config_name", sorted(EXAMPLES))
def test_upstream_example_runs(hpo_workdir: Path, config_name: str) -> None:
    run = HpoRun(hpo_workdir, UPSTREAM_BASIC / config_name, EXAMPLES[config_name])
    result = run.run(
        "run_in_working_dir=True",
        'script_relative_path="fn_job.py"',
        f"optimization_setting.number_of_samples={SAMPLES}",
        f"optimization_setting.n_jobs_per_iteration={IN_FLIGHT}",
        "optimization_setting.run_local=True",
    )
    assert result.returncode == 0, result.stderr
    settings = json.loads((run.results / "settings.json").read_text())
    metric = settings["optimization_setting"]["metric_to_optimize"]

    all_data = run.all_data()
    assert len(all_data) == SAMPLES
    assert sorted(all_data["_id"]) == list(range(SAMPLES))
    assert set(all_data["_iteration"]) <= set(range(1, SAMPLES // IN_FLIGHT + 1))
    assert list(all_data[metric]) == sorted(all_data[metric])  # minimize: best first
    for name in ("u", "v", "w", "x", "y", "sharp_penalty"):
        assert f"fn_args.{name}" in all_data.columns

    reduced = pd.read_csv(run.results / "reduced_data.csv")
    assert {"job_restarts", f"{metric}__std"} <= set(reduced.columns)
    assert reduced["job_restarts"].sum() == SAMPLES
    assert reduced[metric].iloc[0] == pytest.approx(all_data[metric].min())

    kept = settings["num_best_jobs_whose_data_is_kept"]
    best = sorted(int(p.name) for p in (run.results / "best_jobs").iterdir())
    assert best == sorted(all_data["_id"][:kept])
    for job_id in best:
        assert (run.results / "best_jobs" / str(job_id) / "metrics.csv").is_file()
    if settings["remove_working_dirs"]:
        assert not any((run.results / "working_directories").glob("*/metrics.csv"))

    jobs = pd.read_csv(run.results / "jobs.csv")
    assert set(jobs["status"]) == {"succeeded"}
    assert (run.results / "failures.csv").is_file()
    metadata = json.loads((run.results / "metadata.json").read_text())
    assert metadata["run_type"] == "HP_OPTIMIZATION"
    assert isinstance(metadata["optimizer_seed"], int)
    report = run.results / "result.pdf"
    if settings["generate_report"] == "never":
        assert not report.exists()
    else:
        assert report.stat().st_size > 0
    log = (run.results / "cluster_run.log").read_text()
    assert "Job with id 0 submitted." in log
    assert "finished successfully." in log
