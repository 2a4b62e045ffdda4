"""Optional dependencies of the report layer, imported lazily with a clear error."""

from __future__ import annotations

import sys

EXTRA_HINT = "pip install 'cluster_utils[report]'"


class MissingReportDependencyError(ImportError):
    """Raised when a package needed for reports (matplotlib, pandas, numpy) is missing."""


def require_report_dependencies() -> None:
    """Import matplotlib (Agg backend), pandas and numpy or raise a helpful error.

    Call this before importing any module of :mod:`cluster_utils.report` that plots.
    """
    missing = []
    for module in ("matplotlib", "pandas", "numpy"):
        try:
            __import__(module)
        except ImportError:
            missing.append(module)
    if missing:
        raise MissingReportDependencyError(
            f"Reports need {', '.join(missing)}, which "
            f"{'is' if len(missing) == 1 else 'are'} not installed. Install the report extra: "
            f"{EXTRA_HINT}"
        )
    import matplotlib

    # Never touch a backend somebody already chose for pyplot; we only draw on Figure objects
    # with an Agg canvas, so pyplot (and a display) is never needed.
    if "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")
