#!/usr/bin/env python3
"""Generate the PDF report of a cluster_utils run.

As input it expects the experiment directory of the run (``<results_dir>/<name>``, holding
``all_data.csv``, ``metadata.json``, ...).  The report is drawn with matplotlib only (no LaTeX).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from pathlib import Path

LOGGER_NAME = "generate_report"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m cluster_utils.scripts.generate_report",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "results_dir",
        type=Path,
        help="Directory containing the generated files.",
        metavar="RESULTS_DIRECTORY",
    )
    parser.add_argument(
        "output",
        type=Path,
        nargs="?",
        default=None,
        help="Where to save the report (default: 3.0's name in RESULTS_DIRECTORY: "
        "<name>_report.pdf for grid_search, result.pdf for hp_optimization).",
        metavar="OUTPUT_FILE",
    )
    parser.add_argument(
        "--force", action="store_true", help="Overwrite an existing output file without asking."
    )
    parser.add_argument("--verbose", "-v", action="store_true", help="Enable verbose output.")
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
    parser.add_argument(
        "--png-dir",
        type=Path,
        metavar="DIR",
        help="Also write the figures as PNG files into DIR (as for Snakemake's HTML report).",
    )
    return parser


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


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        format="[%(asctime)s] [%(name)s | %(levelname)s] %(message)s",
        level=logging.DEBUG if args.verbose else logging.INFO,
    )
    logger = logging.getLogger(LOGGER_NAME)

    from cluster_utils.report import MissingReportDependencyError

    try:
        from cluster_utils.report._deps import require_report_dependencies

        require_report_dependencies()
        from cluster_utils.report.api import default_output, export_figures_png
        from cluster_utils.report.data import HP_OPTIMIZATION, load_experiment
        from cluster_utils.report.grid_report import produce_grid_report
        from cluster_utils.report.hpo_report import produce_hpo_report
    except MissingReportDependencyError as error:
        logger.critical("%s", error)
        return 1

    try:
        data = load_experiment(args.results_dir)
    except FileNotFoundError as error:
        logger.critical("%s", error)
        return 1
    output: Path = args.output if args.output is not None else default_output(args.results_dir)
    if output.exists() and output.is_dir():
        logger.critical("'%s' is a directory, not a file.", output)
        return 1
    if not _confirm_overwrite(output, args.force, logger):
        return 1

    try:
        if data.run_type == HP_OPTIMIZATION:
            if args.metric or args.minimize is not None:
                logger.warning(
                    "--metric/--maximize/--minimize apply to grid_search reports only; "
                    "hp_optimization uses metric_to_optimize and minimize from its settings."
                )
            logger.info("Generate hp_optimization report")
            produce_hpo_report(args.results_dir, output)
        else:
            logger.info("Generate grid_search report")
            metric = args.metric[0] if args.metric and len(args.metric) == 1 else args.metric
            produce_grid_report(args.results_dir, output, metric=metric, minimize=args.minimize)
        if args.png_dir is not None:
            export_figures_png(args.results_dir, args.png_dir)
    except ValueError as error:  # e.g. an unknown --metric
        logger.critical("%s", error)
        return 1
    logger.info("Saved report to %s", output)
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
