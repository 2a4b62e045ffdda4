"""Validating grid_search / hp_optimization settings before anything runs.

``validate_config(settings, kind)`` checks the settings against
``workflow/schemas/<kind>.schema.yaml`` (with jsonschema, draft 2020-12), then checks what a schema
cannot express (tuple lengths, ``n_completed_jobs_before_resubmit <= n_jobs_per_iteration``,
``min < max`` of bounds, duplicate or reserved parameter names), and returns a copy with every
default filled in. All problems are reported together, one line each, in the order of the
settings, e.g.::

    unknown key 'restrats' — did you mean 'restarts'?
    optimization_setting.n_jobs_per_iteration: expected an integer >= 1, found 'five' (string)
    missing required key 'script_relative_path'

Normalisations done on the returned copy: ``generate_report`` is lower-cased (3.0 accepted any
case); ``local_run`` and ``run_local`` (two names for the same setting in 3.0; top level for
grid_search, in ``optimization_setting`` for hp_optimization) both hold the value given for either.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from .defaults import fill_defaults
from .messages import Problem, ProblemCollector, found
from .schemas import Kind, load_schema, schema_file
from .semantic import check_semantics

__all__ = ["ConfigError", "Kind", "check_config", "schema_file", "validate_config"]

REPORT_SETTINGS = ("never", "when_finished", "every_iteration")


class ConfigError(ValueError):
    """The settings are invalid. ``problems`` holds one message per problem."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems: list[str] = list(problems)
        super().__init__("\n".join(self.problems))

    def __str__(self) -> str:
        return "\n".join(self.problems)


def validate_config(settings: dict[str, Any], kind: Kind) -> dict[str, Any]:
    """Validate ``settings`` of a ``kind`` run; return a new dict with the defaults filled in.

    Raises:
        ConfigError: listing every problem found, one per line.
        ValueError: if ``kind`` is neither "grid_search" nor "hp_optimization".
    """
    normalized = _normalize(settings)
    problems = _problems(normalized, kind)
    if problems:
        raise ConfigError(problems)
    result = fill_defaults(normalized, load_schema(kind))
    _merge_local_run(result if kind == "grid_search" else result["optimization_setting"])
    return result


def check_config(settings: dict[str, Any], kind: Kind) -> list[str]:
    """The problems ``validate_config`` would raise, as a list (empty when valid)."""
    return _problems(_normalize(settings), kind)


def _normalize(settings: Any) -> Any:
    if not isinstance(settings, dict):
        return settings
    result = copy.deepcopy(settings)
    report = result.get("generate_report")
    if isinstance(report, str) and report.lower() in REPORT_SETTINGS:
        result["generate_report"] = report.lower()
    return result


def _merge_local_run(settings: dict[str, Any]) -> None:
    value = settings.get("local_run")
    if value is None:
        value = settings.get("run_local")
    settings["local_run"] = settings["run_local"] = value


def _problems(settings: Any, kind: Kind) -> list[str]:
    schema = load_schema(kind)  # raises ValueError for an unknown kind
    if not isinstance(settings, dict):
        return [f"the {kind} settings must be a dict of keys and values, found {found(settings)}"]
    collector = ProblemCollector(schema)
    for error in schema.validator().iter_errors(settings):
        collector.add_error(error)
    check_semantics(settings, kind, lambda path, message: collector.add(path, message))
    ordered = sorted(collector.problems, key=lambda problem: _position(settings, problem))
    return list(dict.fromkeys(problem.message for problem in ordered))


def _position(settings: dict[str, Any], problem: Problem) -> tuple[int, ...]:
    """Where ``problem`` is in the settings (document order), for sorting the messages.

    Keys that are missing sort after the existing keys of their parent.
    """
    position: list[int] = []
    node: Any = settings
    for element in problem.path:
        if isinstance(node, dict):
            keys = list(node)
            index = keys.index(element) if element in keys else len(keys)
            position.append(index)
            node = node.get(element) if isinstance(element, str) else None
        elif isinstance(node, list) and isinstance(element, int) and element < len(node):
            position.append(element)
            node = node[element]
        else:
            position.append(0)
            node = None
    return tuple(position)
