"""End-of-run summary printed by the workflow and the CLI: counts, failures with stderr tails."""

from __future__ import annotations

import sys

from cluster_utils.experiment_layout import ExperimentLayout
from cluster_utils.results.collect import RunSummary, collect_results

MAX_FAILURES_SHOWN = 10


def format_summary(layout: ExperimentLayout, summary: RunSummary) -> str:
    counts = summary.counts
    lines = [
        f"cluster_utils: {counts['succeeded']} succeeded, {counts['failed']} failed, "
        f"{summary.total - counts['succeeded'] - counts['failed']} not finished "
        f"(of {summary.total} jobs)",
        f"  results: {layout.all_data_csv}",
    ]
    if layout.abort_file.exists():
        lines.append(f"  aborted: {layout.abort_file.read_text().strip()}")
    for failure in summary.failures[:MAX_FAILURES_SHOWN]:
        lines.append(f"  job {failure['_id']} failed: {failure['reason']}")
        tail = failure["stderr_tail"].splitlines()[-5:]
        lines.extend(f"      {line}" for line in tail)
    if len(summary.failures) > MAX_FAILURES_SHOWN:
        lines.append(
            f"  ... and {len(summary.failures) - MAX_FAILURES_SHOWN} more: {layout.failures_csv}"
        )
    if summary.failures:
        lines.append("  run the same command again to re-run only the failed and missing jobs")
    return "\n".join(lines)


def print_run_summary(layout: ExperimentLayout, job_ids: list[int]) -> RunSummary:
    summary = collect_results(layout, job_ids)
    print(format_summary(layout, summary), file=sys.stderr, flush=True)
    return summary
