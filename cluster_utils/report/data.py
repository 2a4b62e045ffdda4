"""Load an experiment directory into data frames for the report.

Only files of the experiment directory are read (see ``docs/results_layout.md``).  Every file
may be missing or unreadable: what is missing is recorded in :attr:`ExperimentData.notes` and the
report says so instead of failing.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from cluster_utils.base.constants import (
    FULL_DF_FILE,
    ID,
    ITERATION,
    JSON_SETTINGS_FILE,
    METADATA_FILE,
    REDUCED_DF_FILE,
    RESTART_PARAM_NAME,
    WORKING_DIR,
)

logger = logging.getLogger("cluster_utils.report")

GRID_SEARCH = "grid_search"
HP_OPTIMIZATION = "hp_optimization"

JOBS_FILE = "jobs.csv"
FAILURES_FILE = "failures.csv"
LOG_FILE = "cluster_run.log"
JOBS_DIR = "jobs"
STATE_FILE = "state.json"

#: Columns that are neither parameters nor metrics.
BOOKKEEPING_COLUMNS = frozenset(
    {
        ID,
        ITERATION,
        RESTART_PARAM_NAME,
        WORKING_DIR,
        "id",
        "job_hash",
        "status",
        "reason",
        "resumes",
        "restart",
        "return_code",
        "hostname",
        "stderr_tail",
        "stderr_log",
    }
)
#: Metric added by ``finalize_job``; reported, but never the default focus of figures.
TIME_METRIC = "time_elapsed"
LOG_DISTRIBUTIONS = frozenset({"TruncatedLogNormal", "IntLogNormal"})


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
    def name(self) -> str:
        if self.settings and isinstance(self.settings.get("optimization_procedure_name"), str):
            return self.settings["optimization_procedure_name"]
        return self.directory.name

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
        path = self.directory / LOG_FILE
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
        return _metric_settings(self.settings or {})

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


def _read_states(directory: Path, notes: list[str]) -> dict[int, dict[str, Any]]:
    states: dict[int, dict[str, Any]] = {}
    jobs_dir = directory / JOBS_DIR
    if not jobs_dir.is_dir():
        notes.append(f"{JOBS_DIR}/ (per-job state files) is missing.")
        return states
    unreadable = 0
    for state_file in jobs_dir.glob(f"*/{STATE_FILE}"):
        try:
            state = json.loads(state_file.read_text())
            job_id = int(state.get("id", state_file.parent.name))
        except (OSError, ValueError, TypeError, AttributeError):
            unreadable += 1
            continue
        states[job_id] = state
    if unreadable:
        notes.append(f"{unreadable} {STATE_FILE} file(s) could not be read.")
    return states


def _metric_settings(settings: Mapping[str, Any]) -> tuple[str | None, bool | None]:
    opt = settings.get("optimization_setting")
    sources = [opt if isinstance(opt, Mapping) else {}, settings]
    metric = None
    minimize = None
    for source in sources:
        if metric is None and isinstance(source.get("metric_to_optimize"), str):
            metric = source["metric_to_optimize"]
        if minimize is None and isinstance(source.get("minimize"), bool):
            minimize = source["minimize"]
    return metric, minimize


def report_metric_setting(settings: Mapping[str, Any] | None) -> list[str]:
    """Metrics named by ``report_metric`` (a string or a list) in the settings."""
    if not settings:
        return []
    raw = settings.get("report_metric")
    if raw is None and isinstance(settings.get("optimization_setting"), Mapping):
        raw = settings["optimization_setting"].get("report_metric")
    if isinstance(raw, str):
        return [raw]
    if isinstance(raw, list | tuple):
        return [str(m) for m in raw]
    return []


def _flatten(mapping: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in mapping.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(_flatten(value, name + "."))
        else:
            flat[name] = value
    return flat


def _param_names_from_entries(entries: Any) -> list[str]:
    names: list[str] = []
    if not isinstance(entries, list):
        return names
    for entry in entries:
        if not isinstance(entry, Mapping):
            continue
        param = entry.get("param")
        if isinstance(param, str):
            names.append(param)
        elif isinstance(param, list | tuple):
            names.extend(str(p) for p in param)
    return names


def _configured_params(settings: Mapping[str, Any] | None) -> tuple[list[str], set[str]]:
    """Names of the swept/optimized parameters and the log-distributed ones."""
    if not settings:
        return [], set()
    names = _param_names_from_entries(settings.get("hyperparam_list"))
    optimized = settings.get("optimized_params")
    names += _param_names_from_entries(optimized)
    log_params = set()
    if isinstance(optimized, list):
        for entry in optimized:
            if isinstance(entry, Mapping) and entry.get("distribution") in LOG_DISTRIBUTIONS:
                log_params.add(str(entry.get("param")))
    return list(dict.fromkeys(names)), log_params


def _metric_names_from_working_dirs(directory: Path) -> list[str] | None:
    for metrics_file in sorted((directory / "working_directories").glob("*/metrics.csv"))[:5]:
        try:
            header = metrics_file.read_text().splitlines()[0]
        except (OSError, IndexError):
            continue
        return [h.strip() for h in header.split(",") if h.strip()]
    return None


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
        settings and ("optimized_params" in settings or "optimization_setting" in settings)
    ) or ITERATION in all_data.columns:
        guess = HP_OPTIMIZATION
    else:
        guess = GRID_SEARCH
    notes.append(f"Run type not recorded in {METADATA_FILE}; guessed '{guess}' from the files.")
    return guess


def is_numeric(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def _coerce_numeric(frame: pd.DataFrame, columns: Iterable[str]) -> None:
    """Turn metric columns that hold numbers as text (or booleans) into floats, in place."""
    for column in columns:
        series = frame[column]
        if pd.api.types.is_bool_dtype(series):
            frame[column] = series.astype(float)
        elif not pd.api.types.is_numeric_dtype(series):
            converted = pd.to_numeric(series, errors="coerce")
            if converted.notna().sum() == series.notna().sum():
                frame[column] = converted


def load_experiment(directory: str | Path) -> ExperimentData:
    """Read every known file of an experiment directory.

    Raises:
        FileNotFoundError: if ``directory`` is not a directory or holds none of the files a run
            writes.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"'{directory}' does not exist or is not a directory")
    known = [FULL_DF_FILE, JOBS_FILE, FAILURES_FILE, METADATA_FILE, JSON_SETTINGS_FILE, LOG_FILE]
    if (
        not any((directory / name).exists() for name in known)
        and not (directory / JOBS_DIR).is_dir()
    ):
        raise FileNotFoundError(
            f"'{directory}' is not an experiment directory: none of {', '.join(known)} found"
        )
    notes: list[str] = []
    metadata = _read_json(directory / METADATA_FILE, notes)
    settings = _read_json(directory / JSON_SETTINGS_FILE, notes)
    all_data = _read_csv(directory / FULL_DF_FILE, notes)
    if all_data is None:
        all_data = pd.DataFrame()
    jobs = _read_csv(directory / JOBS_FILE, notes)
    failures = _read_csv(directory / FAILURES_FILE, notes)
    states = _read_states(directory, notes)
    if not (directory / LOG_FILE).is_file():
        notes.append(f"{LOG_FILE} is missing.")
    run_type = _infer_run_type(metadata, settings, all_data, notes)
    reduced = _read_csv(
        directory / REDUCED_DF_FILE, notes, required=False
    )  # only hpo with restarts writes it

    configured, log_params = _configured_params(settings)
    columns = [c for c in all_data.columns if c not in BOOKKEEPING_COLUMNS]

    # Which columns are parameters?  jobs.csv lists them, else the settings, else a job's
    # metrics.csv tells which columns are metrics.
    param_columns: set[str]
    if jobs is not None and len(jobs.columns):
        param_columns = {c for c in jobs.columns if c not in BOOKKEEPING_COLUMNS}
        param_columns |= set(configured)
        metrics = [c for c in columns if c not in param_columns]
    else:
        fixed = settings.get("fixed_params") if settings else None
        fixed_names = set(_flatten(fixed)) if isinstance(fixed, Mapping) else set()
        from_dirs = _metric_names_from_working_dirs(directory)
        if from_dirs is not None:
            metrics = [c for c in columns if c in from_dirs]
        elif configured:
            metrics = [c for c in columns if c not in configured and c not in fixed_names]
            if fixed is None:
                notes.append(
                    "Neither jobs.csv nor fixed_params available: columns that are not swept "
                    "parameters are treated as metrics."
                )
        else:
            metrics = [c for c in columns if is_numeric(all_data[c])]
            notes.append(
                "Could not tell parameters from metrics (no jobs.csv, settings or metrics.csv): "
                "every numeric column is treated as a metric."
            )
        param_columns = {c for c in columns if c not in metrics}

    _coerce_numeric(all_data, metrics)
    numeric = [m for m in metrics if is_numeric(all_data[m])]
    non_numeric = [m for m in metrics if m not in numeric]
    if non_numeric:
        notes.append(
            "Non-numeric metrics skipped in statistics and plots: " + ", ".join(non_numeric) + "."
        )
    numeric.sort(key=lambda m: m == TIME_METRIC)
    metrics = numeric + non_numeric

    params = [p for p in configured if p in all_data.columns]
    missing_configured = [p for p in configured if p not in all_data.columns and len(all_data)]
    if missing_configured:
        notes.append("Configured parameters not in all_data.csv: " + ", ".join(missing_configured))
    source = all_data if len(all_data) else (jobs if jobs is not None else all_data)
    if not params:
        params = [
            c
            for c in source.columns
            if c in param_columns and c not in BOOKKEEPING_COLUMNS and source[c].nunique() > 1
        ]
        if params and settings is not None:
            notes.append("Parameters not found in settings.json; using the columns that vary.")
    constant = {
        c: source[c].iloc[0]
        for c in source.columns
        if c in param_columns
        and c not in params
        and c not in BOOKKEEPING_COLUMNS
        and len(source)
        and source[c].nunique(dropna=False) == 1
    }
    if settings and isinstance(settings.get("fixed_params"), Mapping):
        for key, value in _flatten(settings["fixed_params"]).items():
            constant.setdefault(key, value)
    return ExperimentData(
        directory=directory,
        run_type=run_type,
        metadata=metadata,
        settings=settings,
        all_data=all_data,
        reduced_data=reduced,
        jobs=jobs,
        failures=failures,
        states=states,
        params=params,
        constant_params=constant,
        metrics=metrics,
        numeric_metrics=numeric,
        log_params={p for p in log_params if p in params},
        notes=notes,
    )
