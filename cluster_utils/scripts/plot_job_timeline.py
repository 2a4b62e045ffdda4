#!/usr/bin/env python3
"""Plot the job execution timeline from a cluster_run.log file.

Reads a cluster_utils log file ("cluster_run.log", or an experiment directory holding one) and
draws start, interruptions (exit for resume) and end of every job.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from cluster_utils.report.timeline import (
    JobRun,
    JobStatus,
    parse_cluster_run_log,
    timelines_from_log,
)

__all__ = ["JobRun", "JobStatus", "main", "parse_cluster_run_log", "plot_timeline"]

LOG_FILE_NAME = "cluster_run.log"


def plot_timeline(
    jobs: Mapping[int, list[JobRun]], save_to_file: str | os.PathLike[str] | None = None
) -> None:
    """Draw the runs of :func:`parse_cluster_run_log`; save to a file or show a window."""
    timelines = timelines_from_log(jobs)
    if not timelines:
        raise ValueError("no job runs found in the log")
    if save_to_file is not None:
        from cluster_utils.report._deps import require_report_dependencies

        require_report_dependencies()
        from cluster_utils.report.pages import report_style
        from cluster_utils.report.timeline import timeline_figure

        with report_style():
            figure = timeline_figure(timelines, source=LOG_FILE_NAME)
            assert figure is not None
            figure.savefig(save_to_file)
        return
    import matplotlib.pyplot as plt

    from cluster_utils.report.pages import PAGE_SIZE, report_style
    from cluster_utils.report.timeline import draw_timeline

    with report_style():
        figure = plt.figure(figsize=PAGE_SIZE, layout="constrained")
        figure.suptitle("cluster_utils job timeline")
        draw_timeline(figure, timelines)
    plt.show()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m cluster_utils.scripts.plot_job_timeline", description=__doc__
    )
    parser.add_argument(
        "cluster_utils_log_file",
        type=Path,
        help="Path to the cluster_run.log file (or the experiment directory holding it).",
    )
    parser.add_argument(
        "--cap-running-jobs",
        action="store_true",
        help="Limit the end point of jobs that are still running (useful for older logs).",
    )
    parser.add_argument(
        "--save",
        type=Path,
        metavar="FILE",
        help="Do not show the plot but save it to FILE (format from the extension).",
    )
    args = parser.parse_args(argv)
    log_file: Path = args.cluster_utils_log_file
    if log_file.is_dir():
        log_file = log_file / LOG_FILE_NAME
    try:
        jobs = parse_cluster_run_log(log_file, cap_running_jobs_length=args.cap_running_jobs)
        plot_timeline(jobs, save_to_file=args.save)
    except Exception as error:  # report any failure as a message, not a traceback
        logging.critical("%s", error)
        return 1
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    sys.exit(main())
