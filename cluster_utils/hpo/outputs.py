"""What an optimization leaves for the user besides the tables: the best jobs' working
directories (``best_jobs/``), removal of the other working directories, and the final summary.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable

from cluster_utils.experiment import job_state
from cluster_utils.experiment.layout import ExperimentLayout
from cluster_utils.hpo.driver_state import DriverState
from cluster_utils.hpo.report import report_file
from cluster_utils.hpo.results_tables import ResultsTables
from cluster_utils.hpo.setup import HpoSettings
from cluster_utils.results.failures import failure_lines, failure_row


def update_best_jobs(layout: ExperimentLayout, best_ids: list[int]) -> None:
    layout.best_jobs.mkdir(parents=True, exist_ok=True)
    wanted = {str(job_id) for job_id in best_ids}
    for entry in layout.best_jobs.iterdir():
        if entry.is_dir() and entry.name not in wanted:
            shutil.rmtree(entry, ignore_errors=True)
    for job_id in best_ids:
        target = layout.best_jobs / str(job_id)
        source = layout.working_dir(job_id)
        if not target.exists() and source.is_dir():
            partial = target.with_name(f".{target.name}.partial")
            shutil.rmtree(partial, ignore_errors=True)
            shutil.copytree(source, partial, symlinks=True)
            partial.rename(target)


def remove_working_dirs(layout: ExperimentLayout, job_ids: Iterable[int]) -> None:
    for job_id in job_ids:
        shutil.rmtree(layout.working_dir(job_id), ignore_errors=True)


BEST_SHOWN = 3


def format_final_summary(
    layout: ExperimentLayout,
    state: DriverState,
    hpo: HpoSettings,
    tables: ResultsTables,
    optimized_names: list[str],
    *,
    aborted: str | None,
    config_warnings: tuple[str, ...] = (),
) -> str:
    succeeded = state.count(job_state.SUCCEEDED)
    failed = state.count(job_state.FAILED)
    stopped = state.count(job_state.STOPPED_EARLY)
    headline = "aborted" if aborted else "finished"
    lines = [
        f"cluster_utils: optimization '{hpo.name}' {headline}: {state.n_completed} of "
        f"{hpo.number_of_samples} samples done: {succeeded} succeeded, {failed} failed, "
        f"{stopped} stopped early"
    ]
    if aborted:
        lines.append(f"  {aborted}")
    elif state.n_completed < hpo.number_of_samples:
        lines.append("  the optimizer has no further settings (every grid setting ran)")
    for row in tables.result_rows(state)[:BEST_SHOWN]:
        params = ", ".join(f"{name}={row[name]}" for name in optimized_names if name in row)
        lines.append(
            f"  job {row['_id']}: {hpo.metric_to_optimize}={row[hpo.metric_to_optimize]:.6g}"
            + (f" ({params})" if params else "")
        )
    failures = [
        failure_row(layout, job_state.load_state(layout, record.id), record.reason)
        for record in state.jobs.values()
        if record.status == job_state.FAILED
    ]
    lines.extend(failure_lines(layout, failures))
    lines.extend(f"  config warning: {warning}" for warning in config_warnings)
    lines.append(f"  results: {layout.all_data_csv}, {layout.reduced_data_csv.name}")
    if hpo.num_best_jobs_whose_data_is_kept:
        lines.append(f"  best jobs' working directories: {layout.best_jobs}")
    if report_file(layout).is_file():
        lines.append(f"  report: {report_file(layout)}")
    return "\n".join(lines)
