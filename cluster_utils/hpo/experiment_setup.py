"""Starting or resuming an optimization in its experiment directory.

A new run gets a driver state with the settings' fingerprint and the seed derived from it; a
resumed run must have the same fingerprint (else :class:`ConfigChangedError` lists the changed
keys, unless ``force``). The launch spec, settings.json and metadata.json are (re)written, and
the optimizer is built fresh or restored from the saved state.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from cluster_utils.experiment.layout import ExperimentLayout
from cluster_utils.experiment.settings import canonical_settings, settings_fingerprint
from cluster_utils.experiment.setup import write_run_files
from cluster_utils.hpo.driver_state import DriverState, load_driver_state
from cluster_utils.hpo.run_settings import HpoSettings, changed_settings, seed_from_fingerprint
from cluster_utils.optimization import (
    Optimizer,
    OptimizerStateMismatch,
    make_optimizer,
    restore_optimizer,
)


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


def write_hpo_run_files(
    layout: ExperimentLayout, settings: dict[str, Any], start_dir: Path, seed: int
) -> None:
    """Launch spec, settings.json and metadata.json (with the optimizer seed)."""
    write_run_files(
        layout,
        settings,
        start_dir,
        "hp_optimization",
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
