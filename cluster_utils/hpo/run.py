"""``cluster-utils optimize`` / ``python -m cluster_utils.hp_optimization``: set up and run.

Where jobs run: the local profile -> :class:`LocalExecutor` (runners started directly, see its
module for why not Snakemake); any other profile -> :class:`SnakemakeBatchExecutor`.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from cluster_utils.execution.local_gpus import LocalGpus, local_gpus
from cluster_utils.execution.profiles import profile_for_run, resolve_profile
from cluster_utils.execution.snakemake import acquire_run_lock
from cluster_utils.experiment import job_state
from cluster_utils.experiment.layout import ExperimentLayout
from cluster_utils.experiment.location import create_directory
from cluster_utils.experiment.setup import open_experiment, print_config_warnings, start_run
from cluster_utils.hpo.driver import OptimizationLoop
from cluster_utils.hpo.executors import JobExecutor, LocalExecutor, SnakemakeBatchExecutor
from cluster_utils.hpo.setup import (
    HpoSettings,
    InvalidSettingsError,
    build_optimizer,
    load_or_start_state,
    write_hpo_run_files,
)
from cluster_utils.optimization.nevergrad_optimizer import NevergradOptimizer, import_nevergrad
from cluster_utils.optimization.optuna_optimizer import OptunaOptimizer, import_optuna
from cluster_utils.report import require_report_dependencies_for
from cluster_utils.results.progress import OptimizationProgress


@dataclass
class OptimizationOptions:
    config_file: Path
    overrides: list[str]
    profile: str | None = None
    force_local: bool = False
    cores: int | None = None
    verbose: bool = False
    force: bool = False
    #: unknown config keys are errors, and any failed job makes the exit code non-zero
    strict: bool = False
    #: ``--gpus N``: local runs have N GPUs (default: detected)
    gpus: int | None = None


def make_executor(
    layout: ExperimentLayout,
    profile: Path,
    hpo: HpoSettings,
    cores: int | None,
    gpus: LocalGpus | None = None,
) -> JobExecutor:
    if profile == resolve_profile("local"):
        return LocalExecutor(layout, hpo.local_slots(cores), gpus)
    return SnakemakeBatchExecutor(layout, profile, cores)


def _require_extras(hpo: HpoSettings, settings: dict) -> None:
    """A missing optional package the config needs: one line naming its extra, nothing runs."""
    if hpo.optimizer_str == NevergradOptimizer.optimizer_str:
        import_nevergrad()
    if hpo.optimizer_str == OptunaOptimizer.optimizer_str:
        import_optuna()
    require_report_dependencies_for(settings)


def run_hp_optimization(options: OptimizationOptions) -> int:
    opened = open_experiment(
        options.config_file,
        options.overrides,
        "hp_optimization",
        strict=options.strict,
        create=False,
    )
    print_config_warnings(opened.warnings)
    settings, layout = opened.settings, opened.layout
    profile, profile_reason = profile_for_run(
        settings, options.profile, force_local=options.force_local, strict=options.strict
    )
    try:
        hpo = HpoSettings.from_settings(settings)
    except ValueError as error:
        raise InvalidSettingsError(str(error)) from error
    _require_extras(hpo, settings)
    is_local = profile == resolve_profile("local")
    gpus = local_gpus(settings, options.gpus) if is_local else LocalGpus()
    create_directory(layout)  # only now: a refused run writes nothing
    lock = acquire_run_lock(layout)
    try:
        state, resumed = load_or_start_state(layout, settings, force=options.force)
        state.aborted = None
        start_run(layout)  # a new attempt clears an earlier abort
        write_hpo_run_files(layout, settings, opened.start_dir, state.seed)
        optimizer = build_optimizer(hpo, state, layout.internal)
        executor = make_executor(layout, profile, hpo, options.cores, gpus)
        verb = "continuing" if resumed else "starting"
        print(
            f"cluster_utils: {verb} hp_optimization '{hpo.name}' ({hpo.optimizer_str}, "
            f"{hpo.number_of_samples} samples, {hpo.n_jobs_per_iteration} in flight), "
            f"{profile_reason}\n"
            f"  experiment directory: {layout.root}"
            + (f"\n  {gpus.describe()}" if gpus.pinned else ""),
            file=sys.stderr,
            flush=True,
        )
        job_state.log_line(
            layout,
            f"{verb.capitalize()} hp_optimization with optimizer {hpo.optimizer_str}, "
            f"seed {state.seed}; {state.n_completed} of {hpo.number_of_samples} samples done.",
        )
        progress = OptimizationProgress(hpo.number_of_samples, hpo.metric_to_optimize)
        progress.follow_scheduler(layout)
        loop = OptimizationLoop(
            layout,
            hpo,
            state,
            optimizer,
            executor,
            progress,
            strict=options.strict,
            config_warnings=tuple(opened.warnings),
        )
        return loop.run()
    finally:
        lock.close()
