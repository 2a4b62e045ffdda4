"""Unknown keys are warnings (3.0 ignored them); strict validation makes them errors."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from cluster_utils.config import (
    ConfigError,
    Kind,
    check_config,
    check_settings,
    validate_config,
    validate_settings,
)
from tests.config.test_error_messages import CASES, GRID, HPO, edited

#: Keys real 3.0 configs carry for their own scripts and tools.
USERS_KEYS: list[tuple[tuple[str, ...], Any]] = [
    (("config_bindings",), {"lr": "fn_args.lr"}),
    (("run_command",), "python main.py"),
    (("metric_regex",), "loss: (.*)"),
    (("disable_interactive_checks",), True),
    (("environment_setup", "use_conda"), True),
]


def with_key(base: dict[str, Any], path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    settings = copy.deepcopy(base)
    node: Any = settings
    for element in path[:-1]:
        node = node[element]
    node[path[-1]] = value
    return settings


@pytest.mark.parametrize("kind", ["grid_search", "hp_optimization"])
def test_keys_of_users_scripts_are_warnings_and_kept(kind: Kind) -> None:
    base = GRID if kind == "grid_search" else HPO
    settings = copy.deepcopy(base)
    for path, value in USERS_KEYS:
        settings = with_key(settings, path, value)

    validated = validate_settings(settings, kind)

    assert sorted(validated.warnings) == [
        "unknown key 'config_bindings'",
        "unknown key 'disable_interactive_checks'",
        "unknown key 'environment_setup.use_conda' (valid keys: conda_env_path, "
        "is_python_script, pre_job_script, run_as_module, variables, virtual_env_path)",
        "unknown key 'metric_regex'",
        "unknown key 'run_command'"
        + (" — did you mean 'run_local'?" if kind == "grid_search" else ""),
    ]
    assert validated.settings["config_bindings"] == {"lr": "fn_args.lr"}
    assert validated.settings["environment_setup"]["use_conda"] is True
    assert validated.settings["restarts" if kind == "grid_search" else "optimizer_str"]


def _unknown_key_cases() -> Iterator[Any]:
    for name, kind, settings, expected in CASES:
        if all(message.startswith("unknown key") for message in expected):
            yield pytest.param(kind, settings, expected, id=name)


@pytest.mark.parametrize(("kind", "settings", "expected"), list(_unknown_key_cases()))
def test_unknown_keys_keep_their_message_as_warning_and_error(
    kind: Kind, settings: dict[str, Any], expected: list[str]
) -> None:
    """The same text, with the key path and the suggestion, is a warning or (strict) an error."""
    if settings.get("optimizer_str") == "nevergrad":
        pytest.skip("optimizer_settings: always an error, see the test below")
    assert check_settings(settings, kind).warnings == tuple(expected)
    assert check_settings(settings, kind).errors == ()
    assert validate_settings(settings, kind).warnings == tuple(expected)

    with pytest.raises(ConfigError) as raised:
        validate_settings(settings, kind, strict=True)
    assert raised.value.problems == expected
    assert check_config(settings, kind) == expected


def test_errors_and_warnings_are_separated() -> None:
    settings = edited(
        HPO,
        lambda s: s.update(restarts=3, zebra=1),
        lambda s: s["optimization_setting"].update(n_jobs_per_iteration=0),
    )
    findings = check_settings(settings, "hp_optimization")
    assert findings.errors == (
        "optimization_setting.n_jobs_per_iteration: expected an integer >= 1, found 0 (integer)",
    )
    assert findings.warnings == (
        "unknown key 'restarts' — did you mean 'optimizer_settings.restarts'?",
        "unknown key 'zebra'",
    )
    with pytest.raises(ConfigError) as raised:
        validate_settings(settings, "hp_optimization")
    assert raised.value.problems == list(findings.errors)
    assert raised.value.warnings == findings.warnings  # for the caller to show as well
    assert "zebra" not in str(raised.value)


def test_wrong_values_of_known_keys_stay_errors() -> None:
    settings = edited(GRID, lambda s: s.update(run_in_working_dir="yes", zebra=1))
    with pytest.raises(ConfigError) as raised:
        validate_settings(settings, "grid_search")
    assert raised.value.problems == [
        "run_in_working_dir: expected true or false, found 'yes' (string)"
    ]


def test_strict_config_key_makes_unknown_keys_errors() -> None:
    settings = edited(GRID, lambda s: s.update(strict_config=True, restrats=3))
    with pytest.raises(ConfigError) as raised:
        validate_settings(settings, "grid_search")
    assert raised.value.problems == ["unknown key 'restrats' — did you mean 'restarts'?"]

    lenient = edited(GRID, lambda s: s.update(strict_config=False, restrats=3))
    assert validate_settings(lenient, "grid_search").warnings == (
        "unknown key 'restrats' — did you mean 'restarts'?",
    )
    # the caller's strict wins over strict_config: false
    with pytest.raises(ConfigError):
        validate_settings(lenient, "grid_search", strict=True)


def test_strict_config_is_a_known_boolean_without_default() -> None:
    assert validate_settings(GRID, "grid_search").settings.get("strict_config") is None
    assert validate_config({**GRID, "strict_config": True}, "grid_search")["strict_config"]
    assert check_settings({**GRID, "strict_config": "yes"}, "grid_search").errors == (
        "strict_config: expected true or false, found 'yes' (string)",
    )


def test_unknown_optimizer_settings_are_errors_even_when_not_strict() -> None:
    """They are the optimizer's keyword arguments: the optimizer refuses them (as in 3.0)."""
    settings = edited(HPO, lambda s: s["optimizer_settings"].update(num_jobs_in_elit=3))
    findings = check_settings(settings, "hp_optimization")
    assert findings.errors == (
        "unknown key 'optimizer_settings.num_jobs_in_elit' — did you mean 'num_jobs_in_elite'?",
    )
    assert findings.warnings == ()


def _sections(node: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    if isinstance(node, dict):
        yield path
        for key, value in node.items():
            if key not in ("fixed_params", "variables"):  # free-form: any key is fine
                yield from _sections(value, (*path, key))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _sections(item, (*path, index))


FULL_GRID = edited(
    GRID, lambda s: s.update(git_params={"branch": "main"}, singularity={"image": "a.sif"})
)
FULL_HPO = edited(
    HPO,
    lambda s: s.update(kill_bad_jobs_early=True),
    lambda s: s.update(early_killing_params={"target_rank": 2, "how_many_stds": 1.0}),
    lambda s: s.update(cluster_requirements={"request_cpus": 1}, git_params={}),
)


@pytest.mark.parametrize(
    ("kind", "path"),
    [("grid_search", path) for path in _sections(FULL_GRID)]
    + [("hp_optimization", path) for path in _sections(FULL_HPO)],
    ids=str,
)
def test_an_unknown_key_anywhere_is_exactly_one_warning(
    kind: Kind, path: tuple[str | int, ...]
) -> None:
    """No section turns an unknown key into another error (e.g. through an anyOf)."""
    base = FULL_GRID if kind == "grid_search" else FULL_HPO
    findings = check_settings(with_key(base, (*path, "zz_extra"), 1), kind)
    if path == ("optimizer_settings",):
        assert len(findings.errors) == 1 and findings.warnings == ()
    else:
        assert findings.errors == ()
        assert len(findings.warnings) == 1
        assert findings.warnings[0].startswith("unknown key '")
        assert "zz_extra'" in findings.warnings[0]
