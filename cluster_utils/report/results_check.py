"""Whether an experiment has anything to report: a report of no results is never drawn.

Reads only the header and first row of ``all_data.csv`` (csv module, no pandas), so drivers can
ask before they start drawing."""

from __future__ import annotations

import csv
import os
from pathlib import Path

from cluster_utils.experiment.layout import ExperimentLayout


def has_results(experiment_dir: str | os.PathLike[str]) -> bool:
    """Whether ``all_data.csv`` holds the row of at least one job."""
    try:
        with open(ExperimentLayout(Path(experiment_dir)).all_data_csv, newline="") as f:
            reader = csv.reader(f)
            next(reader, None)  # the header
            return any(row for row in reader)
    except (OSError, csv.Error, UnicodeDecodeError):
        return False


def nothing_to_report(experiment_dir: str | os.PathLike[str]) -> str:
    """The one line said instead of drawing a report without results."""
    return f"nothing to report: no job of {experiment_dir} has results yet (all_data.csv is empty)"
