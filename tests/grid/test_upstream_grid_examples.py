"""The 3.0 example grid configs run unchanged (with local overrides) through the 3.0 entry point."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.helpers import REPO_ROOT

pytestmark = pytest.mark.slow

UPSTREAM = REPO_ROOT / "tests" / "config" / "data" / "upstream"


@pytest.fixture
def upstream_checkout(tmp_path: Path) -> Path:
    """3.0's example configs laid out as in its repository, with our example job scripts."""
    root = tmp_path / "checkout"
    shutil.copytree(UPSTREAM / "examples", root / "examples")
    for name in ("main.py", "main_with_decorator.py", "pre_job_script.sh"):
        shutil.copy2(REPO_ROOT / "examples" / "basic" / name, root / "examples" / "basic" / name)
    return root


@pytest.mark.parametrize(
    ("config", "expected_jobs"),
    [
        ("grid_search.json", 50),  # samples: 50 of the 486 settings
        ("grid_search_with_tuples.json", 12),
        ("constrained_grid.json", 27),
        ("grid_search_main_w_decorator.json", 50),  # __import__ of grid_search.json
    ],
)
def test_upstream_grid_config_runs_unchanged(
    upstream_checkout: Path, tmp_path: Path, config: str, expected_jobs: int
) -> None:
    results = tmp_path / "results"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "cluster_utils.grid_search",
            f"examples/basic/{config}",
            f"results_dir={str(results)!r}",
            "run_in_working_dir=True",
            "local_run=True",
            "generate_report='never'",
        ],
        cwd=upstream_checkout,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr
    (experiment,) = [p for p in results.iterdir() if p.is_dir()]
    data = pd.read_csv(experiment / "all_data.csv")
    assert len(data) == expected_jobs
    assert data["_id"].is_unique
    assert {"result", "noiseless_result", "time_elapsed"} <= set(data.columns)
    # dynamic values are evaluated, never left as templates
    assert not data.astype(str).apply(lambda col: col.str.contains("{", regex=False)).any().any()
    if config == "constrained_grid.json":
        assert (data["fn_args.sharp_penalty"] == (data["fn_args.u"] < 0.2)).all()
        assert sorted(set(data["fn_args.w"])) == [1, 2, 3]
    if config == "grid_search_with_tuples.json":
        assert set(zip(data["fn_args.x"], data["fn_args.y"], strict=True)) == {
            (3.0, 0.1),
            (3.5, 1.0),
            (4.0, 1.0),
        }
        assert set(data["fn_args.u"]) == {-0.5, 0}
