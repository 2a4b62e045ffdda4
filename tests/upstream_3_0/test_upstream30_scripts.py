"""3.0's own integration scripts, unchanged, pass against this project.

The scripts are the ones 3.0's noxfile runs (tests/run_integration_tests*.sh,
tests/test_main_no_save_metrics.sh). As in 3.0's CI, each gets an empty results directory; the
exit codes expected are the ones 3.0's noxfile accepts.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.upstream_3_0.conftest import ScriptRun
from tests.upstream_3_0.upstream30 import (
    GOLDEN,
    checkout,
    describe,
    header,
    local_env,
    read_table,
    run_script,
)

pytestmark = pytest.mark.slow

#: experiment name -> (fewest, most) rows in all_data.csv after run_integration_tests.sh
INTEGRATION_EXPERIMENTS = {
    "test_grid_search": (4, 4),  # 2 x 2 grid of main_no_fail.py
    "test_hp_opt": (3, 3),  # number_of_samples
    # grid_search.json's grid with main_with_decorator.py, which fails 10% of the jobs on purpose
    # (3.0 too: its run still exits 0 while one job succeeds)
    "decorator_test": (1, 4),
    "test_grid_search_resume": (1, 1),  # the job exits for resume once; its rerun reports
    "test_hp_opt_resume": (3, 3),
}


def test_run_integration_tests_script(integration_run: ScriptRun) -> None:
    assert integration_run.result.returncode == 0, describe(integration_run.result)
    for name, (fewest, most) in INTEGRATION_EXPERIMENTS.items():
        data = read_table(integration_run.results / name / "all_data.csv")
        assert fewest <= len(data) <= most, name
        assert data["_id"].is_unique, name


def test_run_integration_tests_with_nevergrad_script(tmp_path: Path) -> None:
    pytest.importorskip("nevergrad")
    root = checkout(tmp_path)
    results = tmp_path / "results"
    script = "run_integration_tests_with_nevergrad.sh"
    result = run_script(script, root, results, local_env(tmp_path))
    assert result.returncode == 0, describe(result)
    assert len(read_table(results / "test_hp_opt" / "all_data.csv")) == 3
    for table in ("all_data.csv", "reduced_data.csv"):
        expected = header(GOLDEN / "nevergrad_test_hp_opt" / table)
        assert header(results / "test_hp_opt" / table)[: len(expected)] == expected, table


def test_run_integration_tests_with_report_script(tmp_path: Path) -> None:
    """The script itself checks the four report PDFs (run-time and generate_report)."""
    root = checkout(tmp_path)
    result = run_script(
        "run_integration_tests_with_report.sh", root, tmp_path / "results", local_env(tmp_path)
    )
    assert result.returncode == 0, describe(result)
    assert result.stdout.count("PASS:") == 4, describe(result)


def test_main_no_save_metrics_script(tmp_path: Path) -> None:
    """Every job ends without finalize_job: 3.0's noxfile expects exit code 1."""
    root = checkout(tmp_path)
    script = "test_main_no_save_metrics.sh"
    result = run_script(script, root, tmp_path / "results", local_env(tmp_path))
    assert result.returncode == 1, describe(result)
