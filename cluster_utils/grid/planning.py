"""Plan a grid search in its experiment directory: ids, parameter files, launch spec, jobs.csv.

Planning is idempotent and cheap when nothing changed, because the Snakefile runs it at every
parse (also inside cluster jobs). Files are only rewritten when their content changes, so
Snakemake never sees a finished job as outdated.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cluster_utils.base import constants
from cluster_utils.base.job_protocol import atomic_write_json, atomic_write_text
from cluster_utils.base.settings import flatten_dict
from cluster_utils.experiment_layout import ExperimentLayout
from cluster_utils.git_checkout import code_directory
from cluster_utils.grid.expansion import canonical_json, iter_grid_jobs
from cluster_utils.job_registry import assign_ids
from cluster_utils.launch_spec import build_launch_spec
from cluster_utils.results.collect import write_csv
from cluster_utils.run_metadata import write_run_metadata
from cluster_utils.runner import job_state


@dataclass(frozen=True)
class GridPlan:
    layout: ExperimentLayout
    job_ids: list[int]
    settings: dict[str, Any]
    newly_loaded: int = 0


def write_if_changed(path: Path, text: str) -> bool:
    try:
        if path.read_text() == text:
            return False
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, text)
    return True


def settings_fingerprint(settings: dict[str, Any], start_dir: Path) -> str:
    return hashlib.sha256(canonical_json([settings, str(start_dir)]).encode()).hexdigest()


def read_plan(layout: ExperimentLayout) -> dict[str, Any] | None:
    try:
        with open(layout.plan_file) as f:
            return json.load(f)
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def plan_grid_search(
    settings: dict[str, Any], start_dir: Path, layout: ExperimentLayout
) -> GridPlan:
    """Expand the grid and (re)write what changed. ``settings`` must be validated already."""
    fingerprint = settings_fingerprint(settings, start_dir)
    previous = read_plan(layout)
    if previous and previous.get("fingerprint") == fingerprint:
        return GridPlan(layout, list(previous["job_ids"]), settings)

    layout.internal.mkdir(parents=True, exist_ok=True)
    jobs = list(
        iter_grid_jobs(
            settings["hyperparam_list"],
            settings.get("fixed_params"),
            int(settings.get("restarts", 1)),
            settings.get("samples"),
        )
    )
    ids = assign_ids(layout.id_registry, [job.job_hash for job in jobs])
    code_dir, commit = code_directory(settings, start_dir, layout.internal / "code")
    write_if_changed(
        layout.launch_spec,
        json.dumps(build_launch_spec(settings, code_dir).to_json(), indent=2, sort_keys=True),
    )

    job_ids: list[int] = []
    rows: list[dict[str, Any]] = []
    for job in jobs:
        job_id = ids[job.job_hash]
        job_ids.append(job_id)
        params = {
            **job.params,
            "id": job_id,
            constants.WORKING_DIR: str(layout.working_dir(job_id)),
        }
        write_if_changed(layout.params_file(job_id), json.dumps(params, indent=2, sort_keys=True))
        rows.append(
            {
                constants.ID: job_id,
                "job_hash": job.job_hash,
                "restart": job.restart,
                **flatten_dict(job.params),
            }
        )

    loaded = 0
    if settings.get("load_existing_results", False):
        loaded = _load_existing_results(layout, job_ids)

    write_csv(layout.jobs_csv, rows)
    write_if_changed(
        layout.settings_json, json.dumps(settings, indent=2, sort_keys=True, default=str)
    )
    write_run_metadata(layout, "grid_search", git_commit=commit, n_jobs=len(job_ids))
    atomic_write_json(layout.plan_file, {"fingerprint": fingerprint, "job_ids": job_ids})
    return GridPlan(layout, job_ids, settings, loaded)


def start_run(layout: ExperimentLayout) -> None:
    """A new run clears the previous run's abort request."""
    with contextlib.suppress(FileNotFoundError):
        layout.abort_file.unlink()


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
