"""all_data.csv, reduced_data.csv and metadata.json look as 3.0 writes them.

golden/<experiment>/ holds what cluster_utils 3.0.0 wrote for the same configs (run with 3.0's
run_integration_tests.sh and run_integration_tests_with_nevergrad.sh): the CSV header lines and
metadata.json. 3.0's columns come first, in 3.0's order, behind 3.0's unnamed index column; columns
of ours may only follow them. reduced_data.csv has exactly 3.0's columns. metadata.json has 3.0's
keys with 3.0's run_type values; more keys are allowed.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest

from tests.upstream_3_0.conftest import ScriptRun
from tests.upstream_3_0.upstream30 import GOLDEN, header, read_table

pytestmark = pytest.mark.slow

GRID_EXPERIMENTS = ["test_grid_search", "decorator_test", "test_grid_search_resume"]
HPO_EXPERIMENTS = ["test_hp_opt", "test_hp_opt_resume"]


def _golden_header(experiment: str, table: str) -> list[str]:
    return header(GOLDEN / experiment / table)


def _output(run: ScriptRun, experiment: str, name: str) -> Path:
    path = run.results / experiment / name
    assert path.is_file(), f"{experiment} wrote no {name}"
    return path


@pytest.mark.parametrize("experiment", GRID_EXPERIMENTS + HPO_EXPERIMENTS)
def test_all_data_header_starts_with_3_0_columns(
    integration_run: ScriptRun, experiment: str
) -> None:
    expected = _golden_header(experiment, "all_data.csv")
    got = header(_output(integration_run, experiment, "all_data.csv"))
    assert got[: len(expected)] == expected


@pytest.mark.parametrize("experiment", HPO_EXPERIMENTS)
def test_reduced_data_header_is_3_0s(integration_run: ScriptRun, experiment: str) -> None:
    expected = _golden_header(experiment, "reduced_data.csv")
    assert header(_output(integration_run, experiment, "reduced_data.csv")) == expected


@pytest.mark.parametrize("experiment", GRID_EXPERIMENTS)
def test_grid_search_writes_no_reduced_data(integration_run: ScriptRun, experiment: str) -> None:
    """3.0's grid_search writes all_data.csv only."""
    assert not (integration_run.results / experiment / "reduced_data.csv").exists()


@pytest.mark.parametrize("experiment", GRID_EXPERIMENTS + HPO_EXPERIMENTS)
def test_read_csv_with_index_col_gives_params_as_columns(
    integration_run: ScriptRun, experiment: str
) -> None:
    """``pd.read_csv(f, index_col=0)``, as 3.0's users read the tables."""
    params = ["fn_args.u", "fn_args.v", "fn_args.w", "fn_args.x", "fn_args.y"]
    params.append("fn_args.sharp_penalty")
    data = read_table(_output(integration_run, experiment, "all_data.csv"))
    assert data.index.name is None
    assert set(params) <= set(data.columns)
    assert {"_id", "id", "working_dir", "result", "noiseless_result"} <= set(data.columns)
    if experiment in HPO_EXPERIMENTS:
        reduced = read_table(_output(integration_run, experiment, "reduced_data.csv"))
        assert reduced.index.name is None
        assert list(reduced.columns[: len(params)]) == params
        assert (reduced["job_restarts"] >= 1).all()


@pytest.mark.parametrize("experiment", GRID_EXPERIMENTS + HPO_EXPERIMENTS)
def test_metadata_has_3_0_keys_and_values(integration_run: ScriptRun, experiment: str) -> None:
    golden = json.loads((GOLDEN / experiment / "metadata.json").read_text())
    metadata = json.loads(_output(integration_run, experiment, "metadata.json").read_text())
    assert set(golden) <= set(metadata)
    assert metadata["run_type"] == golden["run_type"]
    # 3.0's report script reads it back with datetime.fromisoformat
    datetime.datetime.fromisoformat(metadata["start_time"])
