"""The two run types and the figures each report exports as PNG (no plotting imports here)."""

from __future__ import annotations

GRID_SEARCH = "grid_search"
HP_OPTIMIZATION = "hp_optimization"

#: PNG files written next to the PDF (``report_from(..., png_dir=...)``), per run type, in this
#: order; Snakemake's report rule declares them as outputs (captions in workflow/report/).
PNG_FIGURES: dict[str, tuple[str, ...]] = {
    GRID_SEARCH: (
        "overview",
        "summary",
        "best_jobs",
        "metric_correlation",
        "param_importance",
        "param_distributions",
        "pair_heatmaps",
        "failures",
        "job_timeline",
    ),
    HP_OPTIMIZATION: (
        "overview",
        "optimization_progress",
        "recommendations",
        "param_importance",
        "distribution_development",
        "summary",
        "failures",
        "job_timeline",
    ),
}
