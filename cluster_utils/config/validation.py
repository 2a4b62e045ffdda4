"""Validating grid_search / hp_optimization settings before anything runs.

``validate_settings(settings, kind, strict=False)`` checks the settings against
``workflow/schemas/<kind>.schema.yaml`` (with jsonschema, draft 2020-12), then checks what a schema
cannot express (tuple lengths, ``n_completed_jobs_before_resubmit <= n_jobs_per_iteration``,
``min < max`` of bounds, duplicate, reserved or malformed parameter names), and returns a copy
with every default filled in, together with the warnings. All problems are reported together, one
line each, in the order of the settings, e.g.::

    optimization_setting.n_jobs_per_iteration: expected an integer >= 1, found 'five' (string)
    missing required key 'script_relative_path'

A key that no schema declares is a **warning** (``unknown key 'restrats' — did you mean
'restarts'?``): 3.0 ignored such keys, and real configs carry keys for the users' own scripts.
Strict validation (``strict=True``, or ``strict_config: true`` in the settings) makes them errors.
Unknown keys under ``optimizer_settings`` are always errors: those keys are the optimizer's
keyword arguments, which refuses unknown ones (3.0 failed on them with a TypeError).
``validate_config`` and ``check_config`` are the strict forms.

Normalisations done on the returned copy: ``generate_report`` is lower-cased (3.0 accepted any
case); ``local_run`` and ``run_local`` (two names for the same setting in 3.0; top level for
grid_search, in ``optimization_setting`` for hp_optimization) both hold the value given for either.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from .defaults import fill_defaults
from .errors import ConfigError as ConfigError
from .messages import Problem, ProblemCollector, found
from .schemas import Kind, load_schema, schema_file
from .semantic import check_semantics

__all__ = [
    "ConfigError",
    "Findings",
    "Kind",
    "ValidatedSettings",
    "check_config",
    "check_settings",
    "schema_file",
    "validate_config",
    "validate_settings",
]

REPORT_SETTINGS = ("never", "when_finished", "every_iteration")
#: The settings key that asks for strict validation.
STRICT_KEY = "strict_config"
#: Sections whose unknown keys are errors even when validation is not strict.
STRICT_SECTIONS = ("optimizer_settings",)


@dataclass(frozen=True)
class Findings:
    """What validation found: ``errors`` refuse the settings, ``warnings`` do not."""

    errors: tuple[str, ...]
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class ValidatedSettings:
    """Valid settings with every default filled in, and the warnings about them."""

    settings: dict[str, Any]
    warnings: tuple[str, ...]


def validate_settings(
    settings: dict[str, Any], kind: Kind, *, strict: bool = False
) -> ValidatedSettings:
    """Validate ``settings`` of a ``kind`` run; a new dict with the defaults, and the warnings.

    ``strict`` (or ``strict_config: true`` in ``settings``) makes unknown keys errors.

    Raises:
        ConfigError: listing every error found, one per line.
        ValueError: if ``kind`` is neither "grid_search" nor "hp_optimization".
    """
    normalized = _normalize(settings)
    findings = _findings(normalized, kind, strict=strict)
    if findings.errors:
        raise ConfigError(findings.errors, findings.warnings)
    result = fill_defaults(normalized, load_schema(kind))
    _merge_local_run(result if kind == "grid_search" else result["optimization_setting"])
    return ValidatedSettings(result, findings.warnings)


def validate_config(settings: dict[str, Any], kind: Kind) -> dict[str, Any]:
    """Strict :func:`validate_settings` (unknown keys are errors); the settings with defaults."""
    return validate_settings(settings, kind, strict=True).settings


def check_settings(settings: dict[str, Any], kind: Kind, *, strict: bool = False) -> Findings:
    """The errors and warnings :func:`validate_settings` would find (both empty when valid)."""
    return _findings(_normalize(settings), kind, strict=strict)


def check_config(settings: dict[str, Any], kind: Kind) -> list[str]:
    """The problems strict validation would raise, as a list (empty when valid)."""
    return list(check_settings(settings, kind, strict=True).errors)


def strict_requested(settings: Any) -> bool:
    """Whether the settings ask for strict validation (``strict_config: true``)."""
    return isinstance(settings, dict) and settings.get(STRICT_KEY) is True


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


def _findings(settings: Any, kind: Kind, *, strict: bool) -> Findings:
    schema = load_schema(kind)  # raises ValueError for an unknown kind
    if not isinstance(settings, dict):
        return Findings(
            (f"the {kind} settings must be a dict of keys and values, found {found(settings)}",),
            (),
        )
    strict = strict or strict_requested(settings)
    collector = ProblemCollector(schema)
    for error in schema.validator().iter_errors(settings):
        collector.add_error(error)
    check_semantics(settings, kind, lambda path, message: collector.add(path, message))
    ordered = sorted(collector.problems, key=lambda problem: _position(settings, problem))
    errors = [problem.message for problem in ordered if not _is_warning(problem, strict)]
    warnings = [problem.message for problem in ordered if _is_warning(problem, strict)]
    return Findings(tuple(dict.fromkeys(errors)), tuple(dict.fromkeys(warnings)))


def _is_warning(problem: Problem, strict: bool) -> bool:
    if strict or not problem.unknown_key:
        return False
    return not (problem.path and problem.path[0] in STRICT_SECTIONS)


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
