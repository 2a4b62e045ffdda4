from __future__ import annotations

import json

import pytest

from cluster_utils.optimization import OPTIMIZERS, make_optimizer


def test_unknown_optimizer_str(metaopt_params):
    with pytest.raises(ValueError, match="optimizer_str must be one of"):
        make_optimizer(
            "bayesian", metaopt_params, {}, metric_to_optimize="r", minimize=True, seed=0
        )


def test_optimizers_by_name():
    assert sorted(OPTIMIZERS) == ["cem_metaoptimizer", "gridsearch", "nevergrad", "optuna"]


def test_seed_none_draws_a_seed_that_is_saved(metaopt_params):
    optimizer = make_optimizer(
        "cem_metaoptimizer", metaopt_params, {}, metric_to_optimize="r", minimize=True, seed=None
    )
    state = json.loads(json.dumps(optimizer.to_state()))
    assert isinstance(state["seed"], int)
