"""Load a grid_search / hp_optimization config: file + command-line overrides, validated.

Both entry points return a :class:`LoadedSettings`: the validated settings (defaults filled in)
and the warnings about them, one line each (unknown keys: ``unknown key 'restrats' — did you
mean 'restarts'?``). The caller shows the warnings. With ``strict=True`` (or ``strict_config:
true`` in the config) unknown keys are errors instead. Invalid settings raise
:class:`~cluster_utils.config.ConfigError` (or :class:`~cluster_utils.base.settings.SettingsError`
for a file that cannot be read), both exit code 2 on the command line.

``fixed_params.__import_promise__`` becomes ``fixed_params.__import__`` here, as in 3.0: every job
gets it in its parameters and resolves it itself (:mod:`cluster_utils.base.imports`).

Relative paths in the config are resolved against the directory the command was started from
(3.0 put a relative results_dir under $HOME, which surprised people).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from cluster_utils.base.imports import rename_import_promise
from cluster_utils.base.settings import (
    apply_overrides,
    evaluate_dynamic,
    load_settings_file,
    parse_overrides,
)
from cluster_utils.config.validation import validate_settings

Kind = Literal["grid_search", "hp_optimization"]


@dataclass(frozen=True)
class LoadedSettings:
    """Validated settings (every default filled in) and the warnings about them."""

    settings: dict[str, Any]
    #: one message per line, without a "warning:" prefix; empty when there is nothing to say
    warnings: tuple[str, ...] = ()


def load_experiment_settings(
    config_file: str | os.PathLike[str], overrides: list[str], kind: Kind, *, strict: bool = False
) -> LoadedSettings:
    """Read, override, evaluate and validate; raises SettingsError or ConfigError."""
    settings = load_settings_file(Path(config_file), dynamic=False)
    apply_overrides(settings, parse_overrides(overrides), protect_braces=True)
    return prepare_settings(settings, kind, strict=strict)


def prepare_settings(
    settings: dict[str, Any], kind: Kind, *, strict: bool = False
) -> LoadedSettings:
    """Evaluate what can be evaluated now (per-job templates stay) and validate.

    ``settings`` is not modified."""
    per_job = ("fixed_params", "hyperparam_list", "optimized_params")  # evaluated again per job
    evaluated = evaluate_dynamic(settings, strict=False, keep_escapes=False, per_job=per_job)
    evaluated = rename_import_promise(evaluated)
    validated = validate_settings(evaluated, kind, strict=strict)
    return LoadedSettings(validated.settings, validated.warnings)


def experiment_directory(settings: dict[str, Any], start_dir: Path) -> Path:
    results_dir = Path(os.path.expanduser(os.path.expandvars(str(settings["results_dir"]))))
    if not results_dir.is_absolute():
        results_dir = start_dir / results_dir
    return (results_dir / str(settings["optimization_procedure_name"])).resolve()


def run_locally_setting(settings: dict[str, Any]) -> bool | None:
    """3.0's ``local_run`` (grid) / ``optimization_setting.run_local`` (hpo); both spellings."""
    for key in ("local_run", "run_local"):
        if settings.get(key) is not None:
            return bool(settings[key])
    opt = settings.get("optimization_setting") or {}
    for key in ("run_local", "local_run"):
        if opt.get(key) is not None:
            return bool(opt[key])
    return None


def canonical_settings(settings: Any) -> Any:
    """The settings as JSON would store them (tuples -> lists, odd values as text)."""
    return json.loads(json.dumps(settings, sort_keys=True, default=str))


def settings_fingerprint(settings: Any) -> str:
    """Identity of resolved settings: equal settings give the same fingerprint in any run."""
    text = json.dumps(canonical_settings(settings), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()
