"""Exact messages for invalid settings: one line per problem, naming path, expectation, value."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from cluster_utils.config import ConfigError, Kind, check_config, validate_config

GRID: dict[str, Any] = {
    "optimization_procedure_name": "grid",
    "results_dir": "results",
    "script_relative_path": "main.py",
    "environment_setup": {},
    "cluster_requirements": {"request_cpus": 1, "memory_in_mb": 1000},
    "fixed_params": {"fn_args.w": 1},
    "hyperparam_list": [
        {"param": "fn_args.u", "values": [-0.5, 0.5]},
        {"param": "fn_args.v", "values": "{list(range(1, 4))}"},
        {"param": ["fn_args.x", "fn_args.y"], "values": [[3.0, 0.1], [3.5, 1.0]]},
    ],
    "restarts": 2,
}

HPO: dict[str, Any] = {
    "optimization_procedure_name": "hpo",
    "results_dir": "results",
    "script_relative_path": "main.py",
    "environment_setup": {},
    "optimizer_str": "cem_metaoptimizer",
    "optimizer_settings": {"with_restarts": True, "num_jobs_in_elite": 10},
    "optimization_setting": {
        "metric_to_optimize": "result",
        "minimize": True,
        "number_of_samples": 20,
        "n_jobs_per_iteration": 4,
    },
    "optimized_params": [
        {"param": "fn_args.u", "distribution": "TruncatedNormal", "bounds": [-3.0, 3.0]},
        {"param": "fn_args.y", "distribution": "TruncatedLogNormal", "bounds": [0.01, 100.0]},
        {"param": "fn_args.sharp_penalty", "distribution": "Discrete", "options": [False, True]},
    ],
}

Edit = Callable[[dict[str, Any]], object]


def edited(base: dict[str, Any], *edits: Edit) -> dict[str, Any]:
    settings = copy.deepcopy(base)
    for edit in edits:
        edit(settings)
    return settings


def test_bases_are_valid() -> None:
    assert check_config(GRID, "grid_search") == []
    assert check_config(HPO, "hp_optimization") == []


CASES: list[tuple[str, Kind, dict[str, Any], list[str]]] = [
    (
        "unknown top-level key, with suggestion",
        "grid_search",
        edited(GRID, lambda s: s.update(restrats=3)),
        ["unknown key 'restrats' — did you mean 'restarts'?"],
    ),
    (
        "unknown nested key, with suggestion",
        "grid_search",
        edited(GRID, lambda s: s["cluster_requirements"].update(request_cpu=2)),
        ["unknown key 'cluster_requirements.request_cpu' — did you mean 'request_cpus'?"],
    ),
    (
        "unknown key without anything close",
        "grid_search",
        edited(GRID, lambda s: s.update(zebra=1)),
        ["unknown key 'zebra'"],
    ),
    (
        "unknown nested key without anything close lists the few valid keys",
        "grid_search",
        edited(GRID, lambda s: s.update(git_params={"zebra": 1})),
        [
            "unknown key 'git_params.zebra' "
            "(valid keys: branch, commit, depth, remove_local_copy, url)"
        ],
    ),
    (
        "key at the wrong level points to where it belongs",
        "hp_optimization",
        edited(HPO, lambda s: s.update(run_local=True)),
        ["unknown key 'run_local' — did you mean 'optimization_setting.run_local'?"],
    ),
    (
        "unknown key in a list item",
        "grid_search",
        edited(GRID, lambda s: s["hyperparam_list"][0].update(value=[1])),
        ["unknown key 'hyperparam_list[0].value' — did you mean 'values'?"],
    ),
    (
        "wrong type",
        "hp_optimization",
        edited(HPO, lambda s: s["optimization_setting"].update(n_jobs_per_iteration="five")),
        [
            "optimization_setting.n_jobs_per_iteration: "
            "expected an integer >= 1, found 'five' (string)"
        ],
    ),
    (
        "wrong type of a boolean",
        "grid_search",
        edited(GRID, lambda s: s.update(run_in_working_dir="yes")),
        ["run_in_working_dir: expected true or false, found 'yes' (string)"],
    ),
    (
        "wrong type of a list item",
        "grid_search",
        edited(GRID, lambda s: s["cluster_requirements"].update(forbidden_hostnames=["a", 3])),
        ["cluster_requirements.forbidden_hostnames[1]: expected a string, found 3 (integer)"],
    ),
    (
        "below the minimum",
        "grid_search",
        edited(GRID, lambda s: s.update(samples=0)),
        ["samples: expected an integer >= 1 or null, found 0 (integer)"],
    ),
    (
        "several allowed types",
        "grid_search",
        edited(GRID, lambda s: s["hyperparam_list"][1].update(param=5)),
        [
            "hyperparam_list[1].param: expected a non-empty string or a non-empty list of "
            "non-empty strings, found 5 (integer)"
        ],
    ),
    (
        "empty values",
        "grid_search",
        edited(GRID, lambda s: s["hyperparam_list"][0].update(values=[])),
        ["hyperparam_list[0].values: expected a non-empty list, found [] (list)"],
    ),
    (
        "missing required key",
        "grid_search",
        edited(GRID, lambda s: s.pop("script_relative_path")),
        ["missing required key 'script_relative_path'"],
    ),
    (
        "missing required nested key",
        "hp_optimization",
        edited(HPO, lambda s: s["optimization_setting"].pop("minimize")),
        ["missing required key 'optimization_setting.minimize'"],
    ),
    (
        "bad enum lists the allowed values",
        "grid_search",
        edited(GRID, lambda s: s.update(generate_report="sometimes")),
        [
            "generate_report: expected one of 'never', 'when_finished', 'every_iteration', "
            "found 'sometimes' (string)"
        ],
    ),
    (
        "n_completed_jobs_before_resubmit above n_jobs_per_iteration",
        "hp_optimization",
        edited(HPO, lambda s: s["optimization_setting"].update(n_completed_jobs_before_resubmit=5)),
        [
            "optimization_setting.n_completed_jobs_before_resubmit: expected an integer in "
            "[1, n_jobs_per_iteration] = [1, 4], found 5 (integer)"
        ],
    ),
    (
        "n_completed_jobs_before_resubmit below 1",
        "hp_optimization",
        edited(HPO, lambda s: s["optimization_setting"].update(n_completed_jobs_before_resubmit=0)),
        [
            "optimization_setting.n_completed_jobs_before_resubmit: expected an integer >= 1, "
            "found 0 (integer)"
        ],
    ),
    (
        "tuple param with a value of the wrong length",
        "grid_search",
        edited(GRID, lambda s: s["hyperparam_list"][2]["values"].append([4.0])),
        [
            "hyperparam_list[2].values[2]: expected a list of 2 values (one for each of "
            "'fn_args.x', 'fn_args.y'), found [4.0] (list)"
        ],
    ),
    (
        "tuple param with a scalar value",
        "grid_search",
        edited(GRID, lambda s: s["hyperparam_list"][2].update(values=[1, [1, 2]])),
        [
            "hyperparam_list[2].values[0]: expected a list of 2 values (one for each of "
            "'fn_args.x', 'fn_args.y'), found 1 (integer)"
        ],
    ),
    (
        "the same parameter twice",
        "grid_search",
        edited(GRID, lambda s: s["hyperparam_list"].append({"param": "fn_args.y", "values": [1]})),
        [
            "hyperparam_list[3].param: parameter 'fn_args.y' is already varied by "
            "hyperparam_list[2]; each parameter may appear only once"
        ],
    ),
    (
        "reserved parameter name",
        "grid_search",
        edited(GRID, lambda s: s["fixed_params"].update(_id=3)),
        [
            "fixed_params._id: '_id' is a reserved name (cluster_utils sets it for every job; "
            "reserved: id, working_dir, _id, _iteration, job_restarts)"
        ],
    ),
    (
        "local_run and run_local disagree",
        "grid_search",
        edited(GRID, lambda s: s.update(local_run=True, run_local=False)),
        [
            "local_run and run_local mean the same but disagree (local_run = true, "
            "run_local = false); set only one"
        ],
    ),
    (
        "local_run and run_local disagree in optimization_setting",
        "hp_optimization",
        edited(HPO, lambda s: s["optimization_setting"].update(local_run=False, run_local=True)),
        [
            "optimization_setting: local_run and run_local mean the same but disagree "
            "(local_run = false, run_local = true); set only one"
        ],
    ),
    (
        "Discrete without options",
        "hp_optimization",
        edited(HPO, lambda s: s["optimized_params"][2].pop("options")),
        [
            "missing required key 'optimized_params[2].options' "
            "(a Discrete distribution takes 'options', a list of values)"
        ],
    ),
    (
        "Discrete with bounds instead of options",
        "hp_optimization",
        edited(
            HPO,
            lambda s: s["optimized_params"][2].pop("options"),
            lambda s: s["optimized_params"][2].update(bounds=[0, 1]),
        ),
        [
            "missing required key 'optimized_params[2].options' "
            "(a Discrete distribution takes 'options', a list of values)"
        ],
    ),
    (
        "numeric distribution without bounds",
        "hp_optimization",
        edited(HPO, lambda s: s["optimized_params"][0].pop("bounds")),
        [
            "missing required key 'optimized_params[0].bounds' "
            "(a distribution other than Discrete takes 'bounds': [min, max])"
        ],
    ),
    (
        "bounds with min >= max",
        "hp_optimization",
        edited(HPO, lambda s: s["optimized_params"][0].update(bounds=[3.0, -3.0])),
        [
            "optimized_params[0].bounds: "
            "expected [min, max] with min < max, found [3.0, -3.0] (list)"
        ],
    ),
    (
        "bounds with equal ends",
        "hp_optimization",
        edited(HPO, lambda s: s["optimized_params"][0].update(bounds=[1, 1])),
        ["optimized_params[0].bounds: expected [min, max] with min < max, found [1, 1] (list)"],
    ),
    (
        "bounds of the wrong length",
        "hp_optimization",
        edited(HPO, lambda s: s["optimized_params"][0].update(bounds=[3.0])),
        ["optimized_params[0].bounds: expected a list of 2 numbers, found [3.0] (list)"],
    ),
    (
        "log distribution with non-positive bounds",
        "hp_optimization",
        edited(HPO, lambda s: s["optimized_params"][1].update(bounds=[0, 1])),
        [
            "optimized_params[1].bounds: a TruncatedLogNormal distribution needs bounds > 0, "
            "found [0, 1] (list)"
        ],
    ),
    (
        "unknown distribution",
        "hp_optimization",
        edited(HPO, lambda s: s["optimized_params"][0].update(distribution="Normal")),
        [
            "optimized_params[0].distribution: expected one of 'TruncatedNormal', "
            "'TruncatedLogNormal', 'IntNormal', 'IntLogNormal', 'Discrete', "
            "found 'Normal' (string)"
        ],
    ),
    (
        "optimizer settings are checked against optimizer_str",
        "hp_optimization",
        edited(HPO, lambda s: s.update(optimizer_str="nevergrad")),
        [
            "unknown key 'optimizer_settings.with_restarts' (valid keys: opt_alg)",
            "unknown key 'optimizer_settings.num_jobs_in_elite' (valid keys: opt_alg)",
            "missing required key 'optimizer_settings.opt_alg'",
        ],
    ),
    (
        "nevergrad algorithm",
        "hp_optimization",
        edited(
            HPO,
            lambda s: s.update(optimizer_str="nevergrad", optimizer_settings={"opt_alg": "cmaes"}),
        ),
        [
            "optimizer_settings.opt_alg: expected one of 'twopointsde', 'oneplusone', 'cma', "
            "'tbpsa', 'pso', 'randomsearch', 'NGOpt', found 'cmaes' (string)"
        ],
    ),
    (
        "optuna settings: unknown key and sampler",
        "hp_optimization",
        edited(
            HPO,
            lambda s: s.update(
                optimizer_str="optuna", optimizer_settings={"sampler": "grid", "popsize": 4}
            ),
        ),
        [
            "optimizer_settings.sampler: expected one of 'tpe', 'cmaes', 'gp', 'random', 'qmc', "
            "found 'grid' (string)",
            "unknown key 'optimizer_settings.popsize' (valid keys: n_startup_trials, sampler)",
        ],
    ),
    (
        "cem settings are required",
        "hp_optimization",
        edited(HPO, lambda s: s.pop("optimizer_settings")),
        ["missing required key 'optimizer_settings'"],
    ),
    (
        "kill_bad_jobs_early needs early_killing_params",
        "hp_optimization",
        edited(HPO, lambda s: s.update(kill_bad_jobs_early=True)),
        ["missing required key 'early_killing_params' (needed when kill_bad_jobs_early is true)"],
    ),
    (
        "singularity needs an image",
        "grid_search",
        edited(GRID, lambda s: s.update(singularity={"use_run": True})),
        ["missing required key 'singularity.image'"],
    ),
    (
        "settings section of the wrong type",
        "grid_search",
        edited(GRID, lambda s: s.update(cluster_requirements=[1])),
        ["cluster_requirements: expected a dict, found [1] (list)"],
    ),
    (
        "multiple problems at once, in the order of the settings, missing keys last",
        "hp_optimization",
        edited(
            HPO,
            lambda s: s.pop("results_dir"),
            lambda s: s.update(restarts=3),
            lambda s: s.update(generate_report=True),
            lambda s: s["optimization_setting"].update(n_jobs_per_iteration=0),
            lambda s: s["optimized_params"][0].update(bounds=[1, 0], smart_rounding=1),
            lambda s: s["optimizer_settings"].update(num_jobs_in_elit=3),
        ),
        [
            "unknown key 'optimizer_settings.num_jobs_in_elit' — did you mean 'num_jobs_in_elite'?",
            "optimization_setting.n_jobs_per_iteration: expected an integer >= 1, "
            "found 0 (integer)",
            "optimized_params[0].bounds: expected [min, max] with min < max, found [1, 0] (list)",
            "optimized_params[0].smart_rounding: expected true or false, found 1 (integer)",
            "unknown key 'restarts' — did you mean 'optimizer_settings.restarts'?",
            "generate_report: expected one of 'never', 'when_finished', 'every_iteration', "
            "found true (boolean)",
            "missing required key 'results_dir'",
        ],
    ),
]


@pytest.mark.parametrize(
    ("kind", "settings", "expected"),
    [pytest.param(kind, settings, expected, id=name) for name, kind, settings, expected in CASES],
)
def test_error_messages(kind: Kind, settings: dict[str, Any], expected: list[str]) -> None:
    with pytest.raises(ConfigError) as raised:
        validate_config(settings, kind)
    assert raised.value.problems == expected
    assert str(raised.value) == "\n".join(expected)
    assert check_config(settings, kind) == expected


def test_settings_that_are_not_a_dict() -> None:
    with pytest.raises(ConfigError) as raised:
        validate_config(["a"], "grid_search")  # type: ignore[arg-type]
    assert raised.value.problems == [
        "the grid_search settings must be a dict of keys and values, found ['a'] (list)"
    ]


def test_unknown_kind() -> None:
    with pytest.raises(ValueError, match="unknown kind of settings 'grid'"):
        validate_config(GRID, "grid")  # type: ignore[arg-type]


def test_config_error_is_a_value_error_holding_the_problems() -> None:
    error = ConfigError(["a: wrong", "missing required key 'b'"])
    assert isinstance(error, ValueError)
    assert error.problems == ["a: wrong", "missing required key 'b'"]
    assert str(error) == "a: wrong\nmissing required key 'b'"


def test_dynamic_templates_are_accepted_wherever_a_value_is() -> None:
    settings = edited(
        HPO,
        lambda s: s.update(results_dir="/scratch/{$USER}/results"),
        lambda s: s.update(num_best_jobs_whose_data_is_kept="{2 + 3}"),
        lambda s: s.update(cluster_requirements={"request_cpus": "{2 * 2}", "bid": "{800}"}),
        lambda s: s["optimization_setting"].update(minimize="{True}", n_jobs_per_iteration="{4}"),
        lambda s: s["optimized_params"][0].update(bounds=["{-3}", 3.0]),
        lambda s: s["optimized_params"][2].update(options="{[False, True]}"),
        lambda s: s.update(fixed_params={"x": "{fn_args.u < 0.2}", "nested": {"n": None}}),
    )
    assert check_config(settings, "hp_optimization") == []

    grid = edited(
        GRID,
        lambda s: s["hyperparam_list"][2].update(values=["{(1, 2)}", [3.0, 0.1]]),
        lambda s: s.update(samples="{10}", restarts="{1}"),
    )
    assert check_config(grid, "grid_search") == []


def test_a_string_that_is_not_a_template_is_still_wrong() -> None:
    settings = edited(GRID, lambda s: s["hyperparam_list"][0].update(values="1, 2, 3"))
    assert check_config(settings, "grid_search") == [
        "hyperparam_list[0].values: expected a non-empty list, found '1, 2, 3' (string)"
    ]


def test_tuples_count_as_lists() -> None:
    """Command-line overrides are Python literals: ``bounds=(1, 2)`` is a tuple."""
    settings = edited(
        HPO,
        lambda s: s["optimized_params"][0].update(bounds=(-1.0, 1.0)),
        lambda s: s["optimized_params"][2].update(options=(1, 2)),
    )
    assert check_config(settings, "hp_optimization") == []
    grid = edited(GRID, lambda s: s["hyperparam_list"][2].update(values=((1, 2), (3, 4))))
    assert check_config(grid, "grid_search") == []
    bad = edited(HPO, lambda s: s["optimized_params"][0].update(bounds=(1.0, -1.0)))
    assert check_config(bad, "hp_optimization") == [
        "optimized_params[0].bounds: expected [min, max] with min < max, found (1.0, -1.0) (list)"
    ]
