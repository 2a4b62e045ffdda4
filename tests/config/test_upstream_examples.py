"""Every settings file shipped with cluster_utils 3.0 validates unchanged."""

from __future__ import annotations

import copy
import json
import tomllib
from pathlib import Path
from typing import Any

import pytest

from cluster_utils.config import Kind, schema_file, validate_config

UPSTREAM = Path(__file__).parent / "data" / "upstream"

#: Every 3.0 settings file and the program it is meant for.
EXAMPLES: dict[str, Kind] = {
    "examples/basic/constrained_grid.json": "grid_search",
    "examples/basic/grid_search.json": "grid_search",
    "examples/basic/grid_search_main_w_decorator.json": "grid_search",
    "examples/basic/grid_search_with_tuples.json": "grid_search",
    "examples/basic/optimization_metaopt.json": "hp_optimization",
    "examples/basic/optimization_metaopt.toml": "hp_optimization",
    "examples/basic/optimization_metaopt_module.json": "hp_optimization",
    "examples/basic/optimization_ng.json": "hp_optimization",
    "examples/basic/optimize_locally.json": "hp_optimization",
    "examples/checkpointing/grid_search_checkpointing.json": "grid_search",
    "examples/rosenbrock/optimization.json": "hp_optimization",
    "examples/slurm_timeout_signal/grid_search.toml": "grid_search",
    "tests/grid_search.json": "grid_search",
    "tests/grid_search_main_w_decorator.json": "grid_search",
    "tests/grid_search_resume.json": "grid_search",
    "tests/grid_search_with_venv.toml": "grid_search",
    "tests/hp_opt.json": "hp_optimization",
    "tests/hp_opt_nevergrad.json": "hp_optimization",
    "tests/hp_opt_resume.toml": "hp_optimization",
    "tests/main_no_save_metrics.json": "grid_search",
}
#: Not a settings file: pulled into fixed_params by rosenbrock/optimization.json.
NOT_SETTINGS = {"examples/rosenbrock/params.json"}


def _read(relative: str) -> dict[str, Any]:
    path = UPSTREAM / relative
    text = path.read_text(encoding="utf-8")
    return tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)


def load_upstream(relative: str) -> dict[str, Any]:
    """Read a 3.0 settings file, resolving a top-level ``__import__`` by hand.

    3.0 resolved ``__import__`` relative to the CWD, i.e. the repository root; the copies keep
    the repository layout, so the path is resolved against ``UPSTREAM``. The upstream integration
    script passes ``results_dir`` on the command line for the files under ``tests/``, which do not
    set it; the same override is applied here.
    """
    settings = _read(relative)
    imported = settings.pop("__import__", None)
    if imported is not None:
        base = _read(imported)
        base.update(settings)
        settings = base
    if relative.startswith("tests/"):
        settings.setdefault("results_dir", "results")
    return settings


def assert_extends(result: Any, original: Any, path: str = "") -> None:
    """``result`` holds everything ``original`` holds (dicts may have gained default keys)."""
    if isinstance(original, dict):
        assert isinstance(result, dict), path
        for key, value in original.items():
            assert key in result, f"{path}.{key} lost"
            assert_extends(result[key], value, f"{path}.{key}")
    elif isinstance(original, list):
        assert isinstance(result, list) and len(result) == len(original), path
        for index, (new, old) in enumerate(zip(result, original, strict=True)):
            assert_extends(new, old, f"{path}[{index}]")
    else:
        assert result == original and type(result) is type(original), path


def test_every_upstream_settings_file_is_listed() -> None:
    on_disk = {
        path.relative_to(UPSTREAM).as_posix()
        for path in UPSTREAM.rglob("*")
        if path.suffix in (".json", ".toml")
    }
    assert on_disk == set(EXAMPLES) | NOT_SETTINGS


@pytest.mark.parametrize(("relative", "kind"), sorted(EXAMPLES.items()))
def test_upstream_settings_validate(relative: str, kind: Kind) -> None:
    settings = load_upstream(relative)
    original = copy.deepcopy(settings)

    result = validate_config(settings, kind)

    assert settings == original, "validate_config must not modify its argument"
    assert_extends(result, original)


def test_upstream_settings_are_the_other_kind_invalid() -> None:
    """The kinds are not interchangeable: a grid config is no hp_optimization config."""
    grid = load_upstream("examples/basic/grid_search.json")
    with pytest.raises(ValueError, match="missing required key 'optimization_setting'"):
        validate_config(grid, "hp_optimization")


@pytest.mark.parametrize(
    ("relative", "kind"),
    [
        ("examples/basic/grid_search_with_tuples.json", "grid_search"),
        ("examples/rosenbrock/optimization.json", "hp_optimization"),
    ],
)
def test_schema_works_with_snakemake_validate(relative: str, kind: Kind) -> None:
    snakemake_utils = pytest.importorskip("snakemake.utils")
    settings = load_upstream(relative)
    ours = validate_config(settings, kind)

    snakemake_utils.validate(settings, str(schema_file(kind)))

    # snakemake fills the same defaults (it only lacks our local_run/run_local merge)
    assert settings == ours

    bad = copy.deepcopy(settings)
    bad["restrats"] = 1
    with pytest.raises(Exception, match="restrats"):
        snakemake_utils.validate(bad, str(schema_file(kind)))
