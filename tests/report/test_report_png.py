"""PNG export for Snakemake's HTML report, and its captions."""

from __future__ import annotations

from pathlib import Path

import pytest
from report_helpers import export_figures_png

from cluster_utils.report import PNG_FIGURES
from tests.helpers import REPO_ROOT
from tests.report.experiment_builder import make_grid_experiment

CAPTIONS = REPO_ROOT / "workflow" / "report"


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["grid", "hpo"])
def test_export_names_are_fixed(kind: str, grid_dir: Path, hpo_dir: Path, tmp_path: Path) -> None:
    exp = grid_dir if kind == "grid" else hpo_dir
    written = export_figures_png(exp, tmp_path / "png")
    run_type = "grid_search" if kind == "grid" else "hp_optimization"
    assert [p.stem for p in written] == list(PNG_FIGURES[run_type])
    for path in written:
        assert path.read_bytes().startswith(b"\x89PNG")


@pytest.mark.slow
def test_unavailable_figures_still_get_a_png(tmp_path: Path) -> None:
    exp = make_grid_experiment(tmp_path / "one", hyperparams={"lr": [1, 2]}, n_failed=0)
    written = export_figures_png(exp, tmp_path / "png")
    assert {p.name for p in written} >= {"pair_heatmaps.png", "failures.png"}


def test_every_png_has_a_caption() -> None:
    names = {name for names in PNG_FIGURES.values() for name in names}
    for name in names:
        caption = CAPTIONS / f"{name}.rst"
        assert caption.is_file(), caption
        assert caption.read_text().strip()
