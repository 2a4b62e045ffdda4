from __future__ import annotations

import itertools
import json

import pytest

from cluster_utils.optimization import (
    GridOptimizer,
    OptimizerStateMismatch,
    make_optimizer,
    restore_optimizer,
)

#: hyperparam_list of 3.0's examples/basic/grid_search_with_tuples.json
TUPLE_GRID = [
    {"param": "pairs", "values": [[-0.5, 10], [0, 20]]},
    {"param": "fn_args.w", "values": [1, 2]},
    {"param": ["fn_args.x", "fn_args.y"], "values": [[3.0, 0.1], [3.5, 1.0], [4.0, 1.0]]},
    {"param": "fn_args.sharp_penalty", "values": [False]},
]


def make_grid(params, seed=0, **settings):
    return make_optimizer(
        "gridsearch", params, settings, metric_to_optimize="result", minimize=True, seed=seed
    )


def expected_product(grid):
    for combination in itertools.product(*(entry["values"] for entry in grid)):
        setting = {}
        for entry, value in zip(grid, combination, strict=True):
            if isinstance(entry["param"], list):
                setting.update(zip(entry["param"], value, strict=True))
            else:
                setting[entry["param"]] = tuple(value) if isinstance(value, list) else value
        yield setting


def test_enumerates_the_product_in_3_0_order_with_zipped_params():
    optimizer = make_grid(TUPLE_GRID)
    assert isinstance(optimizer, GridOptimizer)
    asked = optimizer.ask(5) + optimizer.ask(100)
    assert asked == list(expected_product(TUPLE_GRID))
    assert len(asked) == 12 and optimizer.exhausted and optimizer.ask(3) == []
    assert asked[0] == {
        "pairs": (-0.5, 10),
        "fn_args.w": 1,
        "fn_args.x": 3.0,
        "fn_args.y": 0.1,
        "fn_args.sharp_penalty": False,
    }


def test_restarts_repeat_the_whole_grid():
    grid = [{"param": "a", "values": [1, 2]}, {"param": "b", "values": ["x", "y", "z"]}]
    optimizer = make_grid(grid, restarts=3)
    asked = optimizer.ask(100)
    assert asked == list(expected_product(grid)) * 3
    optimizer.tell([(s, float(s["a"])) for s in asked])
    assert [r.restarts for r in optimizer.reduced()] == [3] * 6
    assert optimizer.best(1)[0].setting["a"] == 1


def test_discrete_distributions_are_grid_axes_and_numerical_ones_rejected(metaopt_params):
    discrete = [
        {"param": "opt", "distribution": "Discrete", "options": ["adam", "sgd"]},
        {"param": "flag", "distribution": "Discrete", "options": [False, True]},
    ]
    assert make_grid(discrete).ask(10) == [
        {"opt": "adam", "flag": False},
        {"opt": "adam", "flag": True},
        {"opt": "sgd", "flag": False},
        {"opt": "sgd", "flag": True},
    ]
    with pytest.raises(ValueError, match="no finite set of values"):
        make_grid(metaopt_params)


def test_samples_are_distinct_seeded_and_capped():
    grid = [{"param": "a", "values": list(range(10))}, {"param": "b", "values": list(range(10))}]
    sampled = make_grid(grid, seed=1, samples=30).ask(100)
    assert len(sampled) == 30 and len({json.dumps(s) for s in sampled}) == 30
    assert make_grid(grid, seed=1, samples=30).ask(100) == sampled
    assert make_grid(grid, seed=2, samples=30).ask(100) != sampled
    assert len(make_grid(grid, samples=1000).ask(1000)) == 100
    twice = make_grid(grid, seed=1, samples=5, restarts=2).ask(100)
    assert twice[:5] == twice[5:]


def test_no_params_only_restarts():
    assert make_grid([], restarts=2).ask(5) == [{}, {}]


def test_invalid_entries():
    with pytest.raises(ValueError, match="2 items"):
        make_grid([{"param": ["a", "b"], "values": [[1, 2], [3]]}])
    with pytest.raises(ValueError, match="more than once"):
        make_grid([{"param": "a", "values": [1]}, {"param": ["a", "b"], "values": [[1, 2]]}])
    with pytest.raises(ValueError, match="restarts"):
        make_grid([{"param": "a", "values": [1]}], restarts=0)


def test_state_round_trip_continues_where_it_was():
    uninterrupted = make_grid(TUPLE_GRID, restarts=2)
    first = uninterrupted.ask(7)
    uninterrupted.tell([(s, 1.0) for s in first[:3]] + [(first[3], None)])
    state = json.loads(json.dumps(uninterrupted.to_state()))
    resumed = restore_optimizer(
        state,
        "gridsearch",
        TUPLE_GRID,
        {"restarts": 2},
        metric_to_optimize="result",
        minimize=True,
    )
    assert resumed.reduced() == uninterrupted.reduced()
    assert resumed.n_failed == 1
    assert resumed.ask(100) == uninterrupted.ask(100)
    with pytest.raises(OptimizerStateMismatch, match="samples"):
        restore_optimizer(
            state,
            "gridsearch",
            TUPLE_GRID,
            {"restarts": 2, "samples": 3},
            metric_to_optimize="result",
            minimize=True,
        )
