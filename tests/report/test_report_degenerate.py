"""Reports of odd experiment directories still come out and say what is missing."""

from __future__ import annotations

import builtins
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from report_helpers import (
    edit_csv,
    pdf_pages,
    produce_grid_report,
    produce_hpo_report,
    produce_report,
)

from cluster_utils.report import MissingReportDependencyError
from tests.report.experiment_builder import make_grid_experiment


def _text(path: Path) -> str:
    return "\n".join(pdf_pages(path))


def test_zero_successful_jobs(tmp_path: Path) -> None:
    exp = make_grid_experiment(tmp_path / "none", n_failed=18)
    pages = pdf_pages(produce_grid_report(exp))
    text = "\n".join(pages)
    assert "No successful jobs" in text
    assert "Failed jobs (18)" in text
    assert "Job timeline" in text
    assert "Summary statistics" not in text


@pytest.mark.slow
def test_one_successful_job(tmp_path: Path) -> None:
    exp = make_grid_experiment(tmp_path / "one", n_failed=17)
    text = _text(produce_grid_report(exp))
    assert "Only one successful job" in text
    assert "Summary statistics" in text
    assert "Best jobs by loss" in text
    assert "Metric correlation" not in text


def test_single_parameter(tmp_path: Path) -> None:
    exp = make_grid_experiment(
        tmp_path / "single", hyperparams={"lr": [0.1, 0.03, 0.01, 0.003, 0.001]}, n_failed=1
    )
    text = _text(produce_grid_report(exp))
    assert "Only one parameter varies: no pairwise heatmaps" in text
    assert "Distribution of loss per parameter value" in text
    assert "pairs of parameters" not in text


@pytest.mark.slow
def test_non_numeric_metric_nan_and_categorical_params(tmp_path: Path) -> None:
    exp = make_grid_experiment(
        tmp_path / "odd",
        hyperparams={"model.name": ["resnet", "vit", None], "flag": [True, False]},
    )

    def change(df: pd.DataFrame) -> pd.DataFrame:
        df["verdict"] = ["good", "bad"] * (len(df) // 2) + ["good"] * (len(df) % 2)
        df.loc[df.index[:2], "loss"] = np.nan
        return df

    edit_csv(exp / "all_data.csv", change)
    text = _text(produce_grid_report(exp, tmp_path / "odd.pdf"))
    assert "Non-numeric metrics skipped in statistics and plots: verdict" in text
    assert "Distribution of loss per parameter value" in text
    assert "Mean loss for pairs of parameters" in text


@pytest.mark.slow
def test_many_distinct_values_are_binned(tmp_path: Path) -> None:
    exp = make_grid_experiment(
        tmp_path / "wide",
        hyperparams={
            "lr": [10.0**-k for k in range(1, 31)],
            "a_very_long.nested.parameter_name": ["x" * 30, "y" * 30],
        },
    )
    text = _text(produce_grid_report(exp))
    assert "Distribution of loss per parameter value" in text


@pytest.mark.slow
@pytest.mark.parametrize(
    "missing",
    ["metadata.json", "settings.json", "jobs.csv", "failures.csv", "cluster_run.log", "jobs"],
)
def test_missing_files_are_reported(grid_dir: Path, tmp_path: Path, missing: str) -> None:
    target = grid_dir / missing
    shutil.rmtree(target) if target.is_dir() else target.unlink()
    output = produce_report(grid_dir, tmp_path / "r.pdf")
    text = _text(output)
    assert "Not shown / missing" in text
    assert missing.rstrip("s") in text  # "jobs/ (per-job state files) is missing." etc.
    assert "Distribution of loss per parameter value" in text


@pytest.mark.slow
def test_nothing_but_all_data(grid_dir: Path, tmp_path: Path) -> None:
    for path in grid_dir.iterdir():
        if path.name != "all_data.csv":
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    text = _text(produce_report(grid_dir, tmp_path / "r.pdf"))
    assert "guessed 'grid_search'" in text
    assert "Job timeline: no job start times found" in text
    assert "Summary statistics" in text


@pytest.mark.slow
def test_timeline_falls_back_to_the_log(grid_dir: Path, tmp_path: Path) -> None:
    shutil.rmtree(grid_dir / "jobs")
    text = _text(produce_report(grid_dir, tmp_path / "r.pdf"))
    assert "Source: cluster_run.log" in text


def test_hpo_without_successful_jobs(hpo_dir: Path, tmp_path: Path) -> None:
    edit_csv(hpo_dir / "all_data.csv", lambda df: df.iloc[0:0])
    (hpo_dir / "reduced_data.csv").unlink()
    text = _text(produce_hpo_report(hpo_dir, tmp_path / "r.pdf"))
    assert "No successful jobs" in text
    assert "Job timeline" in text


def test_not_an_experiment_directory(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="not an experiment directory"):
        produce_report(tmp_path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        produce_report(tmp_path / "nope")


def test_missing_matplotlib_names_the_extra(
    grid_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_import = builtins.__import__

    def fake_import(name: str, *args: object, **kwargs: object) -> object:
        if name == "matplotlib" or name.startswith("matplotlib."):
            raise ImportError("No module named 'matplotlib'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    monkeypatch.delitem(sys.modules, "matplotlib", raising=False)
    with pytest.raises(MissingReportDependencyError, match=r"cluster_utils\[report\]"):
        produce_report(grid_dir)
