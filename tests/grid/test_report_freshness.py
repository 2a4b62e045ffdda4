"""The report is honest: it shows exactly the current plan's jobs (also after a run with an
override and the original command again), it is not redrawn when nothing changed (the same
command again, or plain `snakemake` after `cluster-utils grid-search`), and `snakemake --report`
knows every file of the run, whichever of the two entry points made it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.helpers import REPO_ROOT, Experiment

pytestmark = pytest.mark.slow

JOB = """
from cluster_utils import initialize_job, finalize_job

params = initialize_job()
finalize_job({"y": params.x * 2}, params)
"""


def _pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)


def _mtimes(*paths: Path) -> list[int]:
    return [path.stat().st_mtime_ns for path in paths]


def test_report_shows_the_current_plan_and_is_kept_when_nothing_changed(
    experiment: Experiment,
) -> None:
    experiment.write_script(JOB)
    experiment.write_config([{"param": "x", "values": [1, 2, 3]}], generate_report="when_finished")
    report, all_data = experiment.results / "exp_report.pdf", experiment.results / "all_data.csv"
    assert experiment.run().returncode == 0
    assert "x: [1, 2, 3]" in _pdf_text(report)

    other = experiment.run('hyperparam_list=[{"param": "x", "values": [7, 8]}]')
    assert other.returncode == 0, other.stderr
    assert "x: [7, 8]" in _pdf_text(report)

    back = experiment.run()  # every job of the original plan ran already
    assert back.returncode == 0, back.stderr
    text = _pdf_text(report)
    assert "x: [1, 2, 3]" in text and "3 jobs planned: 3 succeeded" in text
    assert "x: [7, 8]" not in text
    assert sorted(experiment.all_data()["x"]) == [1, 2, 3]

    before = _mtimes(report, all_data)
    again = experiment.run()
    assert again.returncode == 0, again.stderr
    assert _mtimes(report, all_data) == before
    assert "drawing the report of" not in again.stderr


def _checkout(tmp_path: Path) -> Path:
    checkout = tmp_path / "checkout"
    for name in ("Snakefile", "workflow", "profiles"):
        source = REPO_ROOT / name
        if source.is_dir():
            shutil.copytree(source, checkout / name)
        else:
            checkout.mkdir(exist_ok=True)
            shutil.copy2(source, checkout / name)
    return checkout


def _snakemake(checkout: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "snakemake", *args, "--config", "experiment=grid.yaml"],
        cwd=checkout,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=300,
    )


def test_plain_snakemake_after_the_cli_redraws_nothing_and_reports_every_file(
    tmp_path: Path,
) -> None:
    """The README's order: `cluster-utils grid-search` (local: jobs run in chunks), then
    `snakemake --profile ...` and `snakemake --report report.html` in the same checkout."""
    experiment = Experiment(_checkout(tmp_path))
    experiment.write_script(JOB)
    experiment.write_config(
        [{"param": "x", "values": list(range(10))}], generate_report="when_finished"
    )
    first = experiment.run("--cores", "1")  # 10 jobs on 1 core: chunks of 2
    assert first.returncode == 0, first.stderr
    assert list((experiment.results / "jobs" / "chunks").glob("*.done"))
    report = experiment.results / "exp_report.pdf"
    before = _mtimes(report, experiment.results / "all_data.csv")

    plain = _snakemake(experiment.workdir, "--profile", "profiles/local", "--cores", "2")
    assert plain.returncode == 0, plain.stderr[-3000:]
    assert "Nothing to be done" in plain.stderr
    assert _mtimes(report, experiment.results / "all_data.csv") == before

    html = _snakemake(experiment.workdir, "--report", "report.html")
    assert html.returncode == 0, html.stderr[-3000:]
    assert "Missing metadata" not in html.stderr
    assert (experiment.results / "report.html").is_file()
