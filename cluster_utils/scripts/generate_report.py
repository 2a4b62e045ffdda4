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

from cluster_utils.report.command import add_metric_options, write_report

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
    add_metric_options(parser)
    parser.add_argument(
        "--png-dir",
        type=Path,
        metavar="DIR",
        help="Also write the figures as PNG files into DIR (as for Snakemake's HTML report).",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        format="[%(asctime)s] [%(name)s | %(levelname)s] %(message)s",
        level=logging.DEBUG if args.verbose else logging.INFO,
    )
    return write_report(
        args.results_dir,
        args.output,
        logging.getLogger(LOGGER_NAME),
        force=args.force,
        metric=args.metric,
        minimize=args.minimize,
        png_dir=args.png_dir,
    )


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
