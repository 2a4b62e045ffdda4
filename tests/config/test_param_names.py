"""Parameter names that collide with what cluster_utils adds, or that 3.0 rejected, are errors."""

from __future__ import annotations

from typing import Any

import pytest

from cluster_utils.config import ConfigError, check_settings, validate_settings
from cluster_utils.config.param_names import param_name_problem
from tests.config.test_error_messages import GRID, HPO, edited

RESERVED = (
    "(cluster_utils sets it for every job; reserved: id, working_dir, _id, _iteration, "
    "job_restarts)"
)

#: name -> the reason given for it
BAD_NAMES = {
    "working_dir": f"'working_dir' is a reserved name {RESERVED}",
    "id": f"'id' is a reserved name {RESERVED}",
    "_id": f"'_id' is a reserved name {RESERVED}",
    "_iteration": f"'_iteration' is a reserved name {RESERVED}",
    "job_restarts": f"'job_restarts' is a reserved name {RESERVED}",
    "loss__std": (
        "'loss__std' ends with '__std', the suffix of the standard-deviation columns "
        "cluster_utils adds for metrics"
    ),
    "fn_args.learning rate": (
        "'fn_args.learning rate' contains a space; a parameter name may only contain letters "
        "A-Z and a-z, digits, '_', '-', '.' and ':'"
    ),
    "$HOME": (
        "'$HOME' contains '$'; a parameter name may only contain letters A-Z and a-z, digits, "
        "'_', '-', '.' and ':'"
    ),
    "a/b[0]": (
        "'a/b[0]' contains '/', '[', ']'; a parameter name may only contain letters A-Z and "
        "a-z, digits, '_', '-', '.' and ':'"
    ),
    "größe": (
        "'größe' contains 'ö', 'ß'; a parameter name may only contain letters A-Z and a-z, "
        "digits, '_', '-', '.' and ':'"
    ),
    ".lr": "'.lr' starts with '.'; dots separate the parts of a nested name (fn_args.x)",
    "fn_args.": "'fn_args.' ends with '.'; dots separate the parts of a nested name (fn_args.x)",
    "fn_args..x": (
        "'fn_args..x' has an empty part between two dots; dots separate the parts of a nested "
        "name (fn_args.x)"
    ),
}
GOOD_NAMES = ["lr", "fn_args.z", "model.n-layers", "opt:beta_1", "A_1", "loss__stdev", "ids"]


@pytest.mark.parametrize(("name", "reason"), sorted(BAD_NAMES.items()))
def test_bad_names(name: str, reason: str) -> None:
    assert param_name_problem(name) == reason


@pytest.mark.parametrize("name", GOOD_NAMES)
def test_good_names(name: str) -> None:
    assert param_name_problem(name) is None


@pytest.mark.parametrize(("name", "reason"), sorted(BAD_NAMES.items()))
def test_grid_hyperparameter(name: str, reason: str) -> None:
    settings = edited(GRID, lambda s: s["hyperparam_list"].append({"param": name, "values": [1]}))
    with pytest.raises(ConfigError) as raised:
        validate_settings(settings, "grid_search")
    assert raised.value.problems == [f"hyperparam_list[3].param: {reason}"]


def test_grid_tuple_hyperparameter_names_the_position() -> None:
    entry = {"param": ["fn_args.a", "working_dir", "b c"], "values": [[1, 2, 3]]}
    settings = edited(GRID, lambda s: s["hyperparam_list"].append(entry))
    assert check_settings(settings, "grid_search").errors == (
        f"hyperparam_list[3].param[1]: {BAD_NAMES['working_dir']}",
        "hyperparam_list[3].param[2]: 'b c' contains a space; a parameter name may only "
        "contain letters A-Z and a-z, digits, '_', '-', '.' and ':'",
    )


@pytest.mark.parametrize(("name", "reason"), sorted(BAD_NAMES.items()))
def test_optimized_parameter(name: str, reason: str) -> None:
    entry: dict[str, Any] = {"param": name, "distribution": "Discrete", "options": [1, 2]}
    settings = edited(HPO, lambda s: s["optimized_params"].append(entry))
    with pytest.raises(ConfigError) as raised:
        validate_settings(settings, "hp_optimization")
    assert raised.value.problems == [f"optimized_params[3].param: {reason}"]


@pytest.mark.parametrize(("name", "reason"), sorted(BAD_NAMES.items()))
def test_fixed_parameter(name: str, reason: str) -> None:
    settings = edited(GRID, lambda s: s["fixed_params"].update({name: 1}))
    assert check_settings(settings, "grid_search").errors == (f"fixed_params.{name}: {reason}",)


def test_strict_mode_changes_nothing_about_names() -> None:
    settings = edited(HPO, lambda s: s["optimized_params"][0].update(param="working_dir"))
    lenient = check_settings(settings, "hp_optimization")
    assert lenient == check_settings(settings, "hp_optimization", strict=True)
    assert lenient.errors == (f"optimized_params[0].param: {BAD_NAMES['working_dir']}",)


def test_good_names_everywhere_and_nested_fixed_params_are_free() -> None:
    settings = edited(
        GRID,
        lambda s: s["hyperparam_list"].append({"param": GOOD_NAMES, "values": [GOOD_NAMES]}),
        lambda s: s["fixed_params"].update({"labels": {"class A": 1, "working_dir": 2}}),
        lambda s: s["fixed_params"].update({"__import_promise__": "params.json"}),
    )
    assert check_settings(settings, "grid_search").errors == ()
