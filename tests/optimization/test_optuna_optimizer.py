from __future__ import annotations

import importlib.util
import json
import shutil
import statistics
import sys

import pytest

from cluster_utils.optimization import (
    OPTUNA_SAMPLERS,
    OptimizerStateMismatch,
    make_optimizer,
    restore_optimizer,
)
from cluster_utils.optimization.optuna_optimizer import JOURNAL_FILE_NAME, SAMPLER_PACKAGES

optuna = pytest.importorskip("optuna")

BATCH = 5


def _installed(sampler: str) -> bool:

    package = SAMPLER_PACKAGES.get(sampler)
    return package is None or importlib.util.find_spec(package) is not None


#: samplers whose packages are installed (gp needs torch, which no extra installs)
SAMPLERS_HERE = [s for s in OPTUNA_SAMPLERS if _installed(s)]


def make_opt(params, sampler="tpe", *, seed=0, minimize=True, storage_dir=None, **settings):
    return make_optimizer(
        "optuna",
        params,
        {"sampler": sampler, **settings},
        metric_to_optimize="result",
        minimize=minimize,
        seed=seed,
        storage_dir=None if storage_dir is None else str(storage_dir),
    )


def resume(state, params, storage_dir, sampler="tpe"):
    return restore_optimizer(
        json.loads(json.dumps(state)),
        "optuna",
        params,
        {"sampler": sampler},
        metric_to_optimize="result",
        minimize=True,
        storage_dir=str(storage_dir),
    )


def run_rounds(optimizer, objective, rounds, fail_first=False):
    for _ in range(rounds):
        settings = optimizer.ask(BATCH)
        results = [(s, objective(s)) for s in settings]
        if fail_first:
            results[0] = (results[0][0], None)
        optimizer.tell(results)


@pytest.mark.parametrize("sampler", SAMPLERS_HERE)
def test_each_sampler_maps_the_distributions(sampler, metaopt_params, objective):
    optimizer = make_opt(metaopt_params, sampler)
    for _ in range(4):
        settings = optimizer.ask(BATCH)
        assert len(settings) == BATCH
        for setting in settings:
            assert -3.0 <= setting["fn_args.u"] <= 3.0 and type(setting["fn_args.u"]) is float
            assert 1 <= setting["fn_args.v"] <= 1000 and type(setting["fn_args.v"]) is int
            assert -5 <= setting["fn_args.w"] <= 5 and type(setting["fn_args.w"]) is int
            assert 1e-2 <= setting["fn_args.y"] <= 1e2 and type(setting["fn_args.y"]) is float
            assert type(setting["fn_args.sharp_penalty"]) is bool
        optimizer.tell([(s, objective(s)) for s in settings])
    distributions = optimizer.study.trials[0].distributions
    assert distributions["fn_args.u"] == optuna.distributions.FloatDistribution(-3.0, 3.0)
    assert distributions["fn_args.v"] == optuna.distributions.IntDistribution(1, 1000, log=True)
    assert distributions["fn_args.w"] == optuna.distributions.IntDistribution(-5, 5)
    assert distributions["fn_args.y"] == optuna.distributions.FloatDistribution(1e-2, 1e2, log=True)
    assert distributions["fn_args.sharp_penalty"] == optuna.distributions.CategoricalDistribution(
        [False, True]
    )
    assert optimizer.n_told == 20


def test_tuple_and_equal_options_go_through_indices():
    params = [
        {"param": "layers", "distribution": "Discrete", "options": [[1, 2], [3], "none"]},
        {"param": "flag", "distribution": "Discrete", "options": [1, True, 1.0]},
    ]
    optimizer = make_opt(params, "random")
    settings = optimizer.ask(30)
    assert {s["layers"] for s in settings} <= {(1, 2), (3,), "none"}
    assert {(type(s["flag"]), s["flag"]) for s in settings} == {
        (int, 1),
        (bool, True),
        (float, 1.0),
    }
    optimizer.tell([(s, 1.0) for s in settings])
    # a setting that was never asked can be told too
    optimizer.tell([({"layers": (3,), "flag": True}, 0.5)])
    assert optimizer.study.best_trial.params == {"layers": 1, "flag": 1}


