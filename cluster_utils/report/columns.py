"""Telling parameters from metrics in ``all_data.csv``.

``jobs.csv`` lists the parameters; without it the settings (swept and fixed parameters) or a
job's ``metrics.csv`` header decide, and as a last resort every numeric column is a metric.
Every guess is recorded as a note for the report's overview.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from cluster_utils.base.constants import (
    CLUSTER_METRIC_FILE,
    ID,
    ITERATION,
    RESTART_PARAM_NAME,
    WORKING_DIR,
)

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


def is_numeric(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def coerce_numeric(frame: pd.DataFrame, columns: Iterable[str]) -> None:
    """Turn metric columns that hold numbers as text (or booleans) into floats, in place."""
    for column in columns:
        series = frame[column]
        if pd.api.types.is_bool_dtype(series):
            frame[column] = series.astype(float)
        elif not pd.api.types.is_numeric_dtype(series):
            converted = pd.to_numeric(series, errors="coerce")
            if converted.notna().sum() == series.notna().sum():
                frame[column] = converted


def flatten(mapping: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested settings as dotted names (``{"a": {"b": 1}}`` -> ``{"a.b": 1}``)."""
    flat: dict[str, Any] = {}
    for key, value in mapping.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(flatten(value, name + "."))
        else:
            flat[name] = value
    return flat


def metric_settings(settings: Mapping[str, Any]) -> tuple[str | None, bool | None]:
    """``metric_to_optimize`` and ``minimize`` (top level or in ``optimization_setting``)."""
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


def configured_params(settings: Mapping[str, Any] | None) -> tuple[list[str], set[str]]:
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


def _metric_names_from_working_dirs(working_directories: Path) -> list[str] | None:
    for metrics_file in sorted(working_directories.glob(f"*/{CLUSTER_METRIC_FILE}"))[:5]:
        try:
            header = metrics_file.read_text().splitlines()[0]
        except (OSError, IndexError):
            continue
        return [h.strip() for h in header.split(",") if h.strip()]
    return None


def split_columns(
    all_data: pd.DataFrame,
    jobs: pd.DataFrame | None,
    settings: Mapping[str, Any] | None,
    working_directories: Path,
    notes: list[str],
) -> tuple[set[str], list[str]]:
    """(parameter columns, metric columns) of ``all_data``; bookkeeping columns are neither."""
    configured, _ = configured_params(settings)
    columns = [c for c in all_data.columns if c not in BOOKKEEPING_COLUMNS]
    if jobs is not None and len(jobs.columns):
        param_columns = {c for c in jobs.columns if c not in BOOKKEEPING_COLUMNS}
        param_columns |= set(configured)
        return param_columns, [c for c in columns if c not in param_columns]
    fixed = settings.get("fixed_params") if settings else None
    fixed_names = set(flatten(fixed)) if isinstance(fixed, Mapping) else set()
    from_dirs = _metric_names_from_working_dirs(working_directories)
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
    return {c for c in columns if c not in metrics}, metrics


def order_metrics(
    all_data: pd.DataFrame, metrics: list[str], notes: list[str]
) -> tuple[list[str], list[str]]:
    """(all metrics, numeric metrics): numeric ones first, ``time_elapsed`` last among them."""
    coerce_numeric(all_data, metrics)
    numeric = [m for m in metrics if is_numeric(all_data[m])]
    non_numeric = [m for m in metrics if m not in numeric]
    if non_numeric:
        notes.append(
            "Non-numeric metrics skipped in statistics and plots: " + ", ".join(non_numeric) + "."
        )
    numeric.sort(key=lambda m: m == TIME_METRIC)
    return numeric + non_numeric, numeric


def find_params(
    source: pd.DataFrame,
    all_data: pd.DataFrame,
    configured: list[str],
    param_columns: set[str],
    settings_found: bool,
    notes: list[str],
) -> list[str]:
    """Swept parameters: the configured ones in ``all_data``, else the columns that vary."""
    params = [p for p in configured if p in all_data.columns]
    missing_configured = [p for p in configured if p not in all_data.columns and len(all_data)]
    if missing_configured:
        notes.append("Configured parameters not in all_data.csv: " + ", ".join(missing_configured))
    if not params:
        params = [
            c
            for c in source.columns
            if c in param_columns and c not in BOOKKEEPING_COLUMNS and source[c].nunique() > 1
        ]
        if params and settings_found:
            notes.append("Parameters not found in settings.json; using the columns that vary.")
    return params


def constant_params(
    source: pd.DataFrame,
    params: list[str],
    param_columns: set[str],
    settings: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """Parameters with one value in every job, and ``fixed_params`` from the settings."""
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
        for key, value in flatten(settings["fixed_params"]).items():
            constant.setdefault(key, value)
    return constant
