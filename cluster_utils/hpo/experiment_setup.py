"""Starting or resuming an optimization in its experiment directory.

A new run gets a driver state with the settings' fingerprint and the seed derived from it; a
resumed run must have the same fingerprint (else :class:`ConfigChangedError` lists the changed
keys, unless ``force``). The launch spec, settings.json and metadata.json are (re)written, and
the optimizer is built fresh or restored from the saved state.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from cluster_utils.base.job_protocol import atomic_write_text
from cluster_utils.experiment_layout import ExperimentLayout
from cluster_utils.git_checkout import code_directory
from cluster_utils.hpo.driver_state import DriverState, load_driver_state
from cluster_utils.hpo.run_settings import (
    HpoSettings,
    canonical_settings,
    changed_settings,
    seed_from_fingerprint,
    settings_fingerprint,
)
from cluster_utils.launch_spec import build_launch_spec
from cluster_utils.optimization import (
    Optimizer,
    OptimizerStateMismatch,
    make_optimizer,
    restore_optimizer,
)
from cluster_utils.run_metadata import write_run_metadata

RUN_TYPE = "hp_optimization"


class HpoError(RuntimeError):
    """An optimization that cannot start or continue; the message says why and what to do."""

    exit_code = 1


class ConfigChangedError(HpoError):
    exit_code = 2


def load_or_start_state(
    layout: ExperimentLayout, settings: dict[str, Any], *, force: bool
) -> tuple[DriverState, bool]:
    """The driver state to continue (and True), or a new one (and False)."""
    fingerprint = settings_fingerprint(settings)
    try:
        state = load_driver_state(layout)
    except (ValueError, KeyError, TypeError) as error:
        raise HpoError(
            f"the saved optimization state in {layout.internal} cannot be read ({error}); "
            "use another optimization_procedure_name or results_dir to start afresh"
        ) from error
    if state is None:
        fresh = DriverState(
            fingerprint=fingerprint,
            settings=canonical_settings(settings),
            seed=seed_from_fingerprint(fingerprint),
        )
        return fresh, False
    if state.fingerprint != fingerprint:
        changes = changed_settings(state.settings, settings)
        listing = "\n".join(f"  {line}" for line in changes) or "  (no key differs in value)"
        if not force:
            raise ConfigChangedError(
                f"the config differs from the one the optimization in {layout.root} was "
                f"started with:\n{listing}\nRun with --force to continue with the new config, "
                "or choose another optimization_procedure_name or results_dir to start afresh."
            )
        print(
            f"cluster_utils: continuing with a changed config (--force):\n{listing}",
            file=sys.stderr,
        )
        state.fingerprint = fingerprint
        state.settings = canonical_settings(settings)
    return state, True


def write_run_files(
    layout: ExperimentLayout, settings: dict[str, Any], start_dir: Path, seed: int
) -> None:
    """Launch spec (how jobs start), settings.json (the resolved config) and metadata.json."""
    code_dir, commit = code_directory(settings, start_dir, layout.internal / "code")
    atomic_write_text(
        layout.launch_spec,
        json.dumps(build_launch_spec(settings, code_dir).to_json(), indent=2, sort_keys=True),
    )
    atomic_write_text(
        layout.settings_json, json.dumps(settings, indent=2, sort_keys=True, default=str)
    )
    write_run_metadata(
        layout,
        RUN_TYPE,
        git_commit=commit,
        n_jobs=int(settings["optimization_setting"]["number_of_samples"]),
        optimizer_seed=seed,
    )


def build_optimizer(hpo: HpoSettings, state: DriverState) -> Optimizer:
    common: dict[str, Any] = {
        "metric_to_optimize": hpo.metric_to_optimize,
        "minimize": hpo.minimize,
        "number_of_samples": hpo.number_of_samples,
        "n_jobs_per_iteration": hpo.n_jobs_per_iteration,
    }
    try:
        if state.optimizer is not None:
            return restore_optimizer(
                state.optimizer,
                hpo.optimizer_str,
                hpo.optimized_params,
                hpo.optimizer_settings,
                seed=state.seed,
                **common,
            )
        return make_optimizer(
            hpo.optimizer_str,
            hpo.optimized_params,
            hpo.optimizer_settings,
            seed=state.seed,
            **common,
        )
    except OptimizerStateMismatch as error:
        raise ConfigChangedError(str(error)) from error
    except ValueError as error:
        raise ConfigChangedError(f"optimizer: {error}") from error
