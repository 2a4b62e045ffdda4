"""The report command shared by ``cluster-utils report`` and 3.0's
``python -m cluster_utils.scripts.generate_report``: the metric options, the check of the output
file, and one call of :func:`~cluster_utils.report.render.report_from`.

Importing this module is cheap (the plotting part is imported when a report is drawn).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from ._deps import MissingReportDependencyError, require_report_dependencies
from .results_check import nothing_to_report

EXIT_OK = 0
EXIT_FAILED = 1
#: matplotlib & co. are not installed (as the CLI's exit code for a missing extra)
EXIT_MISSING_EXTRA = 2


def add_metric_options(parser: argparse.ArgumentParser) -> None:
    """``--metric NAME`` (repeatable) and ``--maximize`` / ``--minimize`` (grid_search)."""
    parser.add_argument(
        "--metric",
        action="append",
        metavar="NAME",
        help="grid_search: metric to report (repeatable; default: report_metric from the "
        "settings, else all metrics).",
    )
    direction = parser.add_mutually_exclusive_group()
    direction.add_argument(
        "--maximize",
        dest="minimize",
        action="store_false",
        default=None,
        help="grid_search: higher metric values are better.",
    )
    direction.add_argument(
        "--minimize",
        dest="minimize",
        action="store_true",
        help="grid_search: lower metric values are better (default unless configured).",
    )


def _confirm_overwrite(output: Path, force: bool, logger: logging.Logger) -> bool:
    if not output.exists():
        return True
    if force:
        logger.warning("%s already exists but will be overwritten due to --force.", output)
        return True
    if not sys.stdin.isatty():
        logger.error("%s already exists; pass --force to overwrite it.", output)
        return False
    answer = input(f"{output} already exists.  Overwrite it? [y/N]: ")
    if answer.strip().lower() in ("y", "yes"):
        return True
    print("Do not overwrite existing file.  Abort.")
    return False


def write_report(
    results_dir: Path,
    output: Path | None,
    logger: logging.Logger,
    *,
    force: bool = False,
    metric: Sequence[str] | None = None,
    minimize: bool | None = None,
    png_dir: Path | None = None,
) -> int:
    """Load ``results_dir`` once and write its report; an exit code (problems are logged).

    ``output`` defaults to 3.0's name in ``results_dir``; an existing file is only overwritten
    with ``force`` or after asking on a terminal.
    """
    try:
        require_report_dependencies()
        from .data import load_experiment
        from .kinds import HP_OPTIMIZATION
        from .render import report_from

        data = load_experiment(results_dir)
    except MissingReportDependencyError as error:
        logger.critical("%s", error)
        return EXIT_MISSING_EXTRA
    except FileNotFoundError as error:
        logger.critical("%s", error)
        return EXIT_FAILED
    if data.all_data.empty:  # never a report of no results
        logger.error("%s", nothing_to_report(results_dir))
        return EXIT_FAILED
    output = output if output is not None else data.report_pdf()
    if output.is_dir():
        logger.critical("'%s' is a directory, not a file.", output)
        return EXIT_FAILED
    if not _confirm_overwrite(output, force, logger):
        return EXIT_FAILED
    if data.run_type == HP_OPTIMIZATION and (metric or minimize is not None):
        logger.warning(
            "--metric/--maximize/--minimize apply to grid_search reports only; "
            "hp_optimization uses metric_to_optimize and minimize from its settings."
        )
    logger.info("Generate %s report", data.run_type)
    try:
        report_from(data, output, png_dir, metric=metric or None, minimize=minimize)
    except ValueError as error:  # e.g. an unknown --metric
        logger.critical("%s", error)
        return EXIT_FAILED
    logger.info("Saved report to %s", output)
    return EXIT_OK
