"""What the Snakefile needs from the package, so the rules themselves stay thin.

Two ways in:
- from the CLI (``cluster-utils grid-search``): the CLI has planned the run and passes
  ``--config cluster_utils_experiment=<experiment dir>``; the Snakefile only reads the plan.
- from a checkout (``snakemake --profile profiles/local``): ``config`` is the grid config itself
  (``config/config.yaml`` or ``--configfile``), or ``--config experiment=my.toml`` names an
  experiment file in any format cluster_utils reads (JSON, YAML, TOML; ``__import__`` and all).
  It is validated and planned here, relative to the current directory. Warnings about the config
  (unknown keys) go to stderr, each once per process.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cluster_utils.backends import BACKENDS, get_backend
from cluster_utils.config.errors import ConfigError
from cluster_utils.execution.local_gpus import GPU_RESOURCE, requested_gpus
from cluster_utils.execution.snakemake import (
    BATCH_CONFIG_KEY,
    CHUNK_SIZE_CONFIG_KEY,
    EXPERIMENT_CONFIG_KEY,
)
from cluster_utils.execution.snakemake_exit import exit_promptly
from cluster_utils.experiment.chunks import finished_chunks, make_chunks
from cluster_utils.experiment.layout import ExperimentLayout
from cluster_utils.experiment.plan import planned_job_ids, read_plan
from cluster_utils.experiment.repair import repair_chunks, repair_jobs

if TYPE_CHECKING:
    from cluster_utils.experiment.settings import LoadedSettings

# A cluster-utils command has planned and validated the run already: what only a plain
# `snakemake` run needs (settings loading and validation with jsonschema, planning) is imported
# where it is used, which keeps ~0.15 s out of every Snakemake start-up.


@dataclass(frozen=True)
class GridWorkflow:
    layout: ExperimentLayout
    job_ids: list[int]
    settings: dict[str, Any]
    is_batch: bool = False
    chunks: tuple[str, ...] = ()
    #: with ``chunks``: the jobs no chunk holds (a plain run after a chunked one), one job each
    loose_job_ids: tuple[int, ...] = ()
    #: planned and summarised by the cluster-utils command (not a plain `snakemake` run)
    from_cli: bool = False

    @property
    def experiment_dir(self) -> str:
        return str(self.layout.root)

    @property
    def shell_experiment_dir(self) -> str:
        return shlex.quote(self.experiment_dir)

    @property
    def shell_python(self) -> str:
        return shlex.quote(sys.executable)

    def done_marker_pattern(self) -> str:
        return str(self.layout.jobs_dir / "{job_id}" / "done")

    def done_markers(self) -> list[str]:
        """What the results depend on: one marker per job, or per chunk of jobs."""
        if self.chunks:
            chunk_markers = [str(self.layout.chunk_marker(name)) for name in self.chunks]
            return chunk_markers + [str(self.layout.done_marker(i)) for i in self.loose_job_ids]
        return [str(self.layout.done_marker(job_id)) for job_id in self.job_ids]

    def chunk_marker_pattern(self) -> str:
        return str(self.layout.chunks_dir / "{chunk}.done")

    def threads(self) -> int:
        return int((self.settings.get("cluster_requirements") or {}).get("request_cpus", 1) or 1)

    def resources(self) -> dict[str, Any]:
        return rule_resources(self.settings.get("cluster_requirements") or {})

    def chunk_resources(self) -> dict[str, int]:
        """A local chunk runs its jobs one after another: it needs the GPUs of one job."""
        return local_resources(self.settings)

    def report_file(self) -> str | None:
        """3.0's grid report name, when generate_report asks for a report."""
        if self.is_batch or self.settings.get("generate_report", "never") == "never":
            return None
        name = self.settings["optimization_procedure_name"]
        return str(self.layout.report_pdf("grid_search", name))

    @property
    def figures_dir(self) -> str:
        """PNG copies of the report's figures, registered for ``snakemake --report``."""
        return str(self.layout.root / "report_figures")

    def figure_names(self) -> tuple[str, ...]:
        from cluster_utils.report import PNG_FIGURES

        return PNG_FIGURES["grid_search"]

    def targets(self) -> list[str]:
        """Every job's marker (so a missing job always runs, even when all_data.csv exists from
        an earlier partial run), the merged table and the report."""
        if self.is_batch:
            return self.done_markers()
        report = self.report_file()
        return [*self.done_markers(), str(self.layout.all_data_csv), *([report] if report else [])]

    def end_of_run(self) -> None:
        """The Snakefile's ``onsuccess`` and ``onerror``: a plain ``snakemake`` run summarises
        itself here (the cluster-utils commands do that themselves); then Snakemake's process
        exits without waiting for its scheduler's timers or a last garbage collection
        (:mod:`cluster_utils.execution.snakemake_exit`)."""
        try:
            if not self.from_cli:
                from cluster_utils.grid.run_summary import finish_grid_run

                finish_grid_run(self.layout, self.job_ids, self.settings)
        finally:
            exit_promptly()


#: resource with {backend: why it cannot map the cluster_requirements}, for its executor to report
MAPPING_ERRORS_RESOURCE = "cluster_utils_mapping_errors"


def rule_resources(cluster_requirements: dict[str, Any]) -> dict[str, Any]:
    """Snakemake resources for every backend at once; each executor reads only its own keys.

    A backend that cannot map the requirements (extra_submission_options written for another
    scheduler) adds its error under MAPPING_ERRORS_RESOURCE instead, and its executor refuses the
    jobs with it; only when no backend can map them is the error raised here."""
    resources: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name in BACKENDS:
        try:
            resources.update(get_backend(name).snakemake_resources(cluster_requirements))
        except ValueError as exc:
            errors[name] = str(exc)
    if len(errors) == len(BACKENDS):
        raise ValueError(next(iter(errors.values())))
    if errors:
        resources[MAPPING_ERRORS_RESOURCE] = json.dumps(errors)
    resources.pop("threads", None)
    resources.update(local_resources({"cluster_requirements": cluster_requirements}))
    return resources


