"""Experiment directories with realistic content, written through the package's own writers.

Used by the report tests and ``benchmarks/report_speed.py``.  Nothing runs: the builder decides
each job's fate (succeeded, failed, running, pending; resumed or not; see
:mod:`tests.report.job_fates`) and then writes what a run leaves behind, with the writers a run
uses:

- ``jobs/<id>/params.json``: :func:`cluster_utils.hpo.jobs.create_jobs` (fresh ids 0, 1, ...);
- ``working_directories/<id>/metrics.csv``: the writer of ``finalize_job``;
- ``jobs/<id>/state.json`` (+ status markers): :class:`JobState` and :func:`save_state`;
- ``all_data.csv``, ``jobs.csv``, ``failures.csv``: :func:`collect_results` (grid) or the
  optimization's :class:`ResultsTables` (hpo, also ``reduced_data.csv`` and ``_iteration``);
- ``metadata.json``: :func:`write_run_metadata`; ``settings.json`` as the run prologue writes it;
- ``cluster_run.log``: the runner's lines, stamped with the attempts' times.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from cluster_utils.experiment.layout import ExperimentLayout
from cluster_utils.hpo.driver_state import DriverState, JobRecord
from cluster_utils.hpo.jobs import create_jobs
from cluster_utils.hpo.results_tables import ResultsTables
from cluster_utils.results.collect import collect_results
from tests.report.job_fates import (
    GIT_COMMIT,
    draw_statuses,
    duration,
    failure_reason,
    schedule,
    write_run_files,
    write_runner_files,
)

DEFAULT_GRID: dict[str, list[Any]] = {
    "fn_args.learning_rate": [1e-4, 1e-3, 1e-2],
    "fn_args.optimizer": ["adam", "sgd"],
    "fn_args.num_layers": [1, 2, 4],
}
HPO_PARAMS = [
    "fn_args.learning_rate",
    "fn_args.hidden_units",
    "fn_args.dropout",
    "fn_args.activation",
]


# -- grid_search ------------------------------------------------------------------------------


def _effect(value: Any, values: Sequence[Any], weight: float) -> float:
    """A smooth, deterministic contribution of one parameter value to the loss."""
    position = list(values).index(value) if value in values else 0
    centre = (len(values) - 1) / 2
    return weight * ((position - centre * 0.6) ** 2) / max(1.0, len(values))


def _grid_metrics(
    setting: Mapping[str, Any],
    grid: Mapping[str, Sequence[Any]],
    metrics: Sequence[str],
    rng: np.random.Generator,
) -> dict[str, Any]:
    """The first metric behaves like a loss, the second like an accuracy, more are noise."""
    weights = [1.0 + 0.7 * k for k in range(len(grid))]
    base = 0.2 + sum(_effect(setting[p], grid[p], w) for p, w in zip(grid, weights, strict=True))
    loss = base * float(rng.lognormal(0.0, 0.15))
    values: dict[str, Any] = {}
    for k, metric in enumerate(metrics):
        if k == 0:
            values[metric] = loss
        elif k == 1:
            values[metric] = 1.0 / (1.0 + loss) + float(rng.normal(0, 0.02))
        else:
            values[metric] = float(rng.normal(0, 1))
    return values


def _grid_settings(
    name: str, grid: Mapping[str, Sequence[Any]], restarts: int, extra: Mapping[str, Any] | None
) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "optimization_procedure_name": name,
        "results_dir": "results",
        "script_relative_path": "examples/basic/main.py",
        "run_in_working_dir": True,
        "environment_setup": {},
        "cluster_requirements": {"request_cpus": 1},
        "fixed_params": {"fn_args": {"epochs": 10}, "seed": 42},
        "restarts": restarts,
        "hyperparam_list": [{"param": p, "values": list(values)} for p, values in grid.items()],
        "generate_report": "when_finished",
    }
    settings.update(extra or {})
    return settings


def make_grid_experiment(
    directory: str | Path,
    *,
    hyperparams: Mapping[str, Sequence[Any]] | None = None,
    metrics: Sequence[str] = ("loss", "accuracy"),
    restarts: int = 1,
    n_failed: int = 2,
    n_running: int = 0,
    n_pending: int = 0,
    n_resumed: int = 2,
    n_slots: int = 4,
    metric_settings: Mapping[str, Any] | None = None,
    name: str = "grid_demo",
    seed: int = 0,
) -> Path:
    """Write a grid_search experiment directory and return its path.

    ``hyperparams`` maps dotted parameter names to their values (the grid is their product in
    3.0's order, times ``restarts``).  Metrics: see :func:`_grid_metrics`; ``time_elapsed`` is the
    job's run time.  ``metric_settings`` is merged into ``settings.json`` (e.g. ``{"minimize":
    False}``).
    """
    layout = ExperimentLayout(Path(directory))
    layout.root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    grid = dict(hyperparams if hyperparams is not None else DEFAULT_GRID)
    settings = _grid_settings(name, grid, restarts, metric_settings)
    combos = [dict(zip(grid, c, strict=True)) for c in itertools.product(*grid.values())]
    rows = [row for row in combos for _ in range(restarts)]
    job_ids = create_jobs(layout, settings["fixed_params"], rows)
    status = draw_statuses(job_ids, rng, n_failed, n_running, n_pending)
    candidates = [i for i in job_ids if status[i] in ("succeeded", "running")]
    resumed = {int(i) for i in rng.permutation(candidates)[:n_resumed]} if candidates else set()
    fates = schedule(
        status, rng, n_slots=n_slots, resumed=resumed, hostnames=["node01", "node02", "gpu-17"]
    )
    results = {
        i: {**_grid_metrics(row, grid, metrics, rng), "time_elapsed": duration(fates[i])}
        for i, row in zip(job_ids, rows, strict=True)
        if status[i] == "succeeded"
    }
    write_runner_files(layout, fates, results)
    collect_results(layout, job_ids)
    write_run_files(layout, "grid_search", settings, len(job_ids), GIT_COMMIT)
    return layout.root


# -- hp_optimization --------------------------------------------------------------------------


def _hpo_sample(rng: np.random.Generator, iteration: int) -> dict[str, Any]:
    """A setting like CEM samples it: concentrating towards the optimum over iterations."""
    spread = 1.0 / math.sqrt(iteration)
    lr = float(10 ** np.clip(rng.normal(-3.0 + 0.5 * (1 - spread), spread), -5, -1))
    units = np.clip(round(rng.normal(128 + 40 * (1 - spread), 60 * spread)), 16, 256)
    dropout = float(np.clip(rng.normal(0.3 - 0.15 * (1 - spread), 0.2 * spread), 0, 0.8))
    activation = str(rng.choice(["relu", "tanh", "gelu"], p=[0.5, 0.2, 0.3]))
    values = [float(f"{lr:.3g}"), int(units), round(dropout, 3), activation]
    return dict(zip(HPO_PARAMS, values, strict=True))


def _hpo_samples(
    rng: np.random.Generator, n_iterations: int, jobs_per_iteration: int, restarts: bool
) -> list[tuple[int, dict[str, Any]]]:
    """(iteration, setting) of every job; with ``restarts`` later iterations re-run settings."""
    planned: list[tuple[int, dict[str, Any]]] = []
    for iteration in range(1, n_iterations + 1):
        for _ in range(jobs_per_iteration):
            if restarts and iteration > 2 and rng.random() < 0.2:
                setting = dict(planned[int(rng.integers(0, len(planned)))][1])
            else:
                setting = _hpo_sample(rng, iteration)
            planned.append((iteration, setting))
    return planned


def _hpo_value(setting: Mapping[str, Any], rng: np.random.Generator, minimize: bool) -> float:
    loss = (
        (math.log10(setting["fn_args.learning_rate"]) + 2.5) ** 2
        + ((setting["fn_args.hidden_units"] - 170) / 100) ** 2
        + 2 * (setting["fn_args.dropout"] - 0.15) ** 2
        + {"relu": 0.0, "tanh": 0.3, "gelu": 0.05}[setting["fn_args.activation"]]
        + float(rng.normal(0, 0.08))
    )
    return loss if minimize else 1.0 / (1.0 + max(loss, 0.0))


def _hpo_settings(
    name: str, metric: str, minimize: bool, restarts: bool, n_jobs: int, per_iteration: int
) -> dict[str, Any]:
    optimized = [
        {"param": HPO_PARAMS[0], "distribution": "TruncatedLogNormal", "bounds": [1e-5, 1e-1]},
        {"param": HPO_PARAMS[1], "distribution": "IntNormal", "bounds": [16, 256]},
        {"param": HPO_PARAMS[2], "distribution": "TruncatedNormal", "bounds": [0, 0.8]},
        {"param": HPO_PARAMS[3], "distribution": "Discrete", "options": ["relu", "tanh", "gelu"]},
    ]
    return {
        "optimization_procedure_name": name,
        "results_dir": "results",
        "script_relative_path": "examples/basic/main.py",
        "environment_setup": {},
        "fixed_params": {"fn_args": {"epochs": 10}},
        "optimizer_str": "cem_metaoptimizer",
        "optimizer_settings": {"with_restarts": restarts, "num_jobs_in_elite": 10},
        "optimization_setting": {
            "metric_to_optimize": metric,
            "minimize": minimize,
            "number_of_samples": n_jobs,
            "n_jobs_per_iteration": per_iteration,
        },
        "optimized_params": optimized,
    }


def _hpo_record(
    job_id: int, iteration: int, setting: dict[str, Any], metrics: dict[str, Any] | None, key: str
) -> JobRecord:
    """The driver's record of a finished job."""
    if metrics is None:
        return JobRecord(job_id, setting, iteration, "failed", reason=failure_reason(job_id)[0])
    return JobRecord(job_id, setting, iteration, "succeeded", metrics[key], metrics)


