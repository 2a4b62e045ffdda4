"""Optional dependencies of the report layer, imported lazily with a clear error."""

from __future__ import annotations

import importlib.util
import sys
from typing import Any

EXTRA_HINT = "pip install 'cluster_utils[report]'"
MODULES = ("matplotlib", "pandas", "numpy")


class MissingReportDependencyError(ImportError):
    """Raised when a package needed for reports (matplotlib, pandas, numpy) is missing."""


def require_report_dependencies(purpose: str = "the report", alternative: str = "") -> None:
    """Import matplotlib (Agg backend), pandas and numpy or raise a helpful error.

    Call this before importing any module of :mod:`cluster_utils.report` that plots.
    ``purpose`` starts the message: what needs them (``"generate_report: when_finished"``);
    ``alternative`` ends it: what else the user can do.
    """
    missing = []
    for module in MODULES:
        try:
            __import__(module)
        except ImportError:
            missing.append(module)
    _raise_if_missing(missing, purpose, alternative)
    import matplotlib

    # Never touch a backend somebody already chose for pyplot; we only draw on Figure objects
    # with an Agg canvas, so pyplot (and a display) is never needed.
    if "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")


def _raise_if_missing(missing: list[str], purpose: str, alternative: str) -> None:
    if missing:
        raise MissingReportDependencyError(
            f"{purpose} needs {', '.join(missing)}, which "
            f"{'is' if len(missing) == 1 else 'are'} not installed: {EXTRA_HINT}"
            + (f" ({alternative})" if alternative else "")
        )


def require_report_dependencies_for(settings: dict[str, Any]) -> None:
    """Refuse a run whose ``generate_report`` asks for a report this install cannot draw,
    before any job starts. Only looks for the packages (importing them takes a while)."""
    when = settings.get("generate_report") or "never"
    if when != "never":
        missing = [module for module in MODULES if importlib.util.find_spec(module) is None]
        _raise_if_missing(missing, f"generate_report: {when}", "or set generate_report: never")
