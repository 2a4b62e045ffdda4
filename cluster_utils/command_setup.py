"""What `grid-search` and `optimize` do first: load the config, pick the profile, find the dir."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cluster_utils.execution_profiles import choose_profile
from cluster_utils.experiment_layout import ExperimentLayout
from cluster_utils.experiment_settings import (
    Kind,
    experiment_directory,
    load_experiment_settings,
    run_locally_setting,
)


@dataclass(frozen=True)
class OpenedExperiment:
    settings: dict[str, Any]
    #: the directory the command was started from (relative config paths are relative to it)
    start_dir: Path
    layout: ExperimentLayout
    profile: Path
    #: one line saying why this profile was chosen
    profile_reason: str


def open_experiment(
    config_file: str | os.PathLike[str],
    overrides: list[str],
    kind: Kind,
    *,
    profile: str | None,
    force_local: bool,
) -> OpenedExperiment:
    """Validated settings, the chosen profile and the (created) experiment directory."""
    start_dir = Path.cwd()
    settings = load_experiment_settings(config_file, overrides, kind)
    interactive = sys.stdin.isatty() and not settings.get("no_user_interaction", False)
    profile_dir, reason = choose_profile(
        profile,
        force_local=force_local,
        run_locally=run_locally_setting(settings),
        interactive=interactive,
    )
    layout = ExperimentLayout.at(experiment_directory(settings, start_dir))
    layout.root.mkdir(parents=True, exist_ok=True)
    return OpenedExperiment(settings, start_dir, layout, profile_dir, reason)
