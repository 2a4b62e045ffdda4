"""The hp_optimization PDF report and its analysis."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from report_helpers import edit_csv, pdf_pages, produce_hpo_report, produce_report

from cluster_utils.report.analysis import parameter_importance, recommendations

HPO_TITLES = [
    "Hyperparameter optimization report: hpo_demo",
    "Optimization progress: loss",
    "Top 10 recommendations (lower is better)",
    "Parameter importance for loss",
    "Distribution development",
    "Summary statistics",
    "Failed jobs (3)",
    "Job timeline",
]


@pytest.mark.slow
def test_hpo_report_pages_and_titles(hpo_dir: Path) -> None:
    output = produce_hpo_report(hpo_dir)
    assert output == hpo_dir / "result.pdf"  # 3.0's file name
    pages = pdf_pages(output)
    assert len(pages) == 8
    text = "\n".join(pages)
    for title in HPO_TITLES:
        assert title in text, title
    assert "source: reduced_data.csv" in text


@pytest.mark.slow
def test_produce_report_picks_hpo(hpo_dir: Path) -> None:
    assert produce_report(hpo_dir).name == "result.pdf"


def test_recommendations_average_restarts(hpo_dir: Path) -> None:
    data = pd.read_csv(hpo_dir / "all_data.csv")
    params = [
        "fn_args.learning_rate",
        "fn_args.hidden_units",
        "fn_args.dropout",
        "fn_args.activation",
    ]
    computed = recommendations(data, None, params, "loss", True, how_many=100)
    repeated = computed[computed["restarts"] > 1]
    assert len(repeated), "the fixture re-runs some settings"
    row = repeated.iloc[0]
    ids = [int(i) for i in row["job ids"].replace(" …", "").split(", ")]
    assert abs(data.set_index("_id").loc[ids, "loss"].mean() - row["mean"]) < 1e-9
    assert row["std"] > 0
    assert computed["mean"].is_monotonic_increasing
    reduced = pd.read_csv(hpo_dir / "reduced_data.csv")
    from_reduced = recommendations(data, reduced, params, "loss", True, how_many=5)
    assert list(from_reduced["mean"]) == sorted(reduced["loss"])[:5]
    assert all(from_reduced["job ids"] != "")  # ids matched back from all_data


def test_recommendations_maximize(hpo_dir: Path) -> None:
    data = pd.read_csv(hpo_dir / "all_data.csv")
    best = recommendations(data, None, ["fn_args.activation"], "loss", False, how_many=3)
    assert best["mean"].is_monotonic_decreasing


def test_importance_finds_the_relevant_parameter() -> None:
    frame = pd.DataFrame(
        {
            "x": list(range(20)),
            "noise": [(i * 7) % 5 for i in range(20)],
            "kind": ["a", "b"] * 10,
        }
    )
    frame["metric"] = -frame["x"] * 2.0 + (frame["kind"] == "a") * 0.5
    result = parameter_importance(frame, ["noise", "kind", "x"], "metric")
    assert result.iloc[0]["param"] == "x"
    assert result.iloc[0]["rho"] < -0.9
    assert result.set_index("param").loc["kind", "method"] == "eta"


@pytest.mark.slow
def test_hpo_without_iteration_and_reduced_data(hpo_dir: Path, tmp_path: Path) -> None:
    edit_csv(hpo_dir / "all_data.csv", lambda df: df.drop(columns=["_iteration"]))
    (hpo_dir / "reduced_data.csv").unlink()
    pages = pdf_pages(produce_hpo_report(hpo_dir, tmp_path / "r.pdf"))
    text = "\n".join(pages)
    assert "No _iteration column" in text
    assert "all_data.csv, grouped by parameters" in text