def test_failed_jobs_are_failed_trials_not_a_made_up_loss(metaopt_params, objective):
    optimizer = make_opt(metaopt_params)
    run_rounds(optimizer, objective, 3, fail_first=True)
    states = [t.state for t in optimizer.study.trials]
    assert states.count(optuna.trial.TrialState.FAIL) == 3
    assert states.count(optuna.trial.TrialState.COMPLETE) == 12
    assert all(t.value is None for t in optimizer.study.trials if t.state.name == "FAIL")
    assert optimizer.n_failed == 3


@pytest.mark.parametrize("minimize", [True, False])
def test_direction_follows_minimize(minimize, metaopt_params, objective):
    optimizer = make_opt(metaopt_params, minimize=minimize)
    run_rounds(optimizer, objective, 2)
    direction = optimizer.study.direction
    assert direction.name == ("MINIMIZE" if minimize else "MAXIMIZE")
    best = optimizer.best(1)[0].mean
    values = [t.value for t in optimizer.study.trials]
    assert best == (min(values) if minimize else max(values))


def test_same_seed_same_asks_and_other_seed_other_asks(metaopt_params, objective):
    a, b, c = (make_opt(metaopt_params, seed=seed) for seed in (3, 3, 4))
    for optimizer in (a, b, c):
        run_rounds(optimizer, objective, 4)
    assert a.ask(BATCH) == b.ask(BATCH) != c.ask(BATCH)


def test_settings_errors_name_the_key(metaopt_params):
    with pytest.raises(ValueError, match=r"Unknown optimizer_settings \['populaton'\]"):
        make_opt(metaopt_params, populaton=3)
    with pytest.raises(ValueError, match="sampler must be one of"):
        make_opt(metaopt_params, "annealing")
    with pytest.raises(ValueError, match="n_startup_trials does not apply to sampler 'random'"):
        make_opt(metaopt_params, "random", n_startup_trials=3)
    with pytest.raises(ValueError, match="n_startup_trials must be a non-negative integer"):
        make_opt(metaopt_params, "tpe", n_startup_trials=-1)


def test_sampler_without_its_package_is_a_config_error(monkeypatch, metaopt_params):
    monkeypatch.setitem(SAMPLER_PACKAGES, "cmaes", "no_such_package_for_cmaes")
    with pytest.raises(ValueError, match="sampler cmaes needs the no_such_package_for_cmaes"):
        make_opt(metaopt_params, "cmaes")


def test_missing_optuna_names_the_extra(monkeypatch, metaopt_params):
    monkeypatch.setitem(sys.modules, "optuna", None)
    with pytest.raises(ImportError, match=r"cluster_utils\[optuna\]"):
        make_opt(metaopt_params)


@pytest.mark.parametrize("sampler", ["tpe", "cmaes", "qmc"])
def test_resume_from_the_journal_asks_the_same_from_the_same_restart_point(
    sampler, tmp_path, metaopt_params, objective
):
    interrupted = make_opt(metaopt_params, sampler, storage_dir=tmp_path / "run")
    run_rounds(interrupted, objective, 3)
    pending = interrupted.ask(BATCH)
    state = interrupted.to_state()
    assert (tmp_path / "run" / JOURNAL_FILE_NAME).is_file()
    results = [(s, objective(s)) for s in pending]

    asked_after_resume = []
    for attempt in ("first", "second"):  # the same restart point twice: a copy of the journal
        storage_dir = tmp_path / attempt
        storage_dir.mkdir()
        shutil.copy(tmp_path / "run" / JOURNAL_FILE_NAME, storage_dir / JOURNAL_FILE_NAME)
        resumed = resume(state, metaopt_params, storage_dir, sampler)
        assert resumed.n_told == 15
        resumed.tell(results)
        asked = resumed.ask(BATCH) + resumed.ask(BATCH)
        assert len(resumed.study.trials) == 30
        told = {json.dumps(t.params, sort_keys=True) for t in resumed.study.trials[:20]}
        assert all(json.dumps(s, sort_keys=True) not in told for s in asked)
        asked_after_resume.append(asked)
    assert asked_after_resume[0] == asked_after_resume[1]


