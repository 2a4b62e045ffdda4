"""Numbers behind the report: summaries, best jobs, importance, recommendations.

Pure pandas/numpy; nothing here draws.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from cluster_utils.base.constants import ID, ITERATION, RESTART_PARAM_NAME, STD_ENDING

from .columns import is_numeric

IMPORTANCE_METHOD = (
    "Numeric parameters: |Spearman ρ| between parameter value and metric (colour: sign of ρ). "
    "Categorical parameters: correlation ratio η of the metric ranks across categories. "
    "Both range from 0 (no relation) to 1."
)


def format_value(value: Any, digits: int = 4, max_chars: int = 40) -> str:
    """Short text for a table cell or tick label."""
    if value is None:
        return "None"
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        if math.isnan(value):
            return "NaN"
        if float(value).is_integer() and abs(value) < 1e15:
            return str(int(value))
        return f"{value:.{digits}g}"
    text = str(value)
    return text if len(text) <= max_chars else text[: max_chars - 1] + "…"


def shorten_name(name: str, max_chars: int = 24) -> str:
    """Shorten a dotted parameter name: drop leading components, then cut the middle."""
    if len(name) <= max_chars:
        return name
    parts = name.split(".")
    while len(parts) > 1 and len(".".join(parts)) > max_chars:
        parts = parts[1:]
    short = ".".join(parts)
    if len(short) <= max_chars:
        return short
    keep = max_chars - 1
    return short[: (keep + 1) // 2] + "…" + short[-(keep // 2) :]


def unique_short_names(names: Sequence[str], max_chars: int = 24) -> dict[str, str]:
    """Shortened names that stay distinct (falls back to longer names on clashes)."""
    short = {n: shorten_name(n, max_chars) for n in names}
    if len(set(short.values())) < len(names):
        short = {n: shorten_name(n, max_chars + 16) for n in names}
    return short


def summary_statistics(frame: pd.DataFrame, metrics: Sequence[str], minimize: bool) -> pd.DataFrame:
    """One row per metric: count, NaNs, mean, std, quartiles and the best job."""
    rows = []
    for metric in metrics:
        values = frame[metric]
        valid = values.dropna()
        best_id: Any = None
        best = np.nan
        if len(valid):
            best_index = valid.idxmin() if minimize else valid.idxmax()
            best = valid.loc[best_index]
            best_id = frame.loc[best_index, ID] if ID in frame.columns else best_index
        rows.append(
            {
                "metric": metric,
                "jobs": int(valid.size),
                "NaN": int(values.isna().sum()),
                "mean": valid.mean() if len(valid) else np.nan,
                "std": valid.std() if len(valid) > 1 else np.nan,
                "min": valid.min() if len(valid) else np.nan,
                "25%": valid.quantile(0.25) if len(valid) else np.nan,
                "median": valid.median() if len(valid) else np.nan,
                "75%": valid.quantile(0.75) if len(valid) else np.nan,
                "max": valid.max() if len(valid) else np.nan,
                "best": best,
                "best job": best_id,
            }
        )
    return pd.DataFrame(rows)


def constant_metrics(frame: pd.DataFrame, metrics: Sequence[str]) -> dict[str, Any]:
    """The metrics of ``metrics`` with one and the same value in every row (two or more rows,
    no NaN), by name: a step count or a fixed budget, not worth a page of its own."""
    if len(frame) < 2:
        return {}
    constant = {}
    for metric in metrics:
        values = frame[metric]
        if values.notna().all() and values.nunique() == 1:
            constant[metric] = values.iloc[0]
    return constant


def constant_metrics_line(constant: dict[str, Any]) -> str:
    """``Constant over all jobs: steps = 100, budget = 5.``"""
    listed = ", ".join(f"{name} = {format_value(value)}" for name, value in constant.items())
    return f"Constant over all jobs: {listed}."


def best_jobs(
    frame: pd.DataFrame,
    metric: str,
    params: Sequence[str],
    minimize: bool,
    *,
    how_many: int = 10,
    extra_metrics: Sequence[str] = (),
) -> pd.DataFrame:
    """The ``how_many`` best jobs for ``metric`` (NaN last), with their parameters."""
    columns = [c for c in (ID, ITERATION) if c in frame.columns]
    columns += list(params) + [metric] + [m for m in extra_metrics if m != metric]
    ordered = frame.sort_values(metric, ascending=minimize, na_position="last", kind="stable")
    top = ordered[columns].head(how_many).reset_index(drop=True)
    top.insert(0, "rank", range(1, len(top) + 1))
    return top


def discretize(series: pd.Series, max_levels: int = 12) -> tuple[pd.Series, list[str]]:
    """Map parameter values onto at most ``max_levels`` ordered, labelled levels.

    Numeric values with few distinct values keep them; many distinct numeric values are cut
    into quantile bins; categories beyond ``max_levels - 1`` are merged into "other".
    """
    if is_numeric(series):
        distinct = np.sort(series.dropna().unique())
        if len(distinct) <= max_levels:
            labels = [format_value(v) for v in distinct]
            mapping = dict(zip(distinct.tolist(), labels, strict=True))
            result = series.map(mapping)
            if series.isna().any():
                labels.append("NaN")
                result = result.fillna("NaN")
            return result, labels
        codes = pd.qcut(series, q=min(8, max_levels), labels=False, duplicates="drop")
        # Label each bin by the smallest and largest value that fell into it.
        bounds = series.groupby(codes).agg(["min", "max"]).sort_index()
        names = {
            code: f"{format_value(row['min'], 2)}–{format_value(row['max'], 2)}"
            for code, row in bounds.iterrows()
        }
        labels = [names[code] for code in bounds.index]
        result = codes.map(names)
        if series.isna().any():
            labels.append("NaN")
            result = result.fillna("NaN")
        return result.astype(str), labels
    text = series.map(lambda v: "None" if v is None or v is pd.NA else v)
    text = text.astype(object).where(series.notna(), "None").astype(str)
    counts = text.value_counts()
    if len(counts) > max_levels:
        keep = set(counts.index[: max_levels - 1])
        text = text.where(text.isin(keep), "other")
    levels = list(dict.fromkeys(text))
    numeric_levels = pd.to_numeric(pd.Series(levels), errors="coerce")
    if numeric_levels.notna().all():
        levels = [lv for _, lv in sorted(zip(numeric_levels, levels, strict=True))]
    else:
        levels = sorted(levels, key=lambda lv: (lv == "other", lv))
    return text, levels


def _correlation_ratio(groups: pd.Series, values: pd.Series) -> float:
    total = ((values - values.mean()) ** 2).sum()
    if total == 0:
        return math.nan
    between = sum(
        len(group) * (group.mean() - values.mean()) ** 2 for _, group in values.groupby(groups)
    )
    return float(math.sqrt(between / total))


def parameter_importance(frame: pd.DataFrame, params: Sequence[str], metric: str) -> pd.DataFrame:
    """Importance of each parameter for ``metric`` (see :data:`IMPORTANCE_METHOD`).

    Columns: ``param``, ``score`` (0..1, NaN when undefined), ``rho`` (signed Spearman for
    numeric parameters, NaN otherwise), ``method``; sorted by score, highest first.
    """
    rows = []
    valid = frame[frame[metric].notna()]
    ranks = valid[metric].rank()
    for param in params:
        column = valid[param]
        if is_numeric(column) and column.nunique() >= 2:
            rho = column.rank().corr(ranks)
            score = abs(rho) if pd.notna(rho) else math.nan
            rows.append({"param": param, "score": score, "rho": rho, "method": "spearman"})
        else:
            groups = column.astype(object).where(column.notna(), "None").astype(str)
            score = _correlation_ratio(groups, ranks) if groups.nunique() >= 2 else math.nan
            rows.append({"param": param, "score": score, "rho": math.nan, "method": "eta"})
    result = pd.DataFrame(rows, columns=["param", "score", "rho", "method"])
    return result.sort_values("score", ascending=False, na_position="last").reset_index(drop=True)


def _key(values: Sequence[Any]) -> tuple[str, ...]:
    return tuple(format_value(v, digits=10, max_chars=200) for v in values)


def recommendations(
    all_data: pd.DataFrame,
    reduced_data: pd.DataFrame | None,
    params: Sequence[str],
    metric: str,
    minimize: bool,
    *,
    how_many: int = 10,
) -> pd.DataFrame:
    """Best parameter settings, averaged over restarts.

    Uses ``reduced_data.csv`` when it has the metric (the driver's means over restarts), else
    groups ``all_data`` by the parameters.  Columns: ``rank``, the parameters, ``mean``,
    ``std``, ``restarts``, ``job ids``.
    """
    params = list(params)
    ids_by_key: dict[tuple[str, ...], list[int]] = {}
    if ID in all_data.columns and params:
        for _, row in all_data[[*params, ID]].iterrows():
            ids_by_key.setdefault(_key(row[params].tolist()), []).append(int(row[ID]))
    std_column = metric + STD_ENDING
    if (
        reduced_data is not None
        and metric in reduced_data.columns
        and all(p in reduced_data.columns for p in params)
    ):
        table = reduced_data[params].copy()
        table["mean"] = pd.to_numeric(reduced_data[metric], errors="coerce")
        table["std"] = reduced_data[std_column] if std_column in reduced_data.columns else np.nan
        table["restarts"] = (
            reduced_data[RESTART_PARAM_NAME] if RESTART_PARAM_NAME in reduced_data.columns else 1
        )
    elif params:
        grouped = all_data.groupby(params, dropna=False, sort=False)[metric]
        table = grouped.agg(["mean", "std", "size"]).reset_index()
        table = table.rename(columns={"size": "restarts"})
    else:
        return pd.DataFrame()
    table = table[table["mean"].notna()]
    table = table.sort_values("mean", ascending=minimize, kind="stable").head(how_many)
    table["job ids"] = [
        ", ".join(str(i) for i in ids_by_key.get(_key(row), [])[:4])
        + (" …" if len(ids_by_key.get(_key(row), [])) > 4 else "")
        for row in table[params].itertuples(index=False)
    ]
    table = table.reset_index(drop=True)
    table.insert(0, "rank", range(1, len(table) + 1))
    return table


def iteration_column(frame: pd.DataFrame, chunk: int) -> pd.Series:
    """``_iteration`` if present, else consecutive chunks of ``chunk`` jobs in id order."""
    if ITERATION in frame.columns and frame[ITERATION].notna().any():
        return frame[ITERATION]
    order = (
        frame[ID].rank(method="first")
        if ID in frame.columns
        else pd.Series(np.arange(1, len(frame) + 1), index=frame.index)
    )
    return ((order - 1) // max(1, chunk) + 1).astype(int)
