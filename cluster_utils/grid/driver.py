"""``cluster-utils grid-search``: plan the grid, run it through Snakemake, summarise."""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from cluster_utils.base.exit_codes import run_exit_code
from cluster_utils.execution.local_gpus import LocalGpus, local_gpus
from cluster_utils.execution.profiles import profile_for_run, quiets_slurm, resolve_profile
from cluster_utils.execution.snakemake import (
    acquire_run_lock,
    run_snakemake,
    snakemake_argv,
    tail_of,
)
from cluster_utils.experiment.chunks import local_chunk_size
from cluster_utils.experiment.location import create_directory
from cluster_utils.experiment.repair import repair_jobs
from cluster_utils.experiment.setup import (
    OpenedExperiment,
    open_experiment,
    print_config_warnings,
    start_run,
)
from cluster_utils.grid.dry_run import print_dry_run
from cluster_utils.grid.planning import plan_grid_search, preview_grid_search
from cluster_utils.grid.run_summary import finish_grid_run
from cluster_utils.report import require_report_dependencies_for
from cluster_utils.results.progress import GridProgress

logger = logging.getLogger("cluster_utils")


@dataclass
class GridSearchOptions:
    config_file: Path
    overrides: list[str]
    profile: str | None = None
    dry_run: bool = False
    cores: int | None = None
    force_local: bool = False
    snakemake_args: list[str] | None = None
    verbose: bool = False
    #: unknown config keys are errors, and any failed job makes the exit code non-zero
    strict: bool = False
    #: ``--gpus N``: local runs have N GPUs (default: detected)
    gpus: int | None = None


def run_grid_search(options: GridSearchOptions) -> int:
    opened = open_experiment(
        options.config_file,
        options.overrides,
        "grid_search",
        strict=options.strict,
        create=False,
    )
    print_config_warnings(opened.warnings)
    if options.dry_run:
        print_dry_run(opened.layout, preview_grid_search(opened.settings, opened.layout))
        return 0
    profile, profile_reason = profile_for_run(
        opened.settings, options.profile, force_local=options.force_local, strict=options.strict
    )
    require_report_dependencies_for(opened.settings)
    is_local = profile == resolve_profile("local")
    gpus = local_gpus(opened.settings, options.gpus) if is_local else LocalGpus()
    create_directory(opened.layout)  # only now: a refused run writes nothing
    lock = acquire_run_lock(opened.layout)
    try:
        return _run_planned(opened, options, profile, profile_reason, gpus)
    finally:
        lock.close()


def _run_planned(
    opened: OpenedExperiment,
    options: GridSearchOptions,
    profile: Path,
    profile_reason: str,
    gpus: LocalGpus,
) -> int:
    settings, layout = opened.settings, opened.layout
    plan = plan_grid_search(settings, opened.start_dir, layout)
    print(
        f"cluster_utils: grid search '{settings['optimization_procedure_name']}': "
        f"{len(plan.job_ids)} jobs, {profile_reason}\n"
        f"  experiment directory: {layout.root}",
        file=sys.stderr,
    )
    if plan.newly_loaded:
        print(f"  loaded existing results of {plan.newly_loaded} jobs", file=sys.stderr)
    if gpus.pinned:
        print(f"  {gpus.describe()}", file=sys.stderr)
    print_config_warnings(plan.warnings)
    repair_jobs(layout, plan.job_ids)
    start_run(layout)
    is_local = profile == resolve_profile("local")
    cores, chunk_size = _local_slots(settings, options.cores, len(plan.job_ids), is_local, gpus)
    argv = snakemake_argv(
        layout,
        profile,
        cores=cores,
        chunk_size=chunk_size,
        resources=gpus.snakemake_resources(),
        extra=options.snakemake_args,
    )
    display = GridProgress(
        layout,
        plan.job_ids,
        draws_report=settings.get("generate_report", "never") != "never",
        scheduler_notices=not options.verbose,
    )
    code = run_snakemake(
        argv,
        layout,
        on_tick=display.update,
        log_to_console=options.verbose,
        jobs_die_with_driver=is_local,
        job_environment=gpus.environment(),
        quiet_slurm=quiets_slurm(profile),
    )
    display.close()
    warnings = (*opened.warnings, *plan.warnings)
    summary = finish_grid_run(layout, plan.job_ids, settings, warnings=warnings)
    if code == 130:
        print("cluster_utils: interrupted; run the same command to continue", file=sys.stderr)
    elif code != 0 and not summary.failures:
        print(
            f"cluster_utils: Snakemake exited with code {code}; its log "
            f"({layout.snakemake_log}) ends with:\n{tail_of(layout.snakemake_log)}",
            file=sys.stderr,
        )
        return code
    return run_exit_code(
        aborted=layout.abort_file.exists(),
        interrupted=code == 130,
        failed_jobs=summary.counts["failed"],
        succeeded_jobs=summary.counts["succeeded"],
        strict=options.strict,
    )


def _local_slots(
    settings: dict, cores: int | None, n_jobs: int, is_local: bool, gpus: LocalGpus
) -> tuple[int | None, int]:
    """``--cores`` (locally: else max_cpus) and how many jobs one local Snakemake job runs
    (chunks sized for the jobs that run at once: by cores, and by GPUs when jobs get some)."""
    if not is_local:
        return cores, 1
    requirements = settings.get("cluster_requirements") or {}
    if cores is None and requirements.get("max_cpus"):
        cores = int(requirements["max_cpus"])
    threads = int(requirements.get("request_cpus") or 1)
    slots = max(1, (cores or os.cpu_count() or 1) // threads)
    slots = min(slots, gpus.max_parallel_jobs() or slots)
    return cores, local_chunk_size(n_jobs, slots)