def make_hpo_experiment(
    directory: str | Path,
    *,
    n_iterations: int = 6,
    jobs_per_iteration: int = 8,
    restarts: bool = True,
    n_failed: int = 3,
    minimize: bool = True,
    metric: str = "loss",
    name: str = "hpo_demo",
    seed: int = 1,
) -> Path:
    """Write an hp_optimization experiment directory and return its path.

    With ``restarts`` about a fifth of the jobs of later iterations re-run an earlier setting;
    ``reduced_data.csv`` holds the means over restarts (``job_restarts``, ``<metric>__std``).
    """
    layout = ExperimentLayout(Path(directory))
    layout.root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    planned = _hpo_samples(rng, n_iterations, jobs_per_iteration, restarts)
    settings = _hpo_settings(name, metric, minimize, restarts, len(planned), jobs_per_iteration)
    job_ids = create_jobs(layout, settings["fixed_params"], [s for _, s in planned])
    status = draw_statuses(job_ids, rng, n_failed)
    results = {
        i: {metric: _hpo_value(setting, rng, minimize)}
        for i, (_, setting) in zip(job_ids, planned, strict=True)
        if status[i] == "succeeded"
    }
    resumed = {i for i in rng.permutation(job_ids)[:2].tolist() if status[i] != "failed"}
    fates = schedule(
        status, rng, n_slots=jobs_per_iteration, resumed=resumed, hostnames=["node01", "node02"]
    )
    for i, values in results.items():
        values["time_elapsed"] = duration(fates[i])
    write_runner_files(layout, fates, results)
    records = {
        i: _hpo_record(i, iteration, setting, results.get(i), metric)
        for i, (iteration, setting) in zip(job_ids, planned, strict=True)
    }
    state = DriverState(fingerprint=name, settings=settings, seed=seed, jobs=records)
    ResultsTables(layout, metric, minimize).write_all(state, HPO_PARAMS)
    write_run_files(layout, "hp_optimization", settings, len(job_ids), None)
    return layout.root
