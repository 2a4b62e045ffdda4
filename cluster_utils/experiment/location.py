"""Where an experiment lives, and whether it may live there.

The experiment directory is ``<results_dir>/<optimization_procedure_name>``. The name is one path
component (it never leaves results_dir), and the whole path must be usable inside Snakemake
rules; an existing directory must belong to the same kind of procedure: a grid search and an
optimization never share one (their all_data.csv would overwrite each other).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import yaml

from cluster_utils.base.settings_error import SettingsError
from cluster_utils.experiment.layout import ExperimentLayout

#: characters that would break a Snakemake path (wildcards) or a log line
_UNSAFE_PATH = re.compile(r"[{}\x00-\x1f\x7f]")
_KIND_NAMES = {"grid_search": "a grid search", "hp_optimization": "an hp_optimization"}
_RUN_TYPE_KINDS = {
    "grid_search": "grid_search",
    "GRID_SEARCH": "grid_search",
    "hp_optimization": "hp_optimization",
    "HP_OPTIMIZATION": "hp_optimization",
}


class ExperimentLocationError(SettingsError):
    """An experiment directory that cannot or must not be used (exit code 2)."""


def check_procedure_name(name: str) -> None:
    """An experiment name is one path component without characters Snakemake cannot take."""
    rule = None
    if name in ("", ".", ".."):
        rule = "it must name a directory inside results_dir"
    elif "/" in name or "\\" in name:
        rule = "it must be one directory name, without '/'"
    elif _UNSAFE_PATH.search(name):
        rule = "it must not contain '{', '}', newlines or other control characters"
    if rule:
        raise ExperimentLocationError(f"optimization_procedure_name {name!r} is refused: {rule}")


def experiment_directory(settings: dict[str, Any], start_dir: Path) -> Path:
    """``<results_dir>/<name>``; a relative results_dir is relative to ``start_dir``."""
    name = str(settings["optimization_procedure_name"])
    check_procedure_name(name)
    results_dir = Path(os.path.expanduser(os.path.expandvars(str(settings["results_dir"]))))
    if not results_dir.is_absolute():
        results_dir = start_dir / results_dir
    root = (results_dir / name).resolve()
    if _UNSAFE_PATH.search(str(root)) or not _survives_snakemake_config(str(root)):
        raise ExperimentLocationError(
            f"the experiment directory {str(root)!r} is refused: Snakemake cannot take it as a "
            "path (no '{', '}', control characters, quotes at the ends, or YAML syntax such as "
            "': ' or ' #'); change optimization_procedure_name or results_dir"
        )
    return root


def _survives_snakemake_config(path: str) -> bool:
    """Snakemake reads ``--config key=value`` values as YAML after stripping quotes."""
    if path != path.strip("'\""):
        return False
    try:
        return yaml.load(path, Loader=yaml.BaseLoader) == path
    except yaml.YAMLError:
        return False


def recorded_kind(layout: ExperimentLayout) -> str | None:
    """The kind of procedure an existing experiment directory holds, if any."""
    try:
        with open(layout.metadata_json) as f:
            run_type = json.load(f).get("run_type")
        if run_type in _RUN_TYPE_KINDS:
            return _RUN_TYPE_KINDS[run_type]
    except (OSError, ValueError, AttributeError):
        pass
    if layout.hpo_driver_state.exists():
        return "hp_optimization"
    if layout.plan_file.exists():
        return "grid_search"
    return None


def check_kind(layout: ExperimentLayout, kind: str) -> None:
    """Refuse to put a grid search and an optimization into one directory."""
    other = recorded_kind(layout)
    if other is not None and other != kind:
        raise ExperimentLocationError(
            f"{layout.root} holds {_KIND_NAMES[other]}, not {_KIND_NAMES[kind]}: its results "
            "would be overwritten. Choose another optimization_procedure_name or results_dir, "
            "or remove that directory."
        )


def create_directory(layout: ExperimentLayout) -> None:
    """Create the experiment directory, or say in one line why it cannot be used."""
    try:
        layout.root.mkdir(parents=True, exist_ok=True)
        probe = layout.root / f".cluster_utils_write_test.{os.getpid()}"
        probe.touch()
        probe.unlink()
    except OSError as error:
        raise ExperimentLocationError(
            f"cannot use {layout.root} as the experiment directory: "
            f"{error.strerror or error} (check results_dir)"
        ) from error
