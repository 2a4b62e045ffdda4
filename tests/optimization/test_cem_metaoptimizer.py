from __future__ import annotations

import json
import logging

import pytest

from cluster_utils.optimization import (
    CEMMetaoptimizer,
    OptimizerStateMismatch,
    make_optimizer,
    restore_optimizer,
)

QUADRATIC_PARAMS = [
    {"param": "fn_args.x", "distribution": "TruncatedNormal", "bounds": [-5.0, 5.0]},
    {"param": "fn_args.y", "distribution": "TruncatedNormal", "bounds": [-5.0, 5.0]},
]


def quadratic(setting):
    return (setting["fn_args.x"] - 2.0) ** 2 + (setting["fn_args.y"] + 1.0) ** 2


def make_cem(params=QUADRATIC_PARAMS, *, seed=0, minimize=True, **settings):
    settings.setdefault("num_jobs_in_elite", 10)
    settings.setdefault("with_restarts", False)
    return make_optimizer(
        "cem_metaoptimizer",
        params,
        settings,
        metric_to_optimize="loss",
        minimize=minimize,
        seed=seed,
    )


def run(optimizer, objective, samples=200, batch=5):
    for _ in range(samples // batch):
        optimizer.tell([(s, objective(s)) for s in optimizer.ask(batch)])
    return optimizer


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_converges_on_quadratic(seed):
    initial_mean_value = quadratic({"fn_args.x": 0.0, "fn_args.y": 0.0})  # 5.0
    optimizer = run(make_cem(seed=seed), quadratic)
    best = optimizer.best(1)[0]
    assert best.mean < initial_mean_value / 50
    assert optimizer.distributions[0].mean == pytest.approx(2.0, abs=0.5)
    assert optimizer.distributions[1].mean == pytest.approx(-1.0, abs=0.5)


def test_maximize_finds_the_maximum_and_ranks_descending():
    optimizer = run(make_cem(minimize=False), lambda s: -quadratic(s))
    ranked = [result.mean for result in optimizer.reduced()]
    assert ranked == sorted(ranked, reverse=True)
    assert optimizer.best(1)[0].mean > -0.1
    assert optimizer.distributions[0].mean == pytest.approx(2.0, abs=0.5)


def test_minimize_ranks_ascending(metaopt_params, objective):
    optimizer = run(make_cem(metaopt_params), objective, samples=60)
    ranked = [result.mean for result in optimizer.reduced()]
    assert ranked == sorted(ranked)
    assert optimizer.elite() == optimizer.reduced()[:10]


def test_settings_are_flat_python_values(metaopt_params):
    settings = make_cem(metaopt_params).ask(20)
    for setting in settings:
        assert list(setting) == [entry["param"] for entry in metaopt_params]
        assert type(setting["fn_args.v"]) is int and type(setting["fn_args.w"]) is int
        assert type(setting["fn_args.u"]) is float
        assert type(setting["fn_args.sharp_penalty"]) is bool
    json.dumps(settings)


def test_failures_are_counted_and_kept_out_of_the_elite():
    optimizer = make_cem()
    settings = optimizer.ask(10)
    optimizer.tell([(s, None) for s in settings[:5]])  # only failures: nothing to refit on
    assert optimizer.distributions[0].mean == 0.0
    optimizer.tell([(settings[5], float("nan"))] + [(s, quadratic(s)) for s in settings[6:]])
    assert (optimizer.n_told, optimizer.n_failed, optimizer.n_successful) == (10, 6, 4)
    assert len(optimizer.elite()) == 4
    assert all(result.failures == 0 for result in optimizer.elite())
    # a setting that failed once and succeeded once keeps its failure count
    optimizer.tell([(settings[6], None)])
    failed_once = [r for r in optimizer.reduced() if r.setting == settings[6]]
    assert failed_once[0].failures == 1 and failed_once[0].restarts == 1


def test_ask_n_equals_n_single_asks():
    together, single = make_cem(seed=3), make_cem(seed=3)
    run(together, quadratic, samples=40)
    run(single, quadratic, samples=40)
    assert together.ask(5) == [single.ask(1)[0] for _ in range(5)]


def test_same_seed_same_asks_different_seed_different_asks():
    first = run(make_cem(seed=11), quadratic, samples=50)
    second = run(make_cem(seed=11), quadratic, samples=50)
    assert first.ask(5) == second.ask(5)
    assert make_cem(seed=11).ask(5) != make_cem(seed=12).ask(5)


def test_with_restarts_reruns_best_half_of_the_elite_and_averages():
    params = [dict(entry, smart_rounding=False) for entry in QUADRATIC_PARAMS]
    optimizer = make_cem(params, with_restarts=True, num_jobs_in_elite=10)
    first = optimizer.ask(9)
    assert len({json.dumps(s) for s in first}) == 9  # elite not full yet: all new
    optimizer.tell([(s, quadratic(s)) for s in first])
    repeats = 0
    for _ in range(60):
        best_half = [json.dumps(r.setting) for r in optimizer.elite()[:5]]
        seen = {json.dumps(r.setting) for r in optimizer.reduced()}
        settings = optimizer.ask(5)
        for setting in settings:
            if json.dumps(setting) in seen:
                assert json.dumps(setting) in best_half
                repeats += 1
        optimizer.tell([(s, quadratic(s) + 0.01) for s in settings])
    assert 0.1 < repeats / 300 < 0.3
    repeated = [r for r in optimizer.reduced() if r.restarts > 1]
    assert repeated
    assert all(r.std is not None for r in repeated)


def test_without_restarts_no_repeats():
    params = [dict(entry, smart_rounding=False) for entry in QUADRATIC_PARAMS]
    optimizer = run(make_cem(params, with_restarts=False), quadratic)
    assert all(result.restarts == 1 for result in optimizer.reduced())


def test_elite_size_has_a_minimum_of_five(caplog):
    with caplog.at_level(logging.WARNING, logger="cluster_utils"):
        optimizer = make_cem(num_jobs_in_elite=2)
    assert optimizer.num_jobs_in_elite == 5
    assert "raised" in caplog.text


def test_invalid_settings_are_rejected():
    with pytest.raises(ValueError, match="Unknown optimizer_settings"):
        make_cem(with_restart=True)
    with pytest.raises(TypeError, match="with_restarts"):
        make_cem(with_restarts="yes")
    optimizer = make_cem()
    with pytest.raises(ValueError, match="exactly the optimized parameters"):
        optimizer.tell([({"fn_args.x": 1.0}, 1.0)])
    with pytest.raises(TypeError, match="metric value"):
        optimizer.tell([(optimizer.ask(1)[0], "1.0")])


def resume(state, params=QUADRATIC_PARAMS, **settings):
    settings.setdefault("num_jobs_in_elite", 10)
    settings.setdefault("with_restarts", False)
    return restore_optimizer(
        json.loads(json.dumps(state)),
        "cem_metaoptimizer",
        params,
        settings,
        metric_to_optimize="loss",
        minimize=True,
    )


@pytest.mark.parametrize("with_restarts", [False, True])
def test_state_round_trip_gives_identical_future(with_restarts):
    uninterrupted = run(make_cem(seed=5, with_restarts=with_restarts), quadratic, samples=100)
    resumed = resume(uninterrupted.to_state(), with_restarts=with_restarts)
    assert isinstance(resumed, CEMMetaoptimizer)
    assert resumed.reduced() == uninterrupted.reduced()
    for _ in range(10):
        asked = uninterrupted.ask(5)
        assert resumed.ask(5) == asked
        results = [(s, quadratic(s)) for s in asked]
        uninterrupted.tell(results)
        resumed.tell(results)
    assert resumed.to_state() == uninterrupted.to_state()


def test_resume_reads_with_restarts_from_the_current_settings():
    # 3.0 bug: after resume with_restarts was a key name (always truthy)
    saved = run(make_cem(seed=5, with_restarts=True), quadratic, samples=50).to_state()
    resumed = resume(saved, with_restarts=False, num_jobs_in_elite=7)
    assert resumed.with_restarts is False and resumed.num_jobs_in_elite == 7
    resumed_with = resume(saved, with_restarts=True)
    assert resumed_with.with_restarts is True


def test_resume_with_changed_bounds_refits_with_warning(caplog):
    saved = run(make_cem(seed=5), quadratic, samples=50).to_state()
    wider = [dict(entry, bounds=[-10.0, 10.0]) for entry in QUADRATIC_PARAMS]
    with caplog.at_level(logging.WARNING, logger="cluster_utils"):
        resumed = resume(saved, wider)
    assert "changed" in caplog.text
    assert resumed.distributions[0].mean == pytest.approx(2.0, abs=0.5)


def test_resume_with_a_different_metric_or_direction_fails():
    saved = run(make_cem(seed=5), quadratic, samples=10).to_state()
    for changes in ({"metric_to_optimize": "other"}, {"minimize": False}):
        kwargs = {"metric_to_optimize": "loss", "minimize": True} | changes
        with pytest.raises(OptimizerStateMismatch):
            restore_optimizer(saved, "cem_metaoptimizer", QUADRATIC_PARAMS, {}, **kwargs)
    with pytest.raises(OptimizerStateMismatch, match="names"):
        resume(saved, QUADRATIC_PARAMS[:1])


def test_a_bad_result_rejects_the_whole_tell():
    optimizer = make_cem()
    settings = optimizer.ask(2)
    with pytest.raises(ValueError, match="exactly the optimized parameters"):
        optimizer.tell([(settings[0], 1.0), ({"fn_args.x": 1.0}, 1.0)])
    with pytest.raises(TypeError, match="metric value"):
        optimizer.tell([(settings[0], 1.0), (settings[1], "2")])
    assert optimizer.n_told == 0
