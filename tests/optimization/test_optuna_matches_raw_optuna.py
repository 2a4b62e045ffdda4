"""Our ``optuna`` optimizer asks exactly what Optuna used directly asks.

Our optimizer and a raw Optuna study (``create_study``, ``study.ask`` with Optuna distributions
written here, ``study.tell``) with the same sampler settings and seed are driven side by side on a
space holding every 3.0 distribution kind: ask a batch, tell its results, repeat. The settings
asked must be identical after the 3.0 mapping (a ``Discrete`` over non-scalar options is asked by
index). A wrapper that asks the same sequence cannot lose quality against the library it wraps.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import pytest

from cluster_utils.optimization import make_optimizer
from cluster_utils.optimization.optuna_optimizer import sampler_seed

optuna = pytest.importorskip("optuna")

SEED = 11
ROUNDS = 8
STARTUP_TRIALS = 6

SPACE = [
    {"param": "lr", "distribution": "TruncatedLogNormal", "bounds": [1e-4, 1e-1]},
    {"param": "momentum", "distribution": "TruncatedNormal", "bounds": [0.0, 1.0]},
    {"param": "layers", "distribution": "IntNormal", "bounds": [1, 6]},
    {"param": "width", "distribution": "IntLogNormal", "bounds": [4, 512]},
    {"param": "act", "distribution": "Discrete", "options": ["relu", "tanh", "gelu"]},
    {"param": "shape", "distribution": "Discrete", "options": [[1, 2], [3, 4], [5, 6]]},
]
#: the raw study's view of SPACE (``shape``'s list options are asked by index)
RAW_DISTRIBUTIONS = {
    "lr": optuna.distributions.FloatDistribution(1e-4, 1e-1, log=True),
    "momentum": optuna.distributions.FloatDistribution(0.0, 1.0),
    "layers": optuna.distributions.IntDistribution(1, 6),
    "width": optuna.distributions.IntDistribution(4, 512, log=True),
    "act": optuna.distributions.CategoricalDistribution(["relu", "tanh", "gelu"]),
    "shape": optuna.distributions.CategoricalDistribution([0, 1, 2]),
}
SHAPES = [[1, 2], [3, 4], [5, 6]]


def loss(setting: dict[str, Any]) -> float:
    shape_cost = {(1, 2): 0.3, (3, 4): 0.0, (5, 6): 0.6}[tuple(setting["shape"])]
    act_cost = {"relu": 0.2, "tanh": 0.0, "gelu": 0.1}[setting["act"]]
    return (
        (math.log10(setting["lr"]) + 2.5) ** 2
        + (setting["momentum"] - 0.8) ** 2
        + 0.1 * (setting["layers"] - 3) ** 2
        + (math.log2(setting["width"]) - 6) ** 2 / 10
        + act_cost
        + shape_cost
    )


def raw_sampler(sampler: str, seed: int) -> Any:
    """The sampler as a user of Optuna would make it (our documented settings)."""
    samplers = optuna.samplers
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        if sampler == "tpe":
            return samplers.TPESampler(
                seed=seed, multivariate=True, constant_liar=True, n_startup_trials=STARTUP_TRIALS
            )
        if sampler == "cmaes":
            return samplers.CmaEsSampler(
                seed=seed, n_startup_trials=STARTUP_TRIALS, warn_independent_sampling=False
            )
        if sampler == "qmc":
            return samplers.QMCSampler(seed=seed, scramble=True, warn_independent_sampling=False)
        return samplers.RandomSampler(seed=seed)


def raw_setting(params: dict[str, Any]) -> dict[str, Any]:
    return {**params, "shape": tuple(SHAPES[params["shape"]])}  # 3.0 options come as tuples


@pytest.mark.parametrize("sampler", ["tpe", "cmaes", "random", "qmc"])
@pytest.mark.parametrize("batch", [1, 4])
def test_our_optimizer_asks_what_raw_optuna_asks(sampler: str, batch: int, tmp_path) -> None:
    settings = {"sampler": sampler}
    if sampler in ("tpe", "cmaes"):
        settings["n_startup_trials"] = STARTUP_TRIALS
    ours = make_optimizer(
        "optuna",
        SPACE,
        settings,
        metric_to_optimize="loss",
        minimize=True,
        seed=SEED,
        storage_dir=str(tmp_path),  # the journal the driver uses: it must not change the asks
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study = optuna.create_study(sampler=raw_sampler(sampler, sampler_seed(SEED)))
    for round_ in range(ROUNDS):
        asked = ours.ask(batch)
        trials = [study.ask(RAW_DISTRIBUTIONS) for _ in range(batch)]
        assert asked == [raw_setting(t.params) for t in trials], f"round {round_}"
        results: list[tuple[dict[str, Any], float | None]] = [(s, loss(s)) for s in asked]
        if round_ == 2:  # a failed job is a failed trial on both sides
            results[0] = (results[0][0], None)
        ours.tell(results)
        for trial, (_, value) in zip(trials, results, strict=True):
            if value is None:
                study.tell(trial, state=optuna.trial.TrialState.FAIL)
            else:
                study.tell(trial, value)
    assert len(study.trials) == len(ours.study.trials) == ROUNDS * batch
