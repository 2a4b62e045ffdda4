"""`cluster-utils install-profiles`: `snakemake --profile NAME` as users type it.

Snakemake finds a profile name only in its per-user (or system) profile directory; these tests
run the real command and the real Snakemake with a fresh HOME / XDG_CONFIG_HOME.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cluster_utils.base.workflow_files import profile_dir
from cluster_utils.cli.install_profiles import PROFILE_NAMES
from tests.helpers import REPO_ROOT

BIN = Path(sys.executable).parent


def _env(home: Path, xdg: Path | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "SNAKEMAKE_"))}
    env["HOME"] = str(home)
    if xdg is not None:
        env["XDG_CONFIG_HOME"] = str(xdg)
    return env


def _install(env: dict[str, str], *args: str, cwd: Path | None = None):
    return subprocess.run(
        [str(BIN / "cluster-utils"), "install-profiles", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _snakemake(env: dict[str, str], cwd: Path, *args: str):
    return subprocess.run(
        [sys.executable, "-m", "snakemake", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _checkout_copy(tmp_path: Path) -> Path:
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    shutil.copy2(REPO_ROOT / "Snakefile", checkout / "Snakefile")
    for name in ("workflow", "profiles", "config", "examples"):
        shutil.copytree(REPO_ROOT / name, checkout / name)
    return checkout


def _assert_same_as_bundled(installed: Path, name: str) -> None:
    bundled = profile_dir(name)
    for source in bundled.rglob("*"):
        if source.is_file() and "__pycache__" not in source.parts:
            copy = installed / source.relative_to(bundled)
            assert copy.read_bytes() == source.read_bytes(), copy


def test_installs_where_snakemake_looks_and_keeps_what_the_user_has(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = _env(home)
    first = _install(env)
    assert first.returncode == 0, first.stderr
    user_dir = home / ".config" / "snakemake"
    for name in PROFILE_NAMES:
        _assert_same_as_bundled(user_dir / name, name)
        assert f"{name}: installed {user_dir / name}" in first.stdout

    # Snakemake itself agrees on the directory
    where = subprocess.run(
        [sys.executable, "-c", "from snakemake.common import get_appdirs as a; "
         "print(a().user_config_dir)"],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert Path(where.stdout.strip()) == user_dir

    # the user's own slurm profile is kept, and the command says so
    mine = user_dir / "slurm" / "config.yaml"
    mine.write_text("executor: slurm\njobs: 7\n")
    again = _install(env)
    assert again.returncode == 0, again.stderr
    assert mine.read_text() == "executor: slurm\njobs: 7\n"
    assert "slurm: kept" in again.stdout and "--force" in again.stdout
    assert "local: up to date" in again.stdout

    forced = _install(env, "--force")
    assert forced.returncode == 0, forced.stderr
    assert "slurm: replaced" in forced.stdout
    _assert_same_as_bundled(user_dir / "slurm", "slurm")
    assert not [p for p in user_dir.iterdir() if p.name.startswith(".")]  # no staging left


def test_respects_xdg_config_home_and_dest(tmp_path: Path) -> None:
    home, xdg = tmp_path / "home", tmp_path / "xdg"
    home.mkdir()
    result = _install(_env(home, xdg))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (xdg / "snakemake").iterdir()) == sorted(PROFILE_NAMES)
    assert not (home / ".config").exists()

    elsewhere = _install(_env(home, xdg), "--dest", "mine", cwd=tmp_path)
    assert elsewhere.returncode == 0, elsewhere.stderr
    _assert_same_as_bundled(tmp_path / "mine" / "htcondor", "htcondor")


def test_dest_that_is_a_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("")
    result = _install(_env(tmp_path), "--dest", str(tmp_path / "afile"))
    assert result.returncode == 2
    assert "afile" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow
def test_snakemake_profile_by_name_works_from_a_checkout(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = _env(home)
    checkout = _checkout_copy(tmp_path)

    before = _snakemake(env, checkout, "--profile", "slurm", "-n")
    assert before.returncode != 0
    assert "no profile.yaml (or config.yaml) found" in before.stderr

    assert _install(env).returncode == 0

    slurm = _snakemake(env, checkout, "--profile", "slurm", "-n")
    assert slurm.returncode == 0, slurm.stderr[-3000:]
    assert "Using profile slurm" in slurm.stdout + slurm.stderr
    assert "run_job" in slurm.stdout

    local = _snakemake(env, checkout, "--profile", "local", "--cores", "2")
    assert local.returncode == 0, local.stderr[-3000:]
    assert (checkout / "results" / "example_grid" / "all_data.csv").is_file()