def local_resources(settings: dict[str, Any]) -> dict[str, int]:
    """What a local run counts against its ``--resources``: ``gpu=<request_gpus>`` (the Slurm
    executor reads the same resource; the HTCondor executors ignore it)."""
    gpus = requested_gpus(settings)
    return {GPU_RESOURCE: gpus} if gpus > 0 else {}


def load_grid_workflow(
    config: dict[str, Any], start_dir: Path, *, main_process: bool = True
) -> GridWorkflow:
    """The grid of this Snakemake process. ``main_process=False``: a job's own Snakemake (a
    cluster job of a plain run), started in the experiment directory: it reads the plan the
    main process made there instead of planning again from a directory that is not the user's."""
    if not main_process and EXPERIMENT_CONFIG_KEY not in config:
        planned = ExperimentLayout.at(start_dir)
        if read_plan(planned) is not None:
            return _planned_workflow(planned)
    if EXPERIMENT_CONFIG_KEY in config:
        layout = ExperimentLayout.at(config[EXPERIMENT_CONFIG_KEY])
        with open(layout.settings_json) as f:
            settings = json.load(f)
        if BATCH_CONFIG_KEY in config:
            with open(config[BATCH_CONFIG_KEY]) as f:
                job_ids = [int(i) for i in json.load(f)]
            return GridWorkflow(layout, job_ids, settings, is_batch=True, from_cli=True)
        plan = read_plan(layout)
        if plan is None:
            raise RuntimeError(f"no planned grid search in {layout.root}")
        job_ids = list(plan["job_ids"])
        chunk_size = int(config.get(CHUNK_SIZE_CONFIG_KEY, 1))
        chunks = tuple(make_chunks(layout, job_ids, chunk_size)) if chunk_size > 1 else ()
        repair_jobs(layout, job_ids)
        repair_chunks(layout, chunks)
        return GridWorkflow(layout, job_ids, settings, chunks=chunks, from_cli=True)

    from cluster_utils.experiment.location import check_kind, experiment_directory
    from cluster_utils.grid.planning import plan_grid_search, preview_grid_search

    loaded = plain_snakemake_settings(config, start_dir)
    settings = loaded.settings
    _warn_once(loaded.warnings)
    layout = ExperimentLayout.at(experiment_directory(settings, start_dir))
    check_kind(layout, "grid_search")
    if is_dry_run(sys.argv):  # `snakemake -n` only looks: plan in memory, write nothing
        jobs = preview_grid_search(settings, layout)
        return GridWorkflow(layout, [job.job_id for job in jobs], settings)
    plan = plan_grid_search(settings, start_dir, layout)
    _warn_once(plan.warnings)
    repair_jobs(layout, plan.job_ids)
    chunks, loose = finished_chunks(layout, plan.job_ids)  # of a cluster-utils run before
    return GridWorkflow(
        layout, plan.job_ids, settings, chunks=tuple(chunks), loose_job_ids=tuple(loose)
    )


def _planned_workflow(layout: ExperimentLayout) -> GridWorkflow:
    with open(layout.settings_json) as f:
        settings = json.load(f)
    return GridWorkflow(layout, planned_job_ids(layout) or [], settings)


#: ``snakemake --config experiment=my.toml``: the experiment file of a plain Snakemake run
EXPERIMENT_FILE_CONFIG_KEY = "experiment"


def plain_snakemake_settings(config: dict[str, Any], start_dir: Path) -> LoadedSettings:
    """The settings of a plain ``snakemake`` run: the file named by ``experiment=`` (relative to
    ``start_dir``), loaded as the cluster-utils commands load it, or else ``config`` itself."""
    from cluster_utils.experiment.settings import load_experiment_settings, prepare_settings

    if EXPERIMENT_FILE_CONFIG_KEY not in config:
        return prepare_settings(dict(config), "grid_search")
    others = sorted(key for key in config if key != EXPERIMENT_FILE_CONFIG_KEY)
    if others:
        raise ConfigError(
            [
                f"--config {EXPERIMENT_FILE_CONFIG_KEY}=FILE takes every setting from FILE, but "
                f"the Snakemake config also has {', '.join(map(repr, others))} (from --config "
                "or --configfile); put them into FILE, or run `cluster-utils grid-search FILE "
                "key=value ...`"
            ]
        )
    value = config[EXPERIMENT_FILE_CONFIG_KEY]
    if value in (None, ""):
        raise ConfigError([f"--config {EXPERIMENT_FILE_CONFIG_KEY}=FILE: no file given"])
    path = Path(os.path.expanduser(str(value)))
    return load_experiment_settings(start_dir / path, [], "grid_search")


def is_dry_run(argv: list[str]) -> bool:
    """Whether this Snakemake process was started with ``-n`` / ``--dry-run`` (also ``-np``)."""
    for arg in argv[1:]:
        if arg in ("--dry-run", "--dryrun", "--dry_run"):
            return True
        if arg.startswith("-") and not arg.startswith("--") and arg[1:].isalpha() and "n" in arg:
            return True
    return False


_WARNED: set[str] = set()


def _warn_once(warnings: tuple[str, ...]) -> None:
    """Print each config warning once (Snakemake may parse the Snakefile more than once)."""
    for message in warnings:
        if message not in _WARNED:
            _WARNED.add(message)
            print(f"cluster_utils: warning: {message}", file=sys.stderr, flush=True)
