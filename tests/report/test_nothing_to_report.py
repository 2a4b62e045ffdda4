"""No report is ever drawn of an experiment without results: the report commands and
hp_optimization's report say that there is nothing to report instead of writing a 0-job PDF.
(The library's ``report_from`` can still draw one, see test_report_degenerate.py.)"""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest
from report_helpers import edit_csv

from cluster_utils.experiment.layout import ExperimentLayout
from cluster_utils.hpo.report import BackgroundReports
from cluster_utils.report import has_results
from cluster_utils.report.command import write_report
from tests.report.experiment_builder import make_grid_experiment


def test_has_results(tmp_path: Path) -> None:
    assert not has_results(tmp_path / "missing")
    all_data = tmp_path / "all_data.csv"
    assert not has_results(tmp_path)
    all_data.write_text("")
    assert not has_results(tmp_path)
    all_data.write_text(",x,y\n")
    assert not has_results(tmp_path)
    all_data.write_text(",x,y\n0,1,2\n")
    assert has_results(tmp_path)


@pytest.mark.parametrize("run_type", ["grid", "hpo"])
def test_report_commands_refuse_an_experiment_without_results(
    grid_dir: Path, hpo_dir: Path, run_type: str, caplog: pytest.LogCaptureFixture
) -> None:
    experiment = grid_dir if run_type == "grid" else hpo_dir
    edit_csv(experiment / "all_data.csv", lambda df: df.iloc[0:0])
    out = experiment / "r.pdf"
    with caplog.at_level(logging.ERROR):
        assert write_report(experiment, out, logging.getLogger("t"), force=True) == 1
    assert "nothing to report" in caplog.text
    assert not out.exists()


def test_cluster_utils_report_of_only_failed_jobs(tmp_path: Path) -> None:
    experiment = make_grid_experiment(tmp_path / "failed", n_failed=18)
    result = subprocess.run(
        [sys.executable, "-m", "cluster_utils.cli.main", "report", str(experiment)],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )
    assert result.returncode == 1
    assert f"nothing to report: no job of {experiment} has results yet" in result.stderr
    assert "Traceback" not in result.stderr
    assert not list(experiment.glob("*.pdf"))


def test_hpo_background_report_without_results(
    hpo_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    layout = ExperimentLayout.at(hpo_dir)
    edit_csv(layout.all_data_csv, lambda df: df.iloc[0:0])
    reports = BackgroundReports(layout)
    reports.request(1)
    assert not (layout.internal / "hpo_report.log").exists()  # no drawing process started
    assert reports.finish(1)
    assert "nothing to report" in capsys.readouterr().err
    assert not list(hpo_dir.glob("*.pdf"))
    assert not list(layout.internal.glob("*.pdf"))


def test_hpo_report_script_without_results(tmp_path: Path) -> None:
    experiment = tmp_path / "exp"
    experiment.mkdir()
    output = tmp_path / "r.pdf"
    result = subprocess.run(
        [sys.executable, "-m", "cluster_utils.hpo.report", str(experiment), str(output)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "nothing to report" in result.stderr
    assert not output.exists()
