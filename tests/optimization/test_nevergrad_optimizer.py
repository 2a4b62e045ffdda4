from __future__ import annotations

import json
import sys

import pytest

from cluster_utils.optimization import (
    NEVERGRAD_ALGORITHMS,
    NevergradOptimizer,
    OptimizerStateMismatch,
    make_optimizer,
    restore_optimizer,
)
from cluster_utils.optimization.nevergrad_optimizer import FAILURE_LOSS_WITHOUT_REFERENCE

pytest.importorskip("nevergrad")

BUDGET, WORKERS = 60, 5


def make_ng(params, opt_alg="cma", *, seed=0, minimize=True):
    return make_optimizer(
        "nevergrad",
        params,
        {"opt_alg": opt_alg},
        metric_to_optimize="result",
        minimize=minimize,
        seed=seed,
        number_of_samples=BUDGET,
        n_jobs_per_iteration=WORKERS,
    )


def resume(state, params, opt_alg="cma"):
    return restore_optimizer(
        json.loads(json.dumps(state)),
        "nevergrad",
        params,
        {"opt_alg": opt_alg},
        metric_to_optimize="result",
        minimize=True,
        number_of_samples=BUDGET,
        n_jobs_per_iteration=WORKERS,
    )


@pytest.mark.parametrize("opt_alg", [*sorted(NEVERGRAD_ALGORITHMS), "TBPSA"])
def test_each_algorithm_runs_ask_tell_rounds(opt_alg, metaopt_params, objective):
    optimizer = make_ng(metaopt_params, opt_alg)
    for round_ in range(4):
        settings = optimizer.ask(WORKERS)
        assert len(settings) == WORKERS
        for setting in settings:
            assert -3.0 <= setting["fn_args.u"] <= 3.0
            assert 1 <= setting["fn_args.v"] <= 1000 and type(setting["fn_args.v"]) is int
            assert -5 <= setting["fn_args.w"] <= 5 and type(setting["fn_args.w"]) is int
            assert 1e-2 <= setting["fn_args.y"] <= 1e2 and type(setting["fn_args.y"]) is float
            assert type(setting["fn_args.sharp_penalty"]) is bool
        # one failure per round
        optimizer.tell(
            [(s, objective(s) if i or round_ == 0 else None) for i, s in enumerate(settings)]
        )
    assert optimizer.n_told == 20 and optimizer.n_failed == 3
    assert optimizer.best(1)[0].mean == min(r.mean for r in optimizer.reduced())


def test_failure_is_told_a_penalty_worse_than_every_loss():
    assert NevergradOptimizer._failure_loss([]) == FAILURE_LOSS_WITHOUT_REFERENCE
    assert NevergradOptimizer._failure_loss([1.0, 3.0]) == 5.0
    assert NevergradOptimizer._failure_loss([2.0, 2.5]) == 3.5


def test_failures_only_do_not_crash(metaopt_params):
    optimizer = make_ng(metaopt_params, "twopointsde")
    for _ in range(3):
        optimizer.tell([(s, None) for s in optimizer.ask(WORKERS)])
    assert optimizer.n_failed == 15 and optimizer.best(1) == []


@pytest.mark.parametrize("minimize", [True, False])
def test_minimize_and_maximize(minimize):
    params = [{"param": "x", "distribution": "TruncatedNormal", "bounds": [-5.0, 5.0]}]
    sign = 1 if minimize else -1
    optimizer = make_ng(params, "oneplusone", minimize=minimize)
    for _ in range(BUDGET // WORKERS):
        optimizer.tell([(s, sign * (s["x"] - 2.0) ** 2) for s in optimizer.ask(WORKERS)])
    assert optimizer.best(1)[0].setting["x"] == pytest.approx(2.0, abs=0.3)
    assert optimizer.recommendation()["x"] == pytest.approx(2.0, abs=0.5)


@pytest.mark.parametrize("opt_alg", ["cma", "twopointsde", "tbpsa"])
def test_state_round_trip_gives_identical_next_asks(opt_alg, metaopt_params, objective):
    uninterrupted = make_ng(metaopt_params, opt_alg, seed=4)
    for round_ in range(5):
        settings = uninterrupted.ask(WORKERS)
        uninterrupted.tell([(s, objective(s) if round_ != 2 else None) for s in settings])
    in_flight = uninterrupted.ask(WORKERS)  # asked, not told when the driver dies
    resumed = resume(uninterrupted.to_state(), metaopt_params, opt_alg)
    assert resumed.reduced() == uninterrupted.reduced()
    results = [(s, objective(s)) for s in reversed(in_flight)]
    uninterrupted.tell(results)
    resumed.tell(results)
    for _ in range(3):
        asked = uninterrupted.ask(WORKERS)
        assert resumed.ask(WORKERS) == asked
        results = [(s, objective(s)) for s in asked]
        uninterrupted.tell(results)
        resumed.tell(results)


def test_same_seed_same_asks(metaopt_params):
    assert make_ng(metaopt_params, seed=9).ask(5) == make_ng(metaopt_params, seed=9).ask(5)
    assert make_ng(metaopt_params, seed=9).ask(5) != make_ng(metaopt_params, seed=10).ask(5)


def test_telling_a_setting_that_was_not_asked(metaopt_params, objective):
    optimizer = make_ng(metaopt_params, "cma")
    setting = {
        "fn_args.u": 0.0,
        "fn_args.v": 10,
        "fn_args.w": 1,
        "fn_args.x": 3.0,
        "fn_args.y": 15.0,
        "fn_args.sharp_penalty": False,
    }
    optimizer.tell([(setting, objective(setting))])
    assert optimizer.n_told == 1


def test_resume_with_other_algorithm_or_bounds_fails(metaopt_params, objective):
    optimizer = make_ng(metaopt_params, "cma")
    optimizer.tell([(s, objective(s)) for s in optimizer.ask(5)])
    with pytest.raises(OptimizerStateMismatch, match="opt_alg"):
        resume(optimizer.to_state(), metaopt_params, "pso")
    changed = [dict(e) for e in metaopt_params]
    changed[0]["bounds"] = [-1.0, 1.0]
    with pytest.raises(OptimizerStateMismatch, match="optimized_params"):
        resume(optimizer.to_state(), changed)


def test_invalid_opt_alg(metaopt_params):
    with pytest.raises(ValueError, match="opt_alg"):
        make_ng(metaopt_params, "bayes")


def test_missing_nevergrad_names_the_extra(monkeypatch, metaopt_params):
    monkeypatch.setitem(sys.modules, "nevergrad", None)
    with pytest.raises(ImportError, match=r"cluster_utils\[nevergrad\]"):
        make_ng(metaopt_params)


def test_ngopt_is_refused_with_the_measured_reason(metaopt_params):
    with pytest.raises(ValueError, match="opt_alg NGOpt is not offered: measured worse than"):
        make_ng(metaopt_params, "NGOpt")


def test_not_recommended_algorithm_runs_with_a_warning(monkeypatch, metaopt_params, caplog):
    from cluster_utils.optimization import nevergrad_optimizer

    monkeypatch.setitem(nevergrad_optimizer.NOT_RECOMMENDED, "pso", "branin")
    with caplog.at_level("WARNING", logger="cluster_utils"):
        optimizer = make_ng(metaopt_params, "pso")
    assert len(optimizer.ask(WORKERS)) == WORKERS
    assert "measured worse than uniform random search on branin" in caplog.text
