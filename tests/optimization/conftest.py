"""Shared fixtures of the optimizer tests: 3.0's example parameter space and objective."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path
from typing import Any

import pytest

if importlib.util.find_spec("cluster_utils") is None:  # checkout without an install
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

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
    """3.0's examples/basic fn_to_optimize, without its random failures."""
    u, v, w = setting["fn_args.u"], setting["fn_args.v"], setting["fn_args.w"]
    x, y = setting["fn_args.x"], setting["fn_args.y"]
    y_log, v_log = math.log(abs(y + 1e-7)), math.log(abs(v + 1e-7))
    result = (x - 3.14) ** 2 + (y_log - 2.78) ** 2 + (u * v_log * w + 1) ** 2
    result += (u + v_log + w - 5) ** 2
    if setting["fn_args.sharp_penalty"] and x > 3.20:
        result += 1
    return result


@pytest.fixture
def metaopt_params() -> list[dict[str, Any]]:
    return [dict(entry) for entry in METAOPT_PARAMS]


@pytest.fixture
def objective():
    return basic_example_objective
