"""The driver's pure parts: fingerprint and seed, early-killing rule, tables, batch argv, params."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from snakemake.cli import parse_config

from cluster_utils.execution.snakemake import BATCH_CONFIG_KEY, EXPERIMENT_CONFIG_KEY
from cluster_utils.experiment.layout import ExperimentLayout
from cluster_utils.experiment.settings import settings_fingerprint
from cluster_utils.hpo.driver_state import (
    DriverState,
    JobRecord,
    load_driver_state,
    save_driver_state,
)
from cluster_utils.hpo.early_killing import looks_bad, rank_reference
from cluster_utils.hpo.executors import batch_argv
from cluster_utils.hpo.jobs import job_params
from cluster_utils.hpo.results_tables import ResultsTables
from cluster_utils.hpo.setup import HpoSettings, changed_settings, seed_from_fingerprint

SETTINGS = {
    "optimization_procedure_name": "demo",
    "optimizer_str": "cem_metaoptimizer",
    "optimizer_settings": {"with_restarts": True, "num_jobs_in_elite": 5},
    "optimization_setting": {
        "metric_to_optimize": "loss",
        "minimize": True,
        "number_of_samples": 10,
        "n_jobs_per_iteration": 4,
    },
    "optimized_params": [{"param": "fn_args.x", "distribution": "Discrete", "options": [1, 2]}],
    "cluster_requirements": {"request_cpus": 2, "max_cpus": 5},
}


def test_seed_is_a_function_of_the_resolved_settings() -> None:
    fingerprint = settings_fingerprint(SETTINGS)
    assert fingerprint == settings_fingerprint(json.loads(json.dumps(SETTINGS)))
    assert seed_from_fingerprint(fingerprint) == seed_from_fingerprint(fingerprint)
    assert 0 <= seed_from_fingerprint(fingerprint) < 2**63
    other = {**SETTINGS, "optimization_procedure_name": "other"}
    assert seed_from_fingerprint(settings_fingerprint(other)) != seed_from_fingerprint(fingerprint)


def test_changed_settings_lists_dotted_keys() -> None:
    changed = json.loads(json.dumps(SETTINGS))
    changed["optimization_setting"]["number_of_samples"] = 20
    changed["fixed_params"] = {"lr": 0.1}
    assert changed_settings(SETTINGS, changed) == [
        "fixed_params.lr: (not set) -> 0.1",
        "optimization_setting.number_of_samples: 10 -> 20",
    ]


def test_local_slots_respect_cores_and_request_cpus() -> None:
    hpo = HpoSettings.from_settings(SETTINGS)
    assert hpo.local_slots(None) == 2  # max_cpus 5 // request_cpus 2
    assert hpo.local_slots(8) == 4
    assert hpo.local_slots(1) == 1
    bad = json.loads(json.dumps(SETTINGS))
    bad["optimization_setting"]["n_completed_jobs_before_resubmit"] = 5
    with pytest.raises(ValueError, match="n_completed_jobs_before_resubmit"):
        HpoSettings.from_settings(bad)


def _reference(minimize: bool = True):
    # six finished jobs: three early values and the final result, the order never changes
    histories = [[v * step for step in (1, 2, 3)] + [v * 4] for v in (1, 2, 3, 4, 5, 6)]
    if not minimize:
        histories = [[-x for x in h] for h in histories]
    return rank_reference(histories, minimize)


@pytest.mark.parametrize("minimize", [True, False])
def test_a_clearly_bad_job_is_stopped(minimize: bool) -> None:
    reference = _reference(minimize)
    assert reference is not None
    assert list(reference.rank_deviations) == [0, 0, 0, 0]
    sign = 1 if minimize else -1
    kwargs = {"minimize": minimize, "target_rank": 3, "how_many_stds": 1.0}
    assert looks_bad(reference, [sign * 100.0], **kwargs)
    assert not looks_bad(reference, [sign * 1.5], **kwargs)
    assert not looks_bad(reference, [], **kwargs)
    # beyond half of the reference length: never stopped
    assert not looks_bad(reference, [sign * 100.0] * 3, **kwargs)


def test_no_reference_with_fewer_than_five_jobs_or_without_early_results() -> None:
    assert rank_reference([[1, 2], [2, 3], [3, 4], [4, 5]], True) is None
    assert rank_reference([[1], [2], [3], [4], [5]], True) is None
    # only the jobs with the longest history count
    assert rank_reference([[1, 2, 3]] + [[1, 2]] * 5, True) is None


def test_uncertain_steps_widen_the_margin() -> None:
    # early values predict the final order badly: large deviation at step 0
    histories = [[6 - v, v] for v in range(6)]
    reference = rank_reference(histories, True)
    assert reference is not None and reference.rank_deviations[0] > 3
    assert not looks_bad(reference, [100.0], minimize=True, target_rank=3, how_many_stds=1.0)


def test_job_params_nest_settings_and_evaluate_templates() -> None:
    params = job_params(
        {"fn_args": {"y": 1}, "flag": "{fn_args.x > 0.5}", "opt.lr": 0.1},
        {"fn_args.x": 0.7, "pair": (1, 2)},
        7,
        "/w/7",
    )
    assert params == {
        "fn_args": {"y": 1, "x": 0.7},
        "flag": True,
        "opt": {"lr": 0.1},
        "pair": [1, 2],
        "id": 7,
        "working_dir": "/w/7",
    }


def test_batch_argv_has_both_config_keys_and_its_own_directory(tmp_path: Path) -> None:
    layout = ExperimentLayout.at(tmp_path)
    argv = batch_argv(layout, tmp_path / "profile", tmp_path / "b", tmp_path / "b" / "j.json", 4)
    start = argv.index("--config") + 1
    entries = argv[start : argv.index("--rerun-incomplete")]
    config = parse_config(entries)  # as Snakemake itself reads them
    assert config[EXPERIMENT_CONFIG_KEY] == str(layout.root)
    assert config[BATCH_CONFIG_KEY] == str(tmp_path / "b" / "j.json")
    assert argv[argv.index("--directory") + 1] == str(tmp_path / "b")
    assert argv[argv.index("--cores") + 1] == "4"


def _write_params(layout: ExperimentLayout, job_id: int, x: float) -> None:
    layout.params_file(job_id).parent.mkdir(parents=True, exist_ok=True)
    params = {"x": x, "id": job_id, "working_dir": str(layout.working_dir(job_id))}
    layout.params_file(job_id).write_text(json.dumps(params))


def test_tables_average_restarts_and_keep_failures(tmp_path: Path) -> None:
    layout = ExperimentLayout.at(tmp_path)
    state = DriverState("f", {}, 1)
    outcomes = [(1.0, 3.0), (1.0, 5.0), (2.0, 1.0), (3.0, None)]
    for job_id, (x, loss) in enumerate(outcomes):
        _write_params(layout, job_id, x)
        state.jobs[job_id] = JobRecord(
            id=job_id,
            setting={"x": x},
            iteration=1 + job_id // 2,
            status="succeeded" if loss is not None else "failed",
            value=loss,
            metrics=None if loss is None else {"loss": loss, "time_elapsed": 1.0},
            reason=None if loss is not None else "exited with code 1",
        )
    save_driver_state(layout, state)
    assert load_driver_state(layout) == state
    ResultsTables(layout, "loss", minimize=True).write_all(state, ["x"])

    all_data = pd.read_csv(layout.all_data_csv)
    assert list(all_data["_id"]) == [2, 0, 1]  # best first
    assert list(all_data["_iteration"]) == [2, 1, 1]
    reduced = pd.read_csv(layout.reduced_data_csv)
    assert list(reduced["x"]) == [2.0, 1.0]
    assert list(reduced["loss"]) == [1.0, 4.0]
    assert list(reduced["job_restarts"]) == [1, 2]
    assert reduced["loss__std"].iloc[1] == pytest.approx(2**0.5)
    failures = pd.read_csv(layout.failures_csv)
    assert list(failures["_id"]) == [3]
    assert failures["reason"].iloc[0] == "exited with code 1"
    jobs = pd.read_csv(layout.jobs_csv)
    assert list(jobs.columns[:5]) == ["_id", "status", "reason", "resumes", "_iteration"]
    assert list(jobs["status"]) == ["succeeded", "succeeded", "succeeded", "failed"]

    # maximizing flips the order
    ResultsTables(layout, "loss", minimize=False).write_all(state, ["x"])
    assert list(pd.read_csv(layout.all_data_csv)["_id"]) == [1, 0, 2]
