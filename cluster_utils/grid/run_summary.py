"""End-of-run summary printed by the workflow and the CLI: counts, failures with stderr tails."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cluster_utils.experiment.layout import ExperimentLayout
from cluster_utils.grid.cleanup import clean_up_succeeded_jobs
from cluster_utils.results.collect import RunSummary, collect_results
from cluster_utils.results.failures import failure_lines


def format_summary(
    layout: ExperimentLayout, summary: RunSummary, warnings: Sequence[str] = ()
) -> str:
    counts = summary.counts
    lines = [
        f"cluster_utils: {counts['succeeded']} succeeded, {counts['failed']} failed, "
        f"{summary.total - counts['succeeded'] - counts['failed']} not finished "
        f"(of {summary.total} jobs)",
        f"  results: {layout.all_data_csv}",
    ]
    if layout.abort_file.exists():
        lines.append(f"  aborted: {layout.abort_file.read_text().strip()}")
    lines.extend(failure_lines(layout, summary.failures))
    lines.extend(f"  config warning: {warning}" for warning in warnings)
    if summary.failures:
        lines.append("  run the same command again to re-run only the failed and missing jobs")
    return "\n".join(lines)


def finish_grid_run(
    layout: ExperimentLayout,
    job_ids: list[int],
    settings: dict[str, Any],
    warnings: Sequence[str] = (),
) -> RunSummary:
    """Collect the tables, print the summary, bring the report up to date, clean up."""
    summary = collect_results(layout, job_ids)
    print(format_summary(layout, summary, warnings), file=sys.stderr, flush=True)
    if settings.get("generate_report", "never") != "never":
        name = settings["optimization_procedure_name"]
        update_report(layout, layout.report_pdf("grid_search", name), summary)
    clean_up_succeeded_jobs(layout, job_ids, settings)
    return summary


def update_report(layout: ExperimentLayout, report_pdf: Path, summary: RunSummary) -> None:
    """The report shows exactly the planned jobs' results, or there is none.

    When every job succeeded, the workflow's report rule has drawn it; it is drawn here only if
    all_data.csv changed after that (the rule saw older results). When some jobs failed or are
    missing (the rule could not run), the report of what succeeded is drawn. Without any
    result there is nothing to report, and an earlier report (of other jobs) is removed."""
    succeeded = summary.counts["succeeded"]
    if not succeeded:
        removed = report_pdf.exists()
        report_pdf.unlink(missing_ok=True)
        note = f"; removed the earlier report {report_pdf}" if removed else ""
        print(f"  no job succeeded: nothing to report{note}", file=sys.stderr, flush=True)
    elif succeeded < summary.total:
        write_partial_report(layout, str(report_pdf))
    elif summary.all_data_changed:
        write_partial_report(layout, str(report_pdf), "the current results")


def write_partial_report(
    layout: ExperimentLayout, report_pdf: str, what: str = "the jobs that succeeded"
) -> None:
    print(f"  drawing the report of {what} ...", file=sys.stderr, flush=True)
    try:
        from cluster_utils.report import load_experiment, report_from

        report_from(load_experiment(layout.root), report_pdf)
    except Exception as error:  # the run's outcome matters more than its report
        print(f"cluster_utils: could not draw the report: {error}", file=sys.stderr)
    else:
        print(f"  report (of {what}): {report_pdf}", file=sys.stderr)
