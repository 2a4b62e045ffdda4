"""Shared fixtures of the optimizer tests: 3.0's example parameter space and objective."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import fn_to_optimize

#: ``optimized_params`` of 3.0's examples/basic/optimization_metaopt.json.
METAOPT_PARAMS: list[dict[str, Any]] = [
    {"param": "fn_args.u", "distribution": "TruncatedNormal", "bounds": [-3.0, 3.0]},
    {"param": "fn_args.v", "distribution": "IntLogNormal", "bounds": [1, 1000]},
    {"param": "fn_args.w", "distribution": "IntNormal", "bounds": [-5, 5]},
    {"param": "fn_args.x", "distribution": "TruncatedNormal", "bounds": [0.0, 4.0]},
    {"param": "fn_args.y", "distribution": "TruncatedLogNormal", "bounds": [1e-2, 1e2]},
    {"param": "fn_args.sharp_penalty", "distribution": "Discrete", "options": [False, True]},
]


def basic_example_objective(setting: dict[str, Any]) -> float:
    """3.0's examples/basic fn_to_optimize of a setting of :data:`METAOPT_PARAMS`."""
    return fn_to_optimize(**{k.removeprefix("fn_args."): v for k, v in setting.items()})


@pytest.fixture
def metaopt_params() -> list[dict[str, Any]]:
    return [dict(entry) for entry in METAOPT_PARAMS]


@pytest.fixture
def objective():
    return basic_example_objective
