"""The one prologue of ``grid-search`` and ``optimize``: load the config, find the directory,
and write the run files every run of an experiment has (launch.json, settings.json,
metadata.json). Both commands call these; nothing else writes those three files."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cluster_utils.base.job_protocol import atomic_write_text
from cluster_utils.config.validation import ConfigError
from cluster_utils.experiment.code_checkout import code_directory
from cluster_utils.experiment.launch_spec import build_launch_spec
from cluster_utils.experiment.layout import ExperimentLayout
from cluster_utils.experiment.location import check_kind, create_directory, experiment_directory
from cluster_utils.experiment.metadata import write_run_metadata
from cluster_utils.experiment.settings import Kind, load_experiment_settings


@dataclass(frozen=True)
class OpenedExperiment:
    settings: dict[str, Any]
    #: the directory the command was started from (relative config paths are relative to it)
    start_dir: Path
    layout: ExperimentLayout
    kind: Kind
    #: warnings about the config (unknown keys), one line each; the caller shows them
    warnings: tuple[str, ...] = ()


def open_experiment(
    config_file: str | os.PathLike[str],
    overrides: list[str],
    kind: Kind,
    *,
    strict: bool = False,
    create: bool = True,
) -> OpenedExperiment:
    """Validated settings and the (created) experiment directory.

    ``strict``: unknown config keys are errors rather than warnings; ``create=False`` (dry
    runs) writes nothing."""
    start_dir = Path.cwd()
    loaded = load_experiment_settings(config_file, overrides, kind, strict=strict)
    if loaded.settings.get("run_in_working_dir", False):  # else checked after the git clone
        check_job_script(loaded.settings, start_dir, "the directory the command was started from")
    layout = ExperimentLayout.at(experiment_directory(loaded.settings, start_dir))
    check_kind(layout, kind)
    if create:
        create_directory(layout)
    return OpenedExperiment(loaded.settings, start_dir, layout, kind, loaded.warnings)


def print_config_warnings(warnings: tuple[str, ...] | list[str]) -> None:
    """Config warnings (unknown keys, ...), printed before any job starts."""
    for warning in warnings:
        print(f"cluster_utils: warning: {warning}", file=sys.stderr, flush=True)


def write_if_changed(path: Path, text: str) -> bool:
    """Write ``text`` atomically unless the file already holds it (keeps mtimes for Snakemake)."""
    try:
        if path.read_text() == text:
            return False
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, text)
    return True


def write_run_files(
    layout: ExperimentLayout,
    settings: dict[str, Any],
    start_dir: Path,
    kind: Kind,
    *,
    n_jobs: int,
    **metadata: Any,
) -> str | None:
    """launch.json (how jobs start), settings.json (the resolved config), metadata.json.

    Returns the git commit the jobs' code is pinned to (None when not in a git repository)."""
    layout.internal.mkdir(parents=True, exist_ok=True)
    code_dir, commit = code_directory(settings, start_dir, layout.internal / "code")
    where = f"the git clone of commit {commit[:7]}" if code_dir != start_dir and commit else ""
    check_job_script(settings, code_dir, where or "the directory the command was started from")
    write_if_changed(
        layout.launch_spec,
        json.dumps(build_launch_spec(settings, code_dir).to_json(), indent=2, sort_keys=True),
    )
    # in config order: all_data.csv's columns follow it (cluster_utils.results.table_format)
    write_if_changed(layout.settings_json, json.dumps(settings, indent=2, default=str))
    write_run_metadata(layout, kind, git_commit=commit, n_jobs=n_jobs, **metadata)
    return commit


def check_job_script(settings: dict[str, Any], code_dir: Path, where: str) -> None:
    """Refuse a job script that does not exist (a typo would fail every job); ``where`` names
    ``code_dir`` for the message. A module (run_as_module) or an absolute path inside a
    container image cannot be checked here."""
    env_setup = settings.get("environment_setup") or {}
    script = str(settings["script_relative_path"])
    expanded = os.path.expanduser(os.path.expandvars(script))
    if env_setup.get("is_python_script", True) and env_setup.get("run_as_module", False):
        return
    if settings.get("singularity") and os.path.isabs(expanded):
        return
    path = code_dir / expanded
    if not path.exists():
        raise ConfigError(
            [
                f"script_relative_path: {script!r} not found: there is no file {path} "
                f"(relative paths start in {where})"
            ]
        )


def start_run(layout: ExperimentLayout) -> None:
    """A new run clears the previous run's abort request."""
    with contextlib.suppress(FileNotFoundError):
        layout.abort_file.unlink()
