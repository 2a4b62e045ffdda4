"""The summary printed when an optimization ends: counts, best settings, failures and files."""

from __future__ import annotations

import sys

from cluster_utils.experiment import job_state
from cluster_utils.experiment.layout import ExperimentLayout
from cluster_utils.hpo.driver_state import DriverState
from cluster_utils.hpo.report_generation import report_file
from cluster_utils.hpo.results_tables import ResultsTables
from cluster_utils.hpo.run_settings import HpoSettings
from cluster_utils.results.failures import failure_lines, failure_row

BEST_SHOWN = 3


def format_final_summary(
    layout: ExperimentLayout,
    state: DriverState,
    hpo: HpoSettings,
    tables: ResultsTables,
    optimized_names: list[str],
    *,
    aborted: str | None,
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
    lines.append(f"  results: {layout.all_data_csv}, {layout.reduced_data_csv.name}")
    if hpo.num_best_jobs_whose_data_is_kept:
        lines.append(f"  best jobs' working directories: {layout.best_jobs}")
    if report_file(layout).is_file():
        lines.append(f"  report: {report_file(layout)}")
    return "\n".join(lines)


def print_final_summary(
    layout: ExperimentLayout,
    state: DriverState,
    hpo: HpoSettings,
    tables: ResultsTables,
    optimized_names: list[str],
    *,
    aborted: str | None,
) -> None:
    print(
        format_final_summary(layout, state, hpo, tables, optimized_names, aborted=aborted),
        file=sys.stderr,
        flush=True,
    )
