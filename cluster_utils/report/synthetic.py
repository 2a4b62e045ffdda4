"""Synthetic experiment directories with realistic content.

Used by the report tests and ``benchmarks/report_speed.py``, and handy for trying out the report
without running anything: it writes the same files a real run writes (see
``docs/results_layout.md``): ``all_data.csv``, ``jobs.csv``, ``failures.csv``,
``jobs/<id>/state.json``, ``settings.json``, ``metadata.json``, ``cluster_run.log`` and, for
hp_optimization with restarts, ``reduced_data.csv``.  Only numpy and pandas are needed.
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cluster_utils.base.constants import RETURN_CODE_FOR_RESUME

START = dt.datetime(2024, 5, 17, 9, 30, 0)

DEFAULT_GRID: dict[str, list[Any]] = {
    "fn_args.learning_rate": [1e-4, 1e-3, 1e-2],
    "fn_args.optimizer": ["adam", "sgd"],
    "fn_args.num_layers": [1, 2, 4],
}

_STDERR_FAILURE = (
    "Traceback (most recent call last):\n"
    '  File "main.py", line 41, in <module>\n'
    "    main(**params)\n"
    '  File "main.py", line 27, in main\n'
    "    loss = train(model, data, lr=learning_rate)\n"
    "RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 11.17 GiB total "
    "capacity; 9.80 GiB already allocated; 1.02 GiB free; 9.86 GiB reserved in total by PyTorch)"
)


def _write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=True, default=str))


def _log_line(when: dt.datetime, message: str, level: str = "INFO") -> str:
    stamp = when.strftime("%Y-%m-%d %H:%M:%S") + f",{when.microsecond // 1000:03d}"
    return f"{stamp} - cluster_utils - {level} - {message}\n"


def _effect(value: Any, values: Sequence[Any], weight: float) -> float:
    """A smooth, deterministic contribution of one parameter value to the loss."""
    position = list(values).index(value) if value in values else 0
    centre = (len(values) - 1) / 2
    return weight * ((position - centre * 0.6) ** 2) / max(1.0, len(values))


def _schedule(
    job_ids: Sequence[int],
    rng: np.random.Generator,
    *,
    n_slots: int,
    resumed_ids: set[int],
    running_ids: set[int],
    pending_ids: set[int],
    final_status: Mapping[int, str],
) -> dict[int, list[dict[str, Any]]]:
    """Attempts (start/end unix times) of every job, run ``n_slots`` at a time."""
    t0 = START.timestamp() + 5.0
    slots = [(t0 + 0.3 * i, i) for i in range(n_slots)]
    heapq.heapify(slots)
    attempts: dict[int, list[dict[str, Any]]] = {}
    for job_id in job_ids:
        if job_id in pending_ids:
            attempts[job_id] = []
            continue
        free_at, slot = heapq.heappop(slots)
        start = free_at + float(rng.uniform(0.5, 3.0))
        runs = []
        n_runs = 2 if job_id in resumed_ids else 1
        for run in range(n_runs):
            duration = float(rng.uniform(40, 300))
            end: float | None = start + duration
            last = run == n_runs - 1
            if not last:
                rc: int | None = RETURN_CODE_FOR_RESUME
            elif job_id in running_ids:
                rc, end = None, None
            else:
                rc = 0 if final_status[job_id] == "succeeded" else 1
            runs.append({"start": start, "end": end, "return_code": rc, "resumed": run > 0})
            if end is not None:
                start = end + float(rng.uniform(5, 20))
        attempts[job_id] = runs
        last_end = runs[-1]["end"] or runs[-1]["start"] + 600.0
        heapq.heappush(slots, (last_end, slot))
    return attempts


def _write_runner_files(
    directory: Path,
    job_ids: Sequence[int],
    attempts: Mapping[int, list[dict[str, Any]]],
    status: Mapping[int, str],
    hostnames: Sequence[str],
) -> None:
    """``jobs/<id>/state.json``, ``failures.csv`` and ``cluster_run.log``."""
    log_events: list[tuple[float, str, str]] = []
    failures = []
    for job_id in job_ids:
        job_status = status[job_id]
        runs = attempts[job_id]
        host = hostnames[job_id % len(hostnames)]
        reason = None
        return_code = None
        if job_status == "failed":
            reason = "non-zero exit status" if job_id % 2 else "exited without metrics"
            return_code = 1 if job_id % 2 else 0
            failures.append(
                {
                    "_id": job_id,
                    "reason": reason,
                    "return_code": return_code,
                    "stderr_tail": _STDERR_FAILURE,
                }
            )
        elif job_status == "succeeded":
            return_code = 0
        _write_json(
            directory / "jobs" / str(job_id) / "state.json",
            {
                "id": job_id,
                "status": job_status,
                "reason": reason,
                "return_code": return_code,
                "hostname": host if runs else None,
                "attempts": runs,
            },
        )
        submit = (runs[0]["start"] - 2.0) if runs else START.timestamp() + 3.0
        log_events.append((submit, f"Job with id {job_id} submitted.", "INFO"))
        for run in runs:
            log_events.append((run["start"], f"Job {job_id} started on hostname {host}", "INFO"))
            if run["end"] is None:
                continue
            if run["return_code"] == RETURN_CODE_FOR_RESUME:
                message = f"Job {job_id} exited to be resumed."
            elif job_status == "succeeded":
                message = f"Job {job_id} finished successfully."
            else:
                message = f"Job {job_id} failed with return code 1. Considering job failed."
            log_events.append((run["end"], message, "INFO"))
    pd.DataFrame(failures, columns=["_id", "reason", "return_code", "stderr_tail"]).to_csv(
        directory / "failures.csv", index=False
    )
    log_events.sort(key=lambda event: event[0])
    lines = [_log_line(START, "Starting run; results in the experiment directory")]
    lines += [
        _log_line(dt.datetime.fromtimestamp(when), message, level)
        for when, message, level in log_events
    ]
    (directory / "cluster_run.log").write_text("".join(lines))


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

    ``hyperparams`` maps flattened parameter names to their values (the grid is their product,
    times ``restarts``).  The first metric behaves like a loss, the second like an accuracy,
    further metrics are noise; ``time_elapsed`` is added like ``finalize_job`` does.
    ``metric_settings`` is merged into ``settings.json`` (e.g. ``{"minimize": False}``).
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    grid = dict(hyperparams if hyperparams is not None else DEFAULT_GRID)
    names = list(grid)
    combos = list(itertools.product(*(grid[n] for n in names)))
    settings_rows = [
        dict(zip(names, combo, strict=True)) for combo in combos for _ in range(restarts)
    ]
    job_ids = list(range(len(settings_rows)))

    n = len(job_ids)
    order = rng.permutation(n)
    failed = {int(i) for i in order[:n_failed]}
    running = {int(i) for i in order[n_failed : n_failed + n_running]}
    pending = {int(i) for i in order[n_failed + n_running : n_failed + n_running + n_pending]}
    status = {
        i: "failed"
        if i in failed
        else "running"
        if i in running
        else "pending"
        if i in pending
        else "succeeded"
        for i in job_ids
    }
    candidates = [i for i in job_ids if status[i] in ("succeeded", "running")]
    resumed = {int(i) for i in rng.permutation(candidates)[:n_resumed]} if candidates else set()

    weights = [1.0 + 0.7 * k for k in range(len(names))]
    rows = []
    for job_id, row in zip(job_ids, settings_rows, strict=True):
        if status[job_id] != "succeeded":
            continue
        base = 0.2 + sum(_effect(row[p], grid[p], w) for p, w in zip(names, weights, strict=True))
        loss = base * float(rng.lognormal(0.0, 0.15))
        record: dict[str, Any] = dict(row)
        record["working_dir"] = f"working_directories/{job_id}"
        for k, metric in enumerate(metrics):
            if k == 0:
                record[metric] = loss
            elif k == 1:
                record[metric] = 1.0 / (1.0 + loss) + float(rng.normal(0, 0.02))
            else:
                record[metric] = float(rng.normal(0, 1))
        record["time_elapsed"] = float(rng.uniform(40, 300))
        record["_id"] = job_id
        rows.append(record)
    all_columns = [*names, "working_dir", *metrics, "time_elapsed", "_id"]
    pd.DataFrame(rows, columns=all_columns).to_csv(directory / "all_data.csv", index=False)

    jobs = pd.DataFrame(
        [
            {
                "_id": i,
                "job_hash": f"{(i * 2654435761) % 2**32:08x}",
                "status": status[i],
                **settings_rows[i],
                "working_dir": f"working_directories/{i}",
            }
            for i in job_ids
        ]
    )
    jobs.to_csv(directory / "jobs.csv", index=False)

    attempts = _schedule(
        job_ids,
        rng,
        n_slots=n_slots,
        resumed_ids=resumed,
        running_ids=running,
        pending_ids=pending,
        final_status=status,
    )
    _write_runner_files(directory, job_ids, attempts, status, ["node01", "node02", "gpu-a100-17"])

    settings: dict[str, Any] = {
        "optimization_procedure_name": name,
        "results_dir": "results",
        "script_relative_path": "examples/basic/main.py",
        "run_in_working_dir": True,
        "environment_setup": {},
        "cluster_requirements": {"request_cpus": 1},
        "fixed_params": {"fn_args": {"epochs": 10}, "seed": 42},
        "restarts": restarts,
        "hyperparam_list": [{"param": p, "values": list(grid[p])} for p in names],
        "generate_report": "when_finished",
    }
    settings.update(metric_settings or {})
    _write_json(directory / "settings.json", settings)
    _write_json(
        directory / "metadata.json",
        {
            "run_type": "grid_search",
            "start_time": START.isoformat(),
            "git_commit": "3f2a9c1d0e5b7a8c6d4e2f1a0b9c8d7e6f5a4b3c",
            "cluster_utils_version": "4.0.0.dev0",
            "n_jobs": n,
        },
    )
    return directory


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

    Samples concentrate towards the optimum over iterations like CEM does.  With ``restarts``
    about a fifth of the jobs of later iterations re-run an earlier setting, and
    ``reduced_data.csv`` holds the means over restarts (``job_restarts``, ``<metric>__std``).
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    rows: list[dict[str, Any]] = []
    planned: list[dict[str, Any]] = []
    job_id = 0
    for iteration in range(1, n_iterations + 1):
        spread = 1.0 / math.sqrt(iteration)
        for _ in range(jobs_per_iteration):
            if restarts and iteration > 2 and rng.random() < 0.2:
                previous = planned[int(rng.integers(0, len(planned)))]
                params = {k: previous[k] for k in previous if k.startswith("fn_args.")}
            else:
                lr = float(10 ** np.clip(rng.normal(-3.0 + 0.5 * (1 - spread), spread), -5, -1))
                params = {
                    "fn_args.learning_rate": float(f"{lr:.3g}"),
                    "fn_args.hidden_units": int(
                        np.clip(round(rng.normal(128 + 40 * (1 - spread), 60 * spread)), 16, 256)
                    ),
                    "fn_args.dropout": round(
                        float(np.clip(rng.normal(0.3 - 0.15 * (1 - spread), 0.2 * spread), 0, 0.8)),
                        3,
                    ),
                    "fn_args.activation": str(
                        rng.choice(["relu", "tanh", "gelu"], p=[0.5, 0.2, 0.3])
                    ),
                }
            planned.append({"_id": job_id, "_iteration": iteration, **params})
            job_id += 1

    n = len(planned)
    failed = {int(i) for i in rng.permutation(n)[:n_failed]}
    status = {p["_id"]: ("failed" if p["_id"] in failed else "succeeded") for p in planned}
    for p in planned:
        if p["_id"] in failed:
            continue
        loss = (
            (math.log10(p["fn_args.learning_rate"]) + 2.5) ** 2
            + ((p["fn_args.hidden_units"] - 170) / 100) ** 2
            + 2 * (p["fn_args.dropout"] - 0.15) ** 2
            + {"relu": 0.0, "tanh": 0.3, "gelu": 0.05}[p["fn_args.activation"]]
            + float(rng.normal(0, 0.08))
        )
        value = loss if minimize else 1.0 / (1.0 + max(loss, 0.0))
        rows.append(
            {
                **{k: v for k, v in p.items() if k not in ("_id", "_iteration")},
                "working_dir": f"working_directories/{p['_id']}",
                metric: value,
                "time_elapsed": float(rng.uniform(20, 200)),
                "_id": p["_id"],
                "_iteration": p["_iteration"],
            }
        )
    param_names = [
        "fn_args.learning_rate",
        "fn_args.hidden_units",
        "fn_args.dropout",
        "fn_args.activation",
    ]
    all_data = pd.DataFrame(rows)
    all_data.to_csv(directory / "all_data.csv", index=False)
    if restarts and not all_data.empty:
        grouped = all_data.groupby(param_names, dropna=False)
        reduced = grouped[[metric, "time_elapsed"]].mean().reset_index()
        reduced["job_restarts"] = grouped.size().to_numpy()
        reduced[f"{metric}__std"] = grouped[metric].std().to_numpy()
        reduced["time_elapsed__std"] = grouped["time_elapsed"].std().to_numpy()
        reduced = reduced.sort_values(metric, ascending=minimize)
        reduced.to_csv(directory / "reduced_data.csv", index=False)

    jobs = pd.DataFrame(
        [
            {
                "_id": p["_id"],
                "job_hash": f"{(p['_id'] * 2654435761) % 2**32:08x}",
                "status": status[p["_id"]],
                **{k: v for k, v in p.items() if k not in ("_id", "_iteration")},
                "working_dir": f"working_directories/{p['_id']}",
            }
            for p in planned
        ]
    )
    jobs.to_csv(directory / "jobs.csv", index=False)
    job_ids = [p["_id"] for p in planned]
    resumed = {int(i) for i in rng.permutation(n)[:2] if int(i) not in failed}
    attempts = _schedule(
        job_ids,
        rng,
        n_slots=jobs_per_iteration,
        resumed_ids=resumed,
        running_ids=set(),
        pending_ids=set(),
        final_status=status,
    )
    _write_runner_files(directory, job_ids, attempts, status, ["node01", "node02"])
    _write_json(
        directory / "settings.json",
        {
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
                "number_of_samples": n,
                "n_jobs_per_iteration": jobs_per_iteration,
            },
            "optimized_params": [
                {
                    "param": "fn_args.learning_rate",
                    "distribution": "TruncatedLogNormal",
                    "bounds": [1e-5, 1e-1],
                },
                {"param": "fn_args.hidden_units", "distribution": "IntNormal", "bounds": [16, 256]},
                {"param": "fn_args.dropout", "distribution": "TruncatedNormal", "bounds": [0, 0.8]},
                {
                    "param": "fn_args.activation",
                    "distribution": "Discrete",
                    "options": ["relu", "tanh", "gelu"],
                },
            ],
        },
    )
    _write_json(
        directory / "metadata.json",
        {
            "run_type": "hp_optimization",
            "start_time": START.isoformat(),
            "git_commit": None,
            "cluster_utils_version": "4.0.0.dev0",
            "n_jobs": n,
        },
    )
    return directory
