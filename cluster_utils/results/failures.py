"""Failed jobs as the user sees them: one row builder for ``failures.csv`` (grid and hpo), and
one block of summary lines (reason + stderr tail) for the end-of-run summaries."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cluster_utils.base import constants
from cluster_utils.experiment.job_state import JobState
from cluster_utils.experiment.layout import ExperimentLayout

FAILURE_COLUMNS = [constants.ID, "reason", "return_code", "stderr_tail", "stderr_log"]
MAX_FAILURES_SHOWN = 10
TAIL_LINES_SHOWN = 5


def failure_row(
    layout: ExperimentLayout, state: JobState, reason: str | None = None
) -> dict[str, Any]:
    """The failures.csv row of a failed job; ``reason`` overrides the runner's (hpo knows more)."""
    return {
        constants.ID: state.id,
        "reason": reason or state.reason or "unknown",
        "return_code": "" if state.return_code is None else state.return_code,
        "stderr_tail": state.stderr_tail or "",
        "stderr_log": str(layout.stderr_file(state.id)),
    }


def failure_lines(layout: ExperimentLayout, failures: Sequence[dict[str, Any]]) -> list[str]:
    """Summary lines: each failed job with its reason and the last lines of its stderr."""
    lines: list[str] = []
    for failure in failures[:MAX_FAILURES_SHOWN]:
        lines.append(f"  job {failure[constants.ID]} failed: {failure['reason']}")
        tail = str(failure["stderr_tail"] or "").splitlines()[-TAIL_LINES_SHOWN:]
        lines.extend(f"      {line}" for line in tail)
    if len(failures) > MAX_FAILURES_SHOWN:
        lines.append(
            f"  ... and {len(failures) - MAX_FAILURES_SHOWN} more failures: {layout.failures_csv}"
        )
    return lines
