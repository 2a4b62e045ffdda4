"""Load an experiment directory into data frames for the report.

Only files of the experiment directory are read (see ``docs/results_layout.md``; paths from
:class:`~cluster_utils.experiment.layout.ExperimentLayout`).  Every file may be missing or
unreadable: what is missing is recorded in :attr:`ExperimentData.notes` and the report says so
instead of failing.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from cluster_utils.base.constants import ITERATION, METADATA_FILE
from cluster_utils.experiment.layout import ExperimentLayout

from .columns import (
    configured_params,
    constant_params,
    find_params,
    metric_settings,
    order_metrics,
    split_columns,
)
from .kinds import GRID_SEARCH, HP_OPTIMIZATION

logger = logging.getLogger("cluster_utils.report")


@dataclass
class ExperimentData:
    """Everything the report needs from one experiment directory."""

    directory: Path
    run_type: str
    metadata: dict[str, Any] | None
    settings: dict[str, Any] | None
    #: One row per successful job (empty frame when ``all_data.csv`` is missing).
    all_data: pd.DataFrame
    reduced_data: pd.DataFrame | None
    jobs: pd.DataFrame | None
    failures: pd.DataFrame | None
    #: ``jobs/<id>/state.json`` by job id.
    states: dict[int, dict[str, Any]]
    #: Swept (grid) or optimized (hpo) parameters present in ``all_data``, in config order.
    params: list[str]
    #: Parameters that are the same for every job (``fixed_params`` and constant columns).
    constant_params: dict[str, Any]
    #: All metric columns of ``all_data``; numeric ones first, ``time_elapsed`` last.
    metrics: list[str]
    numeric_metrics: list[str]
    #: Parameters whose sampling distribution is logarithmic (hpo settings).
    log_params: set[str] = field(default_factory=set)
    #: Human-readable remarks on what is missing or could not be shown.
    notes: list[str] = field(default_factory=list)

    @property
    def layout(self) -> ExperimentLayout:
        return ExperimentLayout(self.directory)

    @property
    def name(self) -> str:
        if self.settings and isinstance(self.settings.get("optimization_procedure_name"), str):
            return self.settings["optimization_procedure_name"]
        return self.directory.name

    def report_pdf(self) -> Path:
        """Where the report goes by default: 3.0's file name in the experiment directory."""
        return self.layout.report_pdf(self.run_type, self.name)

    @property
    def start_time(self) -> dt.datetime | None:
        raw = (self.metadata or {}).get("start_time")
        if not isinstance(raw, str):
            return None
        try:
            return dt.datetime.fromisoformat(raw)
        except ValueError:
            return None

    @property
    def log_file(self) -> Path | None:
        path = self.layout.run_log
        return path if path.is_file() else None

    def status_counts(self) -> dict[str, int]:
        """Jobs per status (succeeded, failed, running, pending) and ``total``."""
        counts = {"succeeded": 0, "failed": 0, "running": 0, "pending": 0}
        if self.jobs is not None and "status" in self.jobs.columns:
            for status, count in self.jobs["status"].astype(str).value_counts().items():
                counts[str(status)] = counts.get(str(status), 0) + int(count)
            counts["total"] = len(self.jobs)
            return counts
        if self.states:
            for state in self.states.values():
                status = str(state.get("status", "unknown"))
                counts[status] = counts.get(status, 0) + 1
        else:
            counts["succeeded"] = len(self.all_data)
            counts["failed"] = 0 if self.failures is None else len(self.failures)
        total = (self.metadata or {}).get("n_jobs")
        counts["total"] = int(total) if isinstance(total, int) else sum(v for v in counts.values())
        return counts

    def optimization_target(self) -> tuple[str | None, bool | None]:
        """``metric_to_optimize`` and ``minimize`` from the settings, if present."""
        return metric_settings(self.settings or {})

    def add_note(self, note: str) -> None:
        if note not in self.notes:
            self.notes.append(note)


def _read_json(path: Path, notes: list[str]) -> dict[str, Any] | None:
    if not path.is_file():
        notes.append(f"{path.name} is missing.")
        return None
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        notes.append(f"{path.name} could not be read ({error}).")
        return None
    if not isinstance(data, dict):
        notes.append(f"{path.name} does not hold a JSON object; ignored.")
        return None
    return data


def _read_csv(path: Path, notes: list[str], *, required: bool = True) -> pd.DataFrame | None:
    if not path.is_file():
        if required:
            notes.append(f"{path.name} is missing.")
        return None
    try:
        frame = pd.read_csv(path)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()
    except (OSError, ValueError) as error:
        notes.append(f"{path.name} could not be read ({error}).")
        return None
    # 3.0 wrote the index as an unnamed first column.
    unnamed = [c for c in frame.columns if str(c).startswith("Unnamed:")]
    return frame.drop(columns=unnamed)


