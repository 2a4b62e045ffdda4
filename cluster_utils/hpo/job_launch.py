"""Turning asked settings into jobs: fresh ids from the registry and one params.json per job."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from cluster_utils.base import constants
from cluster_utils.base.job_protocol import atomic_write_text
from cluster_utils.base.nested_dicts import merge_nested, set_dotted
from cluster_utils.base.settings import evaluate_dynamic, unflatten_dict
from cluster_utils.experiment.job_ids import reserve_ids
from cluster_utils.experiment.layout import ExperimentLayout


def job_params(
    fixed_params: Mapping[str, Any], setting: Mapping[str, Any], job_id: int, working_dir: str
) -> dict[str, Any]:
    """The nested parameters a job script receives: fixed_params, the optimized values on top,
    per-job templates (``"{fn_args.u < 0.2}"``) evaluated, plus ``id`` and ``working_dir``."""
    params = merge_nested({}, unflatten_dict(dict(fixed_params)))
    for name, value in setting.items():
        set_dotted(params, name, list(value) if isinstance(value, tuple) else value)
    params = evaluate_dynamic(params, strict=True)
    return {**params, "id": job_id, constants.WORKING_DIR: working_dir}


def create_jobs(
    layout: ExperimentLayout, fixed_params: Mapping[str, Any], settings: Sequence[Mapping[str, Any]]
) -> list[int]:
    """Reserve never-used ids for ``settings`` and write their parameter files; return the ids."""
    ids = reserve_ids(layout.id_registry, len(settings))
    for job_id, setting in zip(ids, settings, strict=True):
        params = job_params(fixed_params, setting, job_id, str(layout.working_dir(job_id)))
        path = layout.params_file(job_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, json.dumps(params, indent=2, sort_keys=True, default=str))
    return ids
