"""Metrics constant over all jobs (a step count, a fixed budget) get no pages of their own: one
line of the summary page names them, the pages are for the metrics that vary (issue 19).

Real runs on this machine write the reports; pypdf reads them back."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from report_helpers import edit_csv, pdf_pages, produce_report

from cluster_utils.report.analysis import constant_metrics, constant_metrics_line

#: loss varies with the parameters; steps and budget are the same for every job
SCRIPT = """\
from cluster_utils import finalize_job, initialize_job

params = initialize_job()
loss = (params.x - 2) ** 2 + (0.5 if params.act == "relu" else 0.0) + 0.1 * params.x
finalize_job({"loss": loss, "steps": 100, "budget": 2.5, "accuracy": 1 / (1 + loss)}, params)
"""
CONSTANT_LINE = "Constant over all jobs: steps = 100, budget = 2.5."
CLI = [sys.executable, "-m", "cluster_utils.cli.main"]


def _run(directory: Path, command: str, config: dict) -> Path:
    (directory / "job.py").write_text(SCRIPT)
    (directory / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    result = subprocess.run(
        [*CLI, command, "config.yaml", "--profile", "local"],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=400,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    results = directory / "results" / config["optimization_procedure_name"]
    (pdf,) = results.glob("*.pdf")
    return pdf


def _config(name: str, **settings: object) -> dict:
    return {
        "optimization_procedure_name": name,
        "results_dir": "results",
        "script_relative_path": "job.py",
        "run_in_working_dir": True,
        "environment_setup": {},
        "generate_report": "when_finished",
        **settings,
    }


def _summary_page(pages: list[str]) -> str:
    (page,) = [p for p in pages if "Summary statistics" in p]
    return page


def _constant_line(summary: str) -> set[str]:
    """The metrics the summary page's line names, as ``name = value``."""
    (listed,) = re.findall(r"Constant over all jobs: ([^.]*(?:\.\d+[^.]*)*)\.", _one_line(summary))
    return set(listed.split(", "))


def _one_line(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.slow
def test_a_grid_report_folds_constant_metrics_into_one_summary_line(tmp_path: Path) -> None:
    pdf = _run(
        tmp_path,
        "grid-search",
        _config(
            "constant_grid",
            hyperparam_list=[
                {"param": "x", "values": [0, 1, 2, 3]},
                {"param": "act", "values": ["relu", "tanh"]},
            ],
        ),
    )
    pages = pdf_pages(pdf)
    text = "\n".join(pages)
    summary = _summary_page(pages)
    assert _constant_line(summary) == {"steps = 100", "budget = 2.5"}
    assert summary.count("steps") == 1 and summary.count("budget") == 1  # no statistics rows
    assert "loss" in summary and "accuracy" in summary
    for metric in ("loss", "accuracy"):
        assert f"Best jobs by {metric}" in text
    assert "Distribution of loss per parameter value" in text
    assert "Mean loss for pairs of parameters" in text
    for metric in ("steps", "budget"):
        assert f"Best jobs by {metric}" not in text
        assert f"Distribution of {metric}" not in text
        assert f"Mean {metric} for pairs" not in text
    correlation = next(p for p in pages if "Metric correlation" in p)
    assert "steps" not in correlation and "budget" not in correlation


@pytest.mark.slow
def test_an_hpo_report_folds_constant_metrics_into_one_summary_line(tmp_path: Path) -> None:
    pdf = _run(
        tmp_path,
        "optimize",
        _config(
            "constant_hpo",
            optimizer_str="cem_metaoptimizer",
            optimizer_settings={"with_restarts": False, "num_jobs_in_elite": 3},
            optimization_setting={
                "metric_to_optimize": "loss",
                "minimize": True,
                "number_of_samples": 8,
                "n_jobs_per_iteration": 4,
            },
            optimized_params=[
                {"param": "x", "distribution": "TruncatedNormal", "bounds": [0.0, 4.0]},
                {"param": "act", "distribution": "Discrete", "options": ["relu", "tanh"]},
            ],
        ),
    )
    pages = pdf_pages(pdf)
    summary = _summary_page(pages)
    assert _constant_line(summary) == {"steps = 100", "budget = 2.5"}
    assert summary.count("steps") == 1 and summary.count("budget") == 1
    assert "loss" in summary and "accuracy" in summary
    assert "Optimization progress: loss" in "\n".join(pages)
    assert [p for p in pages if "steps" in p or "budget" in p] == [summary]


def test_constant_metrics_need_two_jobs_and_no_missing_value() -> None:
    frame = pd.DataFrame(
        {
            "loss": [0.1, 0.2, 0.3],
            "steps": [100, 100, 100],
            "gap": [1.0, None, 1.0],
            "budget": [2.5, 2.5, 2.5],
        }
    )
    assert constant_metrics(frame, ["loss", "steps", "gap", "budget"]) == {
        "steps": 100,
        "budget": 2.5,
    }
    assert constant_metrics(frame.head(1), ["loss", "steps"]) == {}
    assert constant_metrics_line({"steps": 100, "budget": 2.5}) == CONSTANT_LINE


@pytest.mark.slow
def test_when_no_metric_varies_the_summary_line_is_all(grid_dir: Path) -> None:
    def constant(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.assign(loss=0.5, accuracy=0.5, time_elapsed=3)

    edit_csv(grid_dir / "all_data.csv", constant)
    pages = pdf_pages(produce_report(grid_dir))
    text = "\n".join(pages)
    summary = _summary_page(pages)
    assert _constant_line(summary) == {"loss = 0.5", "accuracy = 0.5", "time_elapsed = 3"}
    assert "No metric varies: no best jobs, distributions or heatmaps." in _one_line(pages[0])
    for absent in ("Best jobs by", "Metric correlation", "Distribution of", "for pairs of"):
        assert absent not in text
    assert "Failed jobs (2)" in text  # the pages that do not depend on metrics stay