def _read_states(layout: ExperimentLayout, notes: list[str]) -> dict[int, dict[str, Any]]:
    states: dict[int, dict[str, Any]] = {}
    if not layout.jobs_dir.is_dir():
        notes.append(f"{layout.jobs_dir.name}/ (per-job state files) is missing.")
        return states
    state_name = layout.state_file("*").name
    unreadable = 0
    for state_file in layout.jobs_dir.glob(f"*/{state_name}"):
        try:
            state = json.loads(state_file.read_text())
            job_id = int(state.get("id", state_file.parent.name))
        except (OSError, ValueError, TypeError, AttributeError):
            unreadable += 1
            continue
        states[job_id] = state
    if unreadable:
        notes.append(f"{unreadable} {state_name} file(s) could not be read.")
    return states


def _infer_run_type(
    metadata: Mapping[str, Any] | None,
    settings: Mapping[str, Any] | None,
    all_data: pd.DataFrame,
    notes: list[str],
) -> str:
    run_type = (metadata or {}).get("run_type")
    if isinstance(run_type, str):
        normalized = run_type.lower()
        if normalized in (GRID_SEARCH, HP_OPTIMIZATION):
            return normalized
    if (
        settings and ("optimization_setting" in settings or "optimized_params" in settings)
    ) or ITERATION in all_data.columns:
        guess = HP_OPTIMIZATION
    else:
        guess = GRID_SEARCH
    notes.append(f"Run type not recorded in {METADATA_FILE}; guessed '{guess}' from the files.")
    return guess


def _experiment_layout(directory: str | Path) -> ExperimentLayout:
    """The layout of ``directory``; raises FileNotFoundError unless a run wrote something there."""
    layout = ExperimentLayout(Path(directory))
    if not layout.root.is_dir():
        raise FileNotFoundError(f"'{directory}' does not exist or is not a directory")
    known = [
        layout.all_data_csv,
        layout.jobs_csv,
        layout.failures_csv,
        layout.metadata_json,
        layout.settings_json,
        layout.run_log,
    ]
    if not any(path.exists() for path in known) and not layout.jobs_dir.is_dir():
        raise FileNotFoundError(
            f"'{directory}' is not an experiment directory: none of "
            f"{', '.join(path.name for path in known)} found"
        )
    return layout


def _read_files(layout: ExperimentLayout, notes: list[str]) -> dict[str, Any]:
    """Every file of the experiment directory, None where missing or unreadable."""
    files = {
        "metadata": _read_json(layout.metadata_json, notes),
        "settings": _read_json(layout.settings_json, notes),
        "all_data": _read_csv(layout.all_data_csv, notes),
        "jobs": _read_csv(layout.jobs_csv, notes),
        "failures": _read_csv(layout.failures_csv, notes),
        "states": _read_states(layout, notes),
    }
    if files["all_data"] is None:
        files["all_data"] = pd.DataFrame()
    if not layout.run_log.is_file():
        notes.append(f"{layout.run_log.name} is missing.")
    return files


def load_experiment(directory: str | Path) -> ExperimentData:
    """Read every known file of an experiment directory.

    Raises:
        FileNotFoundError: if ``directory`` is not a directory or holds none of the files a run
            writes.
    """
    layout = _experiment_layout(directory)
    notes: list[str] = []
    files = _read_files(layout, notes)
    all_data, jobs, settings = files["all_data"], files["jobs"], files["settings"]
    run_type = _infer_run_type(files["metadata"], settings, all_data, notes)
    # only hp_optimization writes it
    reduced = _read_csv(layout.reduced_data_csv, notes, required=False)
    configured, log_params = configured_params(settings)
    param_columns, metrics = split_columns(
        all_data, jobs, settings, layout.working_directories, notes
    )
    metrics, numeric = order_metrics(all_data, metrics, notes)
    source = all_data if len(all_data) else (jobs if jobs is not None else all_data)
    params = find_params(source, all_data, configured, param_columns, settings is not None, notes)
    return ExperimentData(
        directory=layout.root,
        run_type=run_type,
        reduced_data=reduced,
        params=params,
        constant_params=constant_params(source, params, param_columns, settings),
        metrics=metrics,
        numeric_metrics=numeric,
        log_params={p for p in log_params if p in params},
        notes=notes,
        **files,
    )
