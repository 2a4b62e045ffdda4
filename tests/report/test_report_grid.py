"""The grid_search PDF report."""

from __future__ import annotations

from pathlib import Path

import pytest
from report_helpers import edit_json, pdf_pages, produce_grid_report, produce_report

GRID_TITLES = [
    "Grid search report: grid_demo",
    "Summary statistics",
    "Best jobs by loss (lower is better)",
    "Best jobs by accuracy (lower is better)",
    "Metric correlation (Spearman)",
    "Parameter importance for loss",
    "Distribution of loss per parameter value",
    "Mean loss for pairs of parameters",
    "Distribution of accuracy per parameter value",
    "Failed jobs (2)",
    "Job timeline",
]


@pytest.mark.slow
def test_grid_report_pages_and_titles(grid_dir: Path) -> None:
    output = produce_grid_report(grid_dir)
    assert output == grid_dir / "grid_demo_report.pdf"  # 3.0's file name
    pages = pdf_pages(output)
    # overview, summary, 3x best jobs, correlation, importance, 2x (distributions + heatmaps),
    # failures, timeline
    assert len(pages) == 13
    text = "\n".join(pages)
    for title in GRID_TITLES:
        assert title in text, title
    assert pages[0].startswith("Grid search report") or "Grid search report" in pages[0]
    # the overview names git commit and counts
    assert "3f2a9c1d0e5b" in pages[0]
    assert "16 succeeded" in pages[0] and "2 failed" in pages[0]
    # the failure table shows the stderr tail
    assert "CUDA out of memory" in text


@pytest.mark.slow
def test_grid_report_honours_maximize(grid_dir: Path, tmp_path: Path) -> None:
    output = produce_grid_report(grid_dir, tmp_path / "max.pdf", metric="accuracy", minimize=False)
    pages = pdf_pages(output)
    text = "\n".join(pages)
    assert "Best jobs by accuracy (higher is better)" in text
    assert "Best jobs by loss" not in text
    best_page = next(p for p in pages if "Best jobs by accuracy" in p)
    # rank 1 is the highest accuracy in the data
    import pandas as pd

    data = pd.read_csv(grid_dir / "all_data.csv")
    best_id = int(data.loc[data["accuracy"].idxmax(), "_id"])
    worst_value = f"{data['accuracy'].min():.4g}"
    assert f"1 {best_id} " in best_page.replace("\n", " ")
    assert worst_value not in best_page


@pytest.mark.slow
def test_grid_report_minimize_from_settings(grid_dir: Path, tmp_path: Path) -> None:
    edit_json(grid_dir / "settings.json", lambda s: s.update(minimize=False, report_metric="loss"))
    text = "\n".join(pdf_pages(produce_grid_report(grid_dir, tmp_path / "r.pdf")))
    assert "Best jobs by loss (higher is better)" in text
    assert "Best jobs by accuracy" not in text


def test_unknown_metric_is_an_error(grid_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="available: loss, accuracy"):
        produce_grid_report(grid_dir, tmp_path / "r.pdf", metric="nope")


@pytest.mark.slow
def test_produce_report_picks_grid(grid_dir: Path) -> None:
    assert produce_report(grid_dir).name == "grid_demo_report.pdf"


@pytest.mark.slow
def test_large_grid_caps_figures(tmp_path: Path) -> None:
    params = {f"fn_args.p{k}": [1, 2, 3] for k in range(5)}  # 243 jobs, 10 pairs, 5 params
    exp = pytest.importorskip("tests.report.experiment_builder").make_grid_experiment(
        tmp_path / "big", hyperparams=params, metrics=("loss",), n_failed=40
    )
    pages = pdf_pages(produce_grid_report(exp, tmp_path / "big.pdf"))
    text = "\n".join(pages)
    assert "Showing 6 of 10 pairs" in text
    assert "more row(s) not shown" in text  # 40 failures do not fit in 4 pages
    assert sum("Failed jobs (40)" in p for p in pages) <= 4
