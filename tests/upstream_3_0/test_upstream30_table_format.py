"""3.0's column orders, computed from the configs alone, match what 3.0 wrote (fast, no run).

golden/gs_test_2 and golden/constrained_grid come from 3.0 running
examples/basic/grid_search_with_tuples.json and constrained_grid.json with the overrides
``generate_report='never' no_user_interaction=True run_in_working_dir=True
fixed_params.max_sleep_time=2`` (3.0 left the "{...}" templates unevaluated in the values; the
header is what matters here).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cluster_utils.base import constants
from cluster_utils.experiment.settings import load_experiment_settings
from cluster_utils.results.collect import write_csv
from cluster_utils.results.table_format import (
    grid_all_data_columns,
    grid_param_order,
    hpo_all_data_columns,
    reduced_data_columns,
)
from tests.upstream_3_0.upstream30 import GOLDEN, SDIST, header, read_table

METRICS = ["result", "noiseless_result", "time_elapsed"]  # as examples/basic's jobs report them
SLEEP = "fixed_params.max_sleep_time=2"


@pytest.mark.parametrize(
    ("config", "overrides", "experiment"),
    [
        ("tests/grid_search.json", [], "test_grid_search"),
        ("tests/grid_search_main_w_decorator.json", [], "decorator_test"),
        ("tests/grid_search_resume.json", [], "test_grid_search_resume"),
        ("examples/basic/grid_search_with_tuples.json", [SLEEP], "gs_test_2"),
        ("examples/basic/constrained_grid.json", [SLEEP], "constrained_grid"),
    ],
)
def test_grid_columns_in_3_0s_order(
    monkeypatch: pytest.MonkeyPatch, config: str, overrides: list[str], experiment: str
) -> None:
    monkeypatch.chdir(SDIST)
    # 3.0's integration scripts pass results_dir on the command line
    overrides = ["results_dir='results'", *overrides]
    settings = load_experiment_settings(config, overrides, "grid_search").settings
    golden = header(GOLDEN / experiment / "all_data.csv")
    assert golden[0] == ""  # 3.0's unnamed index column
    params = golden[1 : golden.index(constants.ID)]
    # whatever order the job's parameter files have: here sorted by name
    columns = grid_all_data_columns(grid_param_order(settings), sorted(params), METRICS)
    assert columns == golden[1:]


def test_parameters_not_in_the_config_follow_the_configured_ones() -> None:
    settings = {"hyperparam_list": [{"param": "b", "values": [1]}], "fixed_params": {"a": 1}}
    columns = grid_all_data_columns(
        grid_param_order(settings), ["a", "b", "extra", "id", "working_dir"], ["loss"]
    )
    assert columns == ["b", "a", "working_dir", "id", "extra", "_id", "loss"]


def test_nested_fixed_params_merge_into_the_optimized_groups() -> None:
    settings = {
        "hyperparam_list": [{"param": "net.lr", "values": [1]}, {"param": "seed", "values": [1]}],
        "fixed_params": {"epochs": 3, "net": {"depth": 2}},
    }
    expected = ["net.lr", "net.depth", "seed", "epochs", "working_dir", "id"]
    assert grid_param_order(settings) == expected


@pytest.mark.parametrize("experiment", ["test_hp_opt", "nevergrad_test_hp_opt"])
def test_hpo_columns_are_3_0s(experiment: str) -> None:
    golden = header(GOLDEN / experiment / "all_data.csv")
    reversed_row = {name: 0 for name in reversed(golden[1:])}
    assert hpo_all_data_columns([reversed_row]) == golden[1:]
    reduced = header(GOLDEN / experiment / "reduced_data.csv")
    optimized = [f"fn_args.{name}" for name in ("u", "v", "w", "x", "y", "sharp_penalty")]
    assert ["", *reduced_data_columns(optimized, "result")] == reduced


def test_index_column_reads_back_with_index_col_0(tmp_path: Path) -> None:
    path = tmp_path / "all_data.csv"
    rows = [{"x": 1, "flag": True, "y": 0.1}, {"x": 2, "flag": False, "y": float("nan")}]
    write_csv(path, rows, ["x", "flag", "y"], index=True)
    assert path.read_text() == ",x,flag,y\n0,1,True,0.1\n1,2,False,\n"
    data = read_table(path)
    assert list(data.columns) == ["x", "flag", "y"]
    assert list(data.index) == [0, 1]
