"""Job timelines: when each job ran, how often it was resumed, and how it ended.

Two sources: the runner's ``jobs/<id>/state.json`` files (attempts with unix start/end times)
and, as in 3.0, the ``cluster_run.log`` lines (``Job with id N submitted.``, ``Job N started on
hostname H``, ``... finished successfully.``, ``... exited to be resumed.``,
``... Considering job failed.``).  Parsing needs only the standard library; drawing needs
matplotlib.
"""

from __future__ import annotations

import collections
import datetime as dt
import enum
import logging
import os
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from cluster_utils.base.constants import RETURN_CODE_FOR_RESUME

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

logger = logging.getLogger("cluster_utils.report")


class JobStatus(enum.Enum):
    """How one run of a job ended (names and values as in 3.0's plot_job_timeline)."""

    FINISHED = 0
    EXIT_FOR_RESUME = 1
    FAILED = 2
    RUNNING = 3
    SUBMITTED = 4
    CLUSTER_UTILS_EXIT = 5


class JobRun(NamedTuple):
    """One run of a job as found in ``cluster_run.log``."""

    start_time: dt.datetime
    end_time: dt.datetime
    end_status: JobStatus


_LINE = re.compile(
    r"^(?P<time>\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:[,.]\d+)?) - [^ ]+ - [A-Z]+ - "
    r"Job (?:with id )?(?P<id>\d+)\b(?P<rest>.*?)\s*$"
)
_EXIT = re.compile(
    r"^(?P<time>\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:[,.]\d+)?) - .* - Exiting now\s*$"
)
_ENDINGS: tuple[tuple[str, JobStatus], ...] = (
    ("finished successfully.", JobStatus.FINISHED),
    ("now sent results after concluding earlier.", JobStatus.FINISHED),
    ("exited to be resumed.", JobStatus.EXIT_FOR_RESUME),
    ("Considering job failed.", JobStatus.FAILED),
    ("announced it end but no results were sent.", JobStatus.FAILED),
    ("submitted.", JobStatus.SUBMITTED),
)


def _timestamp(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace(",", "."))


def parse_cluster_run_log(
    log_file_path: str | os.PathLike[str], cap_running_jobs_length: bool = False
) -> collections.defaultdict[int, list[JobRun]]:
    """Runs of every job found in a ``cluster_run.log``, by job id.

    Each job starts with a ``SUBMITTED`` entry (start == end == submission time) followed by
    one entry per run.  Runs without an end line end at the log's "Exiting now" line
    (``CLUSTER_UTILS_EXIT``) or, if the run is still going, now (``RUNNING``); with
    ``cap_running_jobs_length`` that end is capped at the last job event plus 40 % of the time
    between the first job start and the last job event (for looking at old logs).
    """
    jobs: collections.defaultdict[int, list[JobRun]] = collections.defaultdict(list)
    open_runs: dict[int, dt.datetime] = {}
    exit_time: dt.datetime | None = None
    first_start: dt.datetime | None = None
    last_event: dt.datetime | None = None
    with open(log_file_path, encoding="utf-8", errors="replace") as log:
        for number, line in enumerate(log, start=1):
            match = _LINE.match(line)
            if match is None:
                exit_match = _EXIT.match(line)
                if exit_match:
                    exit_time = _timestamp(exit_match["time"])
                continue
            rest = match["rest"]
            job_id = int(match["id"])
            status = next((s for suffix, s in _ENDINGS if rest.endswith(suffix)), None)
            is_start = "started on hostname" in rest
            if status is None and not is_start:
                continue
            when = _timestamp(match["time"])
            last_event = when
            if is_start:
                open_runs[job_id] = when
                first_start = first_start or when
            elif status is JobStatus.SUBMITTED:
                jobs[job_id].append(JobRun(when, when, status))
            elif job_id in open_runs:
                jobs[job_id].append(JobRun(open_runs.pop(job_id), when, status))
            else:
                logger.warning(
                    "line %d: job %d ended but never started: %s", number, job_id, line.strip()
                )
    if open_runs:
        if exit_time is not None:
            end, status = exit_time, JobStatus.CLUSTER_UTILS_EXIT
        else:
            end, status = dt.datetime.now(), JobStatus.RUNNING
            if cap_running_jobs_length and first_start and last_event:
                end = min(end, last_event + 0.4 * (last_event - first_start))
        for job_id, start in open_runs.items():
            jobs[job_id].append(JobRun(start, end, status))
    return jobs


