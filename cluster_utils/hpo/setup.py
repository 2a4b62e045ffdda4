"""Starting or resuming an optimization: its typed settings, fingerprint and seed, the driver
state to continue, the run files and the optimizer.

A new run gets a driver state with the settings' fingerprint and the seed derived from it; a
resumed run must have the same fingerprint (else :class:`ConfigChangedError` lists the changed
keys, unless ``force``). The optimizer seed is derived from the same canonical text, so the same
config always gives the same seed and a resumed run is reproducible.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cluster_utils.base.settings import flatten_dict
from cluster_utils.experiment.layout import ExperimentLayout
from cluster_utils.experiment.settings import canonical_settings, settings_fingerprint
from cluster_utils.experiment.setup import write_run_files
from cluster_utils.hpo.driver_state import DriverState, load_driver_state
from cluster_utils.optimization import (
    Optimizer,
    OptimizerStateMismatch,
    make_optimizer,
    restore_optimizer,
)

GENERATE_NEVER = "never"
GENERATE_WHEN_FINISHED = "when_finished"
GENERATE_EVERY_ITERATION = "every_iteration"


def seed_from_fingerprint(fingerprint: str) -> int:
    """A non-negative 63-bit optimizer seed derived from the settings fingerprint."""
    return int(fingerprint[:16], 16) % 2**63


def changed_settings(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Human-readable ``key: old -> new`` lines for every dotted key that differs."""
    old_flat = flatten_dict(canonical_settings(old))
    new_flat = flatten_dict(canonical_settings(new))
    missing = object()
    lines = []
    for key in sorted(set(old_flat) | set(new_flat)):
        before, after = old_flat.get(key, missing), new_flat.get(key, missing)
        if before != after:
            shown_before = "(not set)" if before is missing else json.dumps(before)
            shown_after = "(not set)" if after is missing else json.dumps(after)
            lines.append(f"{key}: {shown_before} -> {shown_after}")
    return lines


@dataclass(frozen=True)
class HpoSettings:
    """Typed view of the hp_optimization keys (the settings are validated and defaults filled)."""

    name: str
    optimizer_str: str
    optimizer_settings: dict[str, Any]
    optimized_params: list[dict[str, Any]]
    fixed_params: dict[str, Any]
    metric_to_optimize: str
    minimize: bool
    number_of_samples: int
    n_jobs_per_iteration: int
    n_completed_jobs_before_resubmit: int
    num_best_jobs_whose_data_is_kept: int
    kill_bad_jobs_early: bool
    early_killing_params: dict[str, Any]
    remove_working_dirs: bool
    generate_report: str
    request_cpus: int
    max_cpus: int | None

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> HpoSettings:
        opt = settings["optimization_setting"]
        requirements = settings.get("cluster_requirements") or {}
        n_jobs = int(opt["n_jobs_per_iteration"])
        resubmit = int(opt.get("n_completed_jobs_before_resubmit") or 1)
        if not 1 <= resubmit <= n_jobs:
            raise ValueError(
                "optimization_setting.n_completed_jobs_before_resubmit must be in "
                f"[1, n_jobs_per_iteration={n_jobs}], found {resubmit}"
            )
        max_cpus = requirements.get("max_cpus")
        return cls(
            name=str(settings["optimization_procedure_name"]),
            optimizer_str=str(settings.get("optimizer_str") or "cem_metaoptimizer"),
            optimizer_settings=dict(settings.get("optimizer_settings") or {}),
            optimized_params=list(settings["optimized_params"]),
            fixed_params=dict(settings.get("fixed_params") or {}),
            metric_to_optimize=str(opt["metric_to_optimize"]),
            minimize=bool(opt["minimize"]),
            number_of_samples=int(opt["number_of_samples"]),
            n_jobs_per_iteration=n_jobs,
            n_completed_jobs_before_resubmit=resubmit,
            num_best_jobs_whose_data_is_kept=int(
                settings.get("num_best_jobs_whose_data_is_kept") or 0
            ),
            kill_bad_jobs_early=bool(settings.get("kill_bad_jobs_early", False)),
            early_killing_params=dict(settings.get("early_killing_params") or {}),
            remove_working_dirs=bool(settings.get("remove_working_dirs", True)),
            generate_report=str(settings.get("generate_report") or GENERATE_NEVER),
            request_cpus=max(1, int(requirements.get("request_cpus") or 1)),
            max_cpus=int(max_cpus) if max_cpus else None,
        )

    def local_slots(self, cores: int | None) -> int:
        """How many jobs run at once on this machine: cores (``--cores``, else ``max_cpus``,
        else all CPUs) divided by ``request_cpus``, at least one."""
        available = cores or self.max_cpus or os.cpu_count() or 1
        return max(1, available // self.request_cpus)


class HpoError(RuntimeError):
    """An optimization that cannot start or continue; the message says why and what to do."""

    exit_code = 1


class ConfigChangedError(HpoError):
    """The config differs from the one the saved optimization was started with."""

    exit_code = 2


class InvalidSettingsError(HpoError):
    """Settings the optimizer or the driver cannot use (a config error, nothing ran)."""

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


def build_optimizer(
    hpo: HpoSettings, state: DriverState, storage_dir: Path | None = None
) -> Optimizer:
    """The optimizer to continue ``state`` with (a new one for a new run); ``storage_dir`` is
    where an optimizer keeps its own files (the experiment's internal directory)."""
    common: dict[str, Any] = {
        "metric_to_optimize": hpo.metric_to_optimize,
        "minimize": hpo.minimize,
        "number_of_samples": hpo.number_of_samples,
        "n_jobs_per_iteration": hpo.n_jobs_per_iteration,
        "storage_dir": None if storage_dir is None else str(storage_dir),
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
        raise InvalidSettingsError(f"optimizer: {error}") from error
