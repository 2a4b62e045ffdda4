"""Checks of the settings that JSON Schema cannot express (relations between values).

Each check looks only at values of the right type that are not dynamic templates; wrong types
are already reported by the schema, and templates are evaluated (and checked) later.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from cluster_utils.base.imports import IMPORT_KEY, IMPORT_PROMISE_KEY

from .messages import format_path, found, show_value
from .param_names import param_name_problem
from .schemas import Kind, is_template

#: ``report(path, message)``
Report = Callable[[tuple[str | int, ...], str], None]

LOG_DISTRIBUTIONS = ("TruncatedLogNormal", "IntLogNormal")


def check_semantics(settings: dict[str, Any], kind: Kind, report: Report) -> None:
    _check_fixed_params(settings, report)
    if kind == "grid_search":
        _check_hyperparam_list(settings, report)
        _check_local_run(settings, report)
    else:
        _check_optimization_setting(settings, report)
        _check_optimized_params(settings, report)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_name(path: tuple[str | int, ...], name: str, report: Report) -> bool:
    """Report ``name`` at ``path`` if it cannot be a parameter name; whether it can."""
    problem = param_name_problem(name)
    if problem is not None:
        report(path, f"{format_path(path)}: {problem}")
    return problem is None


def _check_fixed_params(settings: dict[str, Any], report: Report) -> None:
    fixed = settings.get("fixed_params")
    if not isinstance(fixed, dict):
        return
    for key in fixed:
        if isinstance(key, str) and key not in (IMPORT_KEY, IMPORT_PROMISE_KEY):
            _check_name(("fixed_params", key), key, report)


def _check_hyperparam_list(settings: dict[str, Any], report: Report) -> None:
    entries = settings.get("hyperparam_list")
    if not isinstance(entries, list | tuple):
        return
    first_seen: dict[str, int] = {}
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            continue
        param, values = entry.get("param"), entry.get("values")
        names = list(param) if isinstance(param, list | tuple) else [param]
        if not all(isinstance(name, str) for name in names):
            continue
        path: tuple[str | int, ...] = ("hyperparam_list", index, "param")
        for position, name in enumerate(names):
            name_path = (*path, position) if isinstance(param, list | tuple) else path
            if not _check_name(name_path, name, report):
                continue
            if name in first_seen:
                report(
                    path,
                    f"{format_path(path)}: parameter '{name}' is already varied by "
                    f"hyperparam_list[{first_seen[name]}]; each parameter may appear only once",
                )
            else:
                first_seen[name] = index
        if isinstance(param, list | tuple) and isinstance(values, list | tuple):
            _check_tuple_values(index, param, values, report)


def _check_tuple_values(
    index: int, names: Sequence[str], values: Sequence[Any], report: Report
) -> None:
    wanted = len(names)
    for position, value in enumerate(values):
        if is_template(value):
            continue
        if not isinstance(value, list | tuple) or len(value) != wanted:
            path = ("hyperparam_list", index, "values", position)
            report(
                path,
                f"{format_path(path)}: expected a list of {wanted} values (one for each of "
                f"{', '.join(repr(name) for name in names)}), found {found(value)}",
            )


def _check_local_run(
    container: dict[str, Any], report: Report, prefix: tuple[str, ...] = ()
) -> None:
    local_run, run_local = container.get("local_run"), container.get("run_local")
    if isinstance(local_run, bool) and isinstance(run_local, bool) and local_run != run_local:
        where = f"{format_path(prefix)}: " if prefix else ""
        report(
            (*prefix, "run_local"),
            f"{where}local_run and run_local mean the same but disagree (local_run = "
            f"{show_value(local_run)}, run_local = {show_value(run_local)}); set only one",
        )


def _check_optimization_setting(settings: dict[str, Any], report: Report) -> None:
    setting = settings.get("optimization_setting")
    if not isinstance(setting, dict):
        return
    _check_local_run(setting, report, ("optimization_setting",))
    per_iteration = setting.get("n_jobs_per_iteration")
    before_resubmit = setting.get("n_completed_jobs_before_resubmit")
    if (
        isinstance(per_iteration, int)
        and not isinstance(per_iteration, bool)
        and per_iteration >= 1
        and isinstance(before_resubmit, int)
        and not isinstance(before_resubmit, bool)
        and before_resubmit > per_iteration  # below 1: reported by the schema
    ):
        path = ("optimization_setting", "n_completed_jobs_before_resubmit")
        report(
            path,
            f"{format_path(path)}: expected an integer in [1, n_jobs_per_iteration] = "
            f"[1, {per_iteration}], found {found(before_resubmit)}",
        )


def _check_optimized_params(settings: dict[str, Any], report: Report) -> None:
    entries = settings.get("optimized_params")
    if not isinstance(entries, list | tuple):
        return
    first_seen: dict[str, int] = {}
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            continue
        name = entry.get("param")
        if isinstance(name, str):
            path = ("optimized_params", index, "param")
            if _check_name(path, name, report) and name in first_seen:
                report(
                    path,
                    f"{format_path(path)}: parameter '{name}' is already optimized by "
                    f"optimized_params[{first_seen[name]}]; each parameter may appear only once",
                )
            first_seen.setdefault(name, index)
        _check_distribution(index, entry, report)


def _check_distribution(index: int, entry: dict[str, Any], report: Report) -> None:
    distribution = entry.get("distribution")
    if not isinstance(distribution, str):
        return
    # with the required key missing, the schema's message already says which key to use
    if distribution == "Discrete":
        if "bounds" in entry and "options" in entry:
            path = ("optimized_params", index, "bounds")
            report(
                path,
                f"{format_path(path)}: a Discrete distribution takes 'options' (a list of "
                f"values), not 'bounds'",
            )
        return
    if "options" in entry and "bounds" in entry:
        path = ("optimized_params", index, "options")
        report(
            path,
            f"{format_path(path)}: a {distribution} distribution takes 'bounds': [min, max], "
            f"not 'options' (use distribution Discrete for a list of options)",
        )
    bounds = entry.get("bounds")
    if not (isinstance(bounds, list | tuple) and len(bounds) == 2 and all(map(_is_number, bounds))):
        return
    low, high = bounds
    path = ("optimized_params", index, "bounds")
    if low >= high:
        report(
            path, f"{format_path(path)}: expected [min, max] with min < max, found {found(bounds)}"
        )
    elif distribution in LOG_DISTRIBUTIONS and low <= 0:
        report(
            path,
            f"{format_path(path)}: a {distribution} distribution needs bounds > 0, "
            f"found {found(bounds)}",
        )
