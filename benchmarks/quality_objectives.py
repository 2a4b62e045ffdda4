"""The objectives of benchmarks/optimizer_quality.py: each a parameter space in 3.0's
``optimized_params`` format, a function of a setting (lower is better) and its known minimum.

- ``fn``: 3.0's ``examples/basic/main.py:fn_to_optimize`` (deterministic: without its random 10 %
  failures and noise) over the space of ``examples/basic/optimization_metaopt.json``: 6 parameters,
  float / log / int / int-log / discrete. Its minimum is 0 (up to the integer ``v``).
- ``branin``: Branin-Hoo on [-5, 10] x [0, 15]; minimum 0.397887.
- ``hartmann6``: Hartmann-6 on [0, 1]^6; minimum -3.32237.
- ``mixed10``: a made-up training run with 10 hyperparameters: learning rate and weight decay
  (log floats), batch size and width (log ints), layers (int), dropout and momentum (floats),
  optimizer, activation and batch norm (discrete); the best learning rate depends on the optimizer,
  the best batch size on the learning rate and the best width on the depth. Minimum 0.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

Setting = dict[str, Any]


@dataclass(frozen=True)
class Objective:
    name: str
    optimized_params: list[dict[str, Any]]
    function: Callable[[Setting], float]
    minimum: float

    def regret(self, setting: Setting) -> float:
        """Distance of the setting's value to the known minimum (what the tables show)."""
        return self.function(setting) - self.minimum


def _fn_to_optimize(setting: Setting) -> float:
    u, v, w = setting["fn_args.u"], setting["fn_args.v"], setting["fn_args.w"]
    x, y = setting["fn_args.x"], setting["fn_args.y"]
    y_log = math.log(abs(y + 1e-7))
    v_log = math.log(abs(v + 1e-7))
    result = (x - 3.14) ** 2 + (y_log - 2.78) ** 2 + (u * v_log * w + 1) ** 2
    result += (u + v_log + w - 5) ** 2
    if setting["fn_args.sharp_penalty"] and x > 3.20:
        result += 1
    return result


FN = Objective(
    "fn",
    [
        {"param": "fn_args.u", "distribution": "TruncatedNormal", "bounds": [-3.0, 3.0]},
        {"param": "fn_args.v", "distribution": "IntLogNormal", "bounds": [1, 1000]},
        {"param": "fn_args.w", "distribution": "IntNormal", "bounds": [-5, 5]},
        {"param": "fn_args.x", "distribution": "TruncatedNormal", "bounds": [0.0, 4.0]},
        {"param": "fn_args.y", "distribution": "TruncatedLogNormal", "bounds": [1e-2, 1e2]},
        {"param": "fn_args.sharp_penalty", "distribution": "Discrete", "options": [False, True]},
    ],
    _fn_to_optimize,
    0.0,
)


def _branin(setting: Setting) -> float:
    x1, x2 = setting["x1"], setting["x2"]
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


BRANIN = Objective(
    "branin",
    [
        {"param": "x1", "distribution": "TruncatedNormal", "bounds": [-5.0, 10.0]},
        {"param": "x2", "distribution": "TruncatedNormal", "bounds": [0.0, 15.0]},
    ],
    _branin,
    0.397887,
)

_H6_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])
_H6_A = np.array(
    [
        [10, 3, 17, 3.5, 1.7, 8],
        [0.05, 10, 17, 0.1, 8, 14],
        [3, 3.5, 1.7, 10, 17, 8],
        [17, 8, 0.05, 10, 0.1, 14],
    ]
)
_H6_P = 1e-4 * np.array(
    [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ]
)
_H6_NAMES = [f"x{i}" for i in range(1, 7)]


def _hartmann6(setting: Setting) -> float:
    x = np.array([setting[name] for name in _H6_NAMES])
    return float(-np.sum(_H6_ALPHA * np.exp(-np.sum(_H6_A * (x - _H6_P) ** 2, axis=1))))


HARTMANN6 = Objective(
    "hartmann6",
    [
        {"param": name, "distribution": "TruncatedNormal", "bounds": [0.0, 1.0]}
        for name in _H6_NAMES
    ],
    _hartmann6,
    -3.32237,
)

_BEST_LR = {"sgd": 1e-1, "adam": 1e-3, "rmsprop": 3e-4}
_OPTIMIZER_PENALTY = {"sgd": 0.3, "adam": 0.0, "rmsprop": 0.15}
_ACTIVATION_PENALTY = {"relu": 0.05, "tanh": 0.3, "gelu": 0.0}


def _mixed10(s: Setting) -> float:
    lr_off = math.log10(s["lr"]) - math.log10(_BEST_LR[s["optimizer"]])
    result = lr_off**2
    result += 0.3 * (math.log10(s["weight_decay"]) + 4) ** 2
    result += 0.2 * (math.log2(s["batch_size"]) - 7 - 0.5 * lr_off) ** 2
    result += 0.15 * (s["layers"] - 4) ** 2
    result += 0.2 * (math.log2(s["width"]) - 8 + 0.25 * (s["layers"] - 4)) ** 2
    result += 2.0 * (s["dropout"] - 0.2) ** 2
    result += (s["momentum"] - 0.9) ** 2 * (3.0 if s["optimizer"] == "sgd" else 0.3)
    result += _OPTIMIZER_PENALTY[s["optimizer"]] + _ACTIVATION_PENALTY[s["activation"]]
    return result + (0.0 if s["batch_norm"] else 0.25)


MIXED10 = Objective(
    "mixed10",
    [
        {"param": "lr", "distribution": "TruncatedLogNormal", "bounds": [1e-5, 1.0]},
        {"param": "weight_decay", "distribution": "TruncatedLogNormal", "bounds": [1e-6, 1e-1]},
        {"param": "batch_size", "distribution": "IntLogNormal", "bounds": [8, 1024]},
        {"param": "layers", "distribution": "IntNormal", "bounds": [1, 8]},
        {"param": "width", "distribution": "IntLogNormal", "bounds": [16, 1024]},
        {"param": "dropout", "distribution": "TruncatedNormal", "bounds": [0.0, 0.8]},
        {"param": "momentum", "distribution": "TruncatedNormal", "bounds": [0.0, 0.99]},
        {"param": "optimizer", "distribution": "Discrete", "options": ["sgd", "adam", "rmsprop"]},
        {"param": "activation", "distribution": "Discrete", "options": ["relu", "tanh", "gelu"]},
        {"param": "batch_norm", "distribution": "Discrete", "options": [False, True]},
    ],
    _mixed10,
    0.0,
)

OBJECTIVES: dict[str, Objective] = {o.name: o for o in (FN, BRANIN, HARTMANN6, MIXED10)}
