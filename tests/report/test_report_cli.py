"""python -m cluster_utils.scripts.generate_report RESULTS_DIR [OUTPUT] [--force] ..."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from report_helpers import pdf_pages

from cluster_utils.scripts.generate_report import main


def run_script(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cluster_utils.scripts.generate_report", *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )


@pytest.mark.slow
def test_generate_report_subprocess(grid_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.pdf"
    result = run_script(str(grid_dir), str(out))
    assert result.returncode == 0, result.stderr
    assert "Saved report to" in result.stderr
    assert len(pdf_pages(out)) == 13
    # existing output, no --force, no terminal to ask: refuse, keep the file
    before = out.stat().st_mtime_ns
    result = run_script(str(grid_dir), str(out))
    assert result.returncode == 1
    assert "--force" in result.stderr
    assert out.stat().st_mtime_ns == before
    result = run_script(str(grid_dir), str(out), "--force")
    assert result.returncode == 0, result.stderr
    assert "overwritten due to --force" in result.stderr


@pytest.mark.slow
def test_default_output_name(hpo_dir: Path) -> None:
    assert main([str(hpo_dir)]) == 0
    assert (hpo_dir / "result.pdf").is_file()


def test_bad_directories(tmp_path: Path) -> None:
    assert main([str(tmp_path / "missing"), str(tmp_path / "r.pdf")]) == 1
    assert main([str(tmp_path), str(tmp_path / "r.pdf")]) == 1
    assert not (tmp_path / "r.pdf").exists()


@pytest.mark.slow
def test_metric_options(grid_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.pdf"
    assert main([str(grid_dir), str(out), "--metric", "accuracy", "--maximize"]) == 0
    text = "\n".join(pdf_pages(out))
    assert "Best jobs by accuracy (higher is better)" in text
    assert main([str(grid_dir), str(tmp_path / "x.pdf"), "--metric", "nope"]) == 1
    assert not (tmp_path / "x.pdf").exists()


def test_usage_error_exit_code() -> None:
    result = run_script()
    assert result.returncode == 2
    assert "RESULTS_DIRECTORY" in result.stderr


@pytest.mark.slow
def test_png_dir(grid_dir: Path, tmp_path: Path) -> None:
    assert main([str(grid_dir), str(tmp_path / "r.pdf"), "--png-dir", str(tmp_path / "png")]) == 0
    assert (tmp_path / "png" / "job_timeline.png").is_file()


@pytest.mark.slow
def test_cluster_utils_report_takes_the_metric_options(grid_dir: Path, tmp_path: Path) -> None:
    """The report tells users to "pass --maximize"; `cluster-utils report` accepts it."""
    from cluster_utils.cli.main import main as cluster_utils_main

    default = tmp_path / "default.pdf"
    assert cluster_utils_main(["report", str(grid_dir), str(default)]) == 0
    assert "pass --maximize if higher is better" in "\n".join(pdf_pages(default))
    out = tmp_path / "max.pdf"
    argv = ["report", str(grid_dir), str(out), "--metric", "accuracy", "--maximize"]
    assert cluster_utils_main(argv) == 0
    text = "\n".join(pdf_pages(out))
    assert "Best jobs by accuracy (higher is better)" in text
    assert "Best jobs by loss" not in text
    with pytest.raises(SystemExit) as usage_error:  # one direction only
        cluster_utils_main([*argv, "--force", "--minimize"])
    assert usage_error.value.code == 2