def test_qmc_resumed_continues_its_one_sequence(tmp_path, metaopt_params, objective):
    straight = make_opt(metaopt_params, "qmc", storage_dir=tmp_path / "a")
    interrupted = make_opt(metaopt_params, "qmc", storage_dir=tmp_path / "b")
    for optimizer in (straight, interrupted):
        run_rounds(optimizer, objective, 3)
    pending = interrupted.ask(BATCH)
    assert straight.ask(BATCH) == pending
    resumed = resume(interrupted.to_state(), metaopt_params, tmp_path / "b", "qmc")
    results = [(s, objective(s)) for s in pending]
    straight.tell(results)
    resumed.tell(results)
    assert resumed.ask(BATCH) == straight.ask(BATCH)


def test_resume_after_asks_and_tells_that_were_not_saved(tmp_path, metaopt_params, objective):
    optimizer = make_opt(metaopt_params, storage_dir=tmp_path)
    run_rounds(optimizer, objective, 2)
    running = optimizer.ask(2)
    state = optimizer.to_state()  # the driver saved here (two jobs in flight) ...
    results = [(s, objective(s)) for s in running]
    optimizer.tell(results)  # ... then the journal got these tells
    optimizer.ask(3)  # ... and these asks, but the driver was killed before saving

    resumed = resume(state, metaopt_params, tmp_path)
    trials = resumed.study.trials
    assert [t.state.name for t in trials[12:]] == ["FAIL"] * 3  # asked, never run
    resumed.tell(results)  # the driver finds the two jobs finished and tells them again
    complete = [t for t in resumed.study.trials if t.state.name == "COMPLETE"]
    assert len(complete) == 12 and resumed.n_told == 12
    new = resumed.ask(BATCH)
    assert [t.number for t in resumed.study.trials[-BATCH:]] == list(range(15, 20))
    assert all(s not in running for s in new)


def test_fresh_start_moves_an_old_journal_aside(tmp_path, metaopt_params, objective):
    run_rounds(make_opt(metaopt_params, storage_dir=tmp_path), objective, 1)
    fresh = make_opt(metaopt_params, storage_dir=tmp_path)
    run_rounds(fresh, objective, 1)
    assert len(fresh.study.trials) == BATCH
    assert (tmp_path / (JOURNAL_FILE_NAME + ".stale")).is_file()


def test_resume_needs_the_journal(tmp_path, metaopt_params, objective):
    in_memory = make_opt(metaopt_params)
    run_rounds(in_memory, objective, 1)
    with pytest.raises(OptimizerStateMismatch, match="journal"):
        resume(in_memory.to_state(), metaopt_params, tmp_path)
    on_disk = make_opt(metaopt_params, storage_dir=tmp_path)
    run_rounds(on_disk, objective, 1)
    (tmp_path / JOURNAL_FILE_NAME).unlink()
    with pytest.raises(OptimizerStateMismatch, match="is missing"):
        resume(on_disk.to_state(), metaopt_params, tmp_path)


def test_tpe_beats_random_on_the_example_objective(metaopt_params, objective):
    def median_best(sampler: str) -> float:
        bests = []
        for seed in range(3):
            optimizer = make_opt(metaopt_params, sampler, seed=seed)
            run_rounds(optimizer, objective, 16)
            bests.append(optimizer.best(1)[0].mean)
        return statistics.median(bests)

    assert median_best("tpe") * 3 < median_best("random")


@pytest.mark.skipif(not _installed("gp"), reason="sampler gp needs torch")
def test_gp_resumed_study_continues(tmp_path, metaopt_params, objective):
    optimizer = make_opt(metaopt_params, "gp", storage_dir=tmp_path, n_startup_trials=3)
    run_rounds(optimizer, objective, 2)
    resumed = resume(optimizer.to_state(), metaopt_params, tmp_path, "gp")
    settings = resumed.ask(2)
    assert len(settings) == 2 and len(resumed.study.trials) == 12
