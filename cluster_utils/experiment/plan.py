"""``.cluster_utils/plan.json``: the planned grid's job ids and the fingerprint they came from.

Written only by grid planning; read through :func:`read_plan` / :func:`planned_job_ids`."""

from __future__ import annotations

import json
from typing import Any

from cluster_utils.base.job_protocol import atomic_write_json
from cluster_utils.experiment.layout import ExperimentLayout


def read_plan(layout: ExperimentLayout) -> dict[str, Any] | None:
    try:
        with open(layout.plan_file) as f:
            return json.load(f)
    except (OSError, ValueError):  # missing, not a directory, truncated
        return None


def planned_job_ids(layout: ExperimentLayout) -> list[int] | None:
    plan = read_plan(layout)
    return None if plan is None else [int(i) for i in plan["job_ids"]]


def write_plan(
    layout: ExperimentLayout, fingerprint: str, job_ids: list[int], warnings: tuple[str, ...] = ()
) -> None:
    plan = {"fingerprint": fingerprint, "job_ids": job_ids, "warnings": list(warnings)}
    atomic_write_json(layout.plan_file, plan)
