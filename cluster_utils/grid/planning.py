"""Plan a grid search in its experiment directory: ids, parameter files, the run files, plan.json.

Planning is idempotent and cheap when nothing changed, because the Snakefile runs it at every
parse (also inside cluster jobs). Files are only rewritten when their content changes, so
Snakemake never sees a finished job as outdated.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cluster_utils.base import constants
from cluster_utils.experiment import job_state
from cluster_utils.experiment.job_ids import assign_ids, preview_ids
from cluster_utils.experiment.layout import ExperimentLayout
from cluster_utils.experiment.plan import read_plan, write_plan
from cluster_utils.experiment.settings import settings_fingerprint
from cluster_utils.experiment.setup import write_if_changed, write_run_files
from cluster_utils.grid.expansion import GridJob, iter_grid_jobs


@dataclass(frozen=True)
class PlannedJob:
    job_id: int
    params: dict[str, Any]


@dataclass(frozen=True)
class GridPlan:
    layout: ExperimentLayout
    job_ids: list[int]
    settings: dict[str, Any]
    newly_loaded: int = 0
    #: e.g. duplicate settings that run once
    warnings: tuple[str, ...] = ()


def plan_grid_search(
    settings: dict[str, Any], start_dir: Path, layout: ExperimentLayout
) -> GridPlan:
    """Expand the grid and (re)write what changed. ``settings`` must be validated already."""
    fingerprint = settings_fingerprint({"settings": settings, "start_dir": str(start_dir)})
    previous = read_plan(layout)
    if (
        previous
        and previous.get("fingerprint") == fingerprint
        and _job_files_exist(layout, previous["job_ids"])
    ):
        warnings = tuple(previous.get("warnings", ()))
        return GridPlan(layout, list(previous["job_ids"]), settings, warnings=warnings)

    layout.internal.mkdir(parents=True, exist_ok=True)
    jobs, warnings = _distinct_jobs(settings)
    ids = assign_ids(layout, [job.job_hash for job in jobs])

    job_ids: list[int] = []
    for job in jobs:
        job_id = ids[job.job_hash]
        job_ids.append(job_id)
        params = {
            **job.params,
            "id": job_id,
            constants.WORKING_DIR: str(layout.working_dir(job_id)),
        }
        write_if_changed(layout.params_file(job_id), json.dumps(params, indent=2, sort_keys=True))
        write_if_changed(layout.job_hash_file(job_id), job.job_hash)

    loaded = 0
    if settings.get("load_existing_results", False):
        loaded = _load_existing_results(layout, job_ids)

    write_run_files(layout, settings, start_dir, "grid_search", n_jobs=len(job_ids))
    write_plan(layout, fingerprint, job_ids, warnings)
    return GridPlan(layout, job_ids, settings, loaded, warnings)


def preview_grid_search(settings: dict[str, Any], layout: ExperimentLayout) -> list[PlannedJob]:
    """The jobs a plan would have (ids as they would be given), writing nothing."""
    jobs, _ = _distinct_jobs(settings)
    ids = preview_ids(layout, [job.job_hash for job in jobs])
    return [PlannedJob(ids[job.job_hash], job.params) for job in jobs]


def _job_files_exist(layout: ExperimentLayout, job_ids: list[int]) -> bool:
    """Planned files a user may have deleted (``jobs/<id>/``, the id registry) still exist."""
    return layout.id_registry.exists() and all(
        layout.params_file(job_id).exists() for job_id in job_ids
    )


def _distinct_jobs(settings: dict[str, Any]) -> tuple[list[GridJob], tuple[str, ...]]:
    """The grid's jobs, each distinct setting once (``values: [1, 1, 2]`` runs two settings)."""
    jobs: dict[str, GridJob] = {}
    repeats = 0
    for job in iter_grid_jobs(
        settings["hyperparam_list"],
        settings.get("fixed_params"),
        int(settings.get("restarts", 1)),
        settings.get("samples"),
    ):
        if job.job_hash in jobs:
            repeats += 1
        else:
            jobs[job.job_hash] = job
    if not repeats:
        return list(jobs.values()), ()
    warning = (
        f"hyperparam_list gives {repeats} duplicate setting(s) (repeated values); each distinct "
        f"setting runs once: {len(jobs)} jobs"
    )
    return list(jobs.values()), (warning,)


def _load_existing_results(layout: ExperimentLayout, job_ids: list[int]) -> int:
    """3.0's load_existing_results: a job whose working dir already holds metrics.csv is not run.

    The results are taken over as they are (also results of an earlier tool or a copied
    directory), and the job is recorded as succeeded.
    """
    loaded = 0
    for job_id in job_ids:
        state = job_state.load_state(layout, job_id)
        metrics = layout.working_dir(job_id) / constants.CLUSTER_METRIC_FILE
        if state.status != job_state.SUCCEEDED and metrics.is_file():
            state.status = job_state.SUCCEEDED
            state.reason = "loaded existing results (load_existing_results)"
            job_state.save_state(layout, state)
            layout.done_marker(job_id).touch()
            loaded += 1
    return loaded