#: Outcome of one attempt -> (legend label, colour).
OUTCOMES: dict[str, tuple[str, str]] = {
    "succeeded": ("succeeded", "#59a14f"),
    "failed": ("failed", "#e15759"),
    "resumed": ("exited for resume", "#f28e2b"),
    "running": ("running", "#4e79a7"),
    "unknown": ("interrupted / unknown", "#9d9d9d"),
}


@dataclass
class Attempt:
    start: float
    end: float | None
    outcome: str
    #: True when this attempt continues a previous one that exited for resume.
    continued: bool = False


@dataclass
class JobTimeline:
    job_id: int
    attempts: list[Attempt] = field(default_factory=list)


def _as_float(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def timelines_from_states(states: Mapping[int, Mapping[str, Any]]) -> list[JobTimeline]:
    """Timelines from ``state.json`` contents (jobs without attempts are left out).

    The attempt's ``resumed`` flag is accepted in either meaning (this attempt continues a
    resumed one, or this attempt exited for resume); exit code 3 always means resume.
    """
    result = []
    for job_id in sorted(states):
        state = states[job_id]
        raw = [a for a in state.get("attempts") or [] if isinstance(a, Mapping)]
        attempts: list[Attempt] = []
        status = str(state.get("status", ""))
        for k, item in enumerate(raw):
            start = _as_float(item.get("start"))
            if start is None:
                continue
            end = _as_float(item.get("end"))
            rc = item.get("return_code")
            last = k == len(raw) - 1
            next_flag = not last and bool(raw[k + 1].get("resumed"))
            if rc == RETURN_CODE_FOR_RESUME or (
                not last and ((item.get("resumed") and rc != 0) or next_flag)
            ):
                outcome = "resumed"
            elif end is None:
                outcome = "running" if last and status in ("running", "") else "unknown"
            elif not last:
                outcome = "failed" if rc not in (None, 0) else "unknown"
            elif status == "succeeded" or (status not in ("failed",) and rc == 0):
                outcome = "succeeded"
            elif status == "failed" or rc not in (None, 0):
                outcome = "failed"
            else:
                outcome = "unknown"
            continued = bool(attempts) and attempts[-1].outcome == "resumed"
            attempts.append(Attempt(start, end, outcome, continued))
        if attempts:
            result.append(JobTimeline(int(job_id), attempts))
    return result


def timelines_from_log(runs: Mapping[int, list[JobRun]]) -> list[JobTimeline]:
    """Timelines from :func:`parse_cluster_run_log` output (submission entries dropped)."""
    outcome_of = {
        JobStatus.FINISHED: "succeeded",
        JobStatus.FAILED: "failed",
        JobStatus.EXIT_FOR_RESUME: "resumed",
        JobStatus.RUNNING: "running",
        JobStatus.CLUSTER_UTILS_EXIT: "unknown",
    }
    result = []
    for job_id in sorted(runs):
        attempts: list[Attempt] = []
        for run in runs[job_id]:
            if run.end_status is JobStatus.SUBMITTED:
                continue
            end = None if run.end_status is JobStatus.RUNNING else run.end_time.timestamp()
            continued = bool(attempts) and attempts[-1].outcome == "resumed"
            attempts.append(
                Attempt(run.start_time.timestamp(), end, outcome_of[run.end_status], continued)
            )
        if attempts:
            result.append(JobTimeline(job_id, attempts))
    return result


def _time_unit(span_seconds: float) -> tuple[float, str]:
    if span_seconds < 180:
        return 1.0, "s"
    if span_seconds < 3 * 3600:
        return 60.0, "min"
    if span_seconds < 3 * 86400:
        return 3600.0, "h"
    return 86400.0, "days"


def _time_span(timelines: list[JobTimeline], now: float | None) -> tuple[float, float, float]:
    """(first start, where running attempts end, seconds shown on the axis)."""
    starts = [a.start for t in timelines for a in t.attempts]
    ends = [a.end for t in timelines for a in t.attempts if a.end is not None]
    t0 = min(starts)
    last = max(ends + starts)
    open_end = now if now is not None else time.time()
    # Running attempts end "now", but an old experiment must not stretch the axis forever.
    open_end = min(max(open_end, last), last + 0.4 * max(last - t0, 60.0))
    span = (
        max(open_end if any(a.end is None for t in timelines for a in t.attempts) else last, last)
        - t0
    )
    return t0, open_end, span


_Bars = dict[tuple[str, bool], tuple[list[float], list[float], list[float]]]


def _bars(
    timelines: list[JobTimeline], t0: float, open_end: float, span: float, scale: float
) -> _Bars:
    """(job ids, lefts, widths) of the bars per (outcome, continued), in axis units."""
    by_key: _Bars = {}
    for timeline in timelines:
        for attempt in timeline.attempts:
            end = attempt.end if attempt.end is not None else open_end
            ys, lefts, widths = by_key.setdefault(
                (attempt.outcome, attempt.continued), ([], [], [])
            )
            ys.append(timeline.job_id)
            lefts.append((attempt.start - t0) / scale)
            widths.append(max((end - attempt.start) / scale, span / scale / 800))
    return by_key


def _draw_bars(ax: Axes, by_key: _Bars, n_jobs: int) -> None:
    height = 0.75 if n_jobs < 200 else 0.95
    # Rare outcomes last, so they end up on top.
    rank = ["succeeded", "running", "unknown", "resumed", "failed"]
    draw_order = sorted(by_key.items(), key=lambda item: (rank.index(item[0][0]), item[0][1]))
    for (outcome, continued), (ys, lefts, widths) in draw_order:
        if n_jobs > 60 and outcome in ("failed", "resumed"):
            # Thin bars of a large run hide rare events: mark where they ended.
            ends = [left + width for left, width in zip(lefts, widths, strict=True)]
            ax.scatter(
                ends,
                ys,
                marker="X" if outcome == "failed" else "v",
                s=28,
                color=OUTCOMES[outcome][1],
                edgecolors="black",
                linewidths=0.4,
                zorder=4,
            )
        ax.barh(
            ys,
            widths,
            left=lefts,
            height=height,
            color=OUTCOMES[outcome][1],
            hatch="////" if continued else None,
            edgecolor="white" if continued else "none",
            linewidth=0,
        )


def _legend(ax: Axes, by_key: _Bars) -> None:
    from matplotlib.patches import Patch

    handles = [
        Patch(color=OUTCOMES[o][1], label=OUTCOMES[o][0])
        for o in OUTCOMES
        if any(key[0] == o for key in by_key)
    ]
    if any(key[1] for key in by_key):
        handles.append(Patch(facecolor="0.6", hatch="////", edgecolor="white", label="resumed run"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)


def draw_timeline(fig: Figure, timelines: list[JobTimeline], *, now: float | None = None) -> None:
    """Draw horizontal bars per job and attempt onto ``fig`` (one axes)."""
    from matplotlib.ticker import MaxNLocator

    t0, open_end, span = _time_span(timelines, now)
    scale, unit = _time_unit(span)
    ax = fig.add_subplot(1, 1, 1)
    by_key = _bars(timelines, t0, open_end, span, scale)
    _draw_bars(ax, by_key, len(timelines))
    _legend(ax, by_key)
    ids = [t.job_id for t in timelines]
    if len(timelines) <= 40:
        ax.set_yticks(ids)
    else:
        ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=15))
    ax.set_ylim(max(ids) + 0.8, min(ids) - 0.8)
    ax.set_xlim(0, span / scale * 1.01)
    start_text = dt.datetime.fromtimestamp(t0).strftime("%Y-%m-%d %H:%M:%S")
    ax.set_xlabel(f"time since first job start, {start_text} ({unit})")
    ax.set_ylabel("job id")
    ax.grid(True, axis="x")
    ax.grid(False, axis="y")


def timeline_summary(timelines: list[JobTimeline]) -> str:
    attempts = sum(len(t.attempts) for t in timelines)
    resumed = sum(1 for t in timelines for a in t.attempts if a.outcome == "resumed")
    return f"{len(timelines)} jobs, {attempts} attempts, {resumed} exit(s) for resume."


def timeline_figure(
    timelines: list[JobTimeline], *, source: str = "", now: float | None = None
) -> Figure | None:
    """The job timeline as a report page (None when there is no attempt to draw)."""
    if not timelines:
        return None
    from .pages import new_page

    note = timeline_summary(timelines) + (f" Source: {source}." if source else "")
    fig = new_page("Job timeline", note=note)
    draw_timeline(fig, timelines, now=now)
    return fig
