"""An optional extra the run needs is not installed: one line naming the pip extra, exit 2,
nothing written, no job started. Checked in a fresh venv with only the ``runner`` extra (no
matplotlib, no nevergrad, no HTCondor plugin; the Slurm plugin, part of ``runner``, is removed
again to stand for an install without it), running the project's own examples unchanged."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import REPO_ROOT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def runner_only(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ``bin`` of a venv with ``pip install -e '.[runner]'``, the Slurm plugin removed."""
    venv = tmp_path_factory.mktemp("venv") / "runner_only"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    pip = [str(python), "-m", "pip", "--disable-pip-version-check"]
    subprocess.run(
        [*pip, "install", "-q", "-e", f"{REPO_ROOT}[runner]"],
        check=True,
        capture_output=True,
        timeout=900,
    )
    # `runner` brings the Slurm plugin, so that the README's install works on a Slurm login node
    subprocess.run([str(python), "-c", "import snakemake_executor_plugin_slurm"], check=True)
    subprocess.run(
        [*pip, "uninstall", "-q", "-y", "snakemake-executor-plugin-slurm"],
        check=True,
        capture_output=True,
    )
    for module in ("matplotlib", "nevergrad", "htcondor", "snakemake_executor_plugin_slurm"):
        found = subprocess.run([str(python), "-c", f"import {module}"], capture_output=True)
        assert found.returncode != 0, f"{module} is installed in the test venv"
    return venv / "bin"


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A directory with the project's examples, as a user's checkout has them."""
    shutil.copytree(REPO_ROOT / "examples", tmp_path / "examples")
    return tmp_path


def _run(
    bin_dir: Path, workdir: Path, *args: str, path: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{path}:{bin_dir}" if path else f"{bin_dir}:/usr/bin:/bin"}
    env.pop("PYTHONPATH", None)
    return subprocess.run(
        [str(bin_dir / "cluster-utils"), *args],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=300,
    )


def _one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "usage:" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    return errors[0]


def test_nevergrad_optimizer_without_nevergrad(runner_only: Path, workdir: Path) -> None:
    config = "examples/basic/optimization_ng.json"
    result = _run(runner_only, workdir, "optimize", config, "--profile", "local")
    line = _one_error_line(result)
    assert "optimizer_str nevergrad needs the nevergrad package" in line
    assert "pip install 'cluster_utils[nevergrad]'" in line
    assert not (workdir / "results").exists()


def test_generate_report_without_matplotlib(runner_only: Path, workdir: Path) -> None:
    """The user asked for a report: refused before any job starts rather than after the run."""
    result = _run(
        runner_only, workdir, "grid-search", "examples/basic/grid_search.yaml", "--profile", "local"
    )
    line = _one_error_line(result)
    assert "generate_report: when_finished needs matplotlib" in line
    assert "pip install 'cluster_utils[report]'" in line
    assert "generate_report: never" in line
    assert not (workdir / "results").exists()


def test_report_command_without_matplotlib(runner_only: Path, workdir: Path) -> None:
    result = _run(runner_only, workdir, "report", str(workdir))
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "needs matplotlib" in lines[0]
    assert "pip install 'cluster_utils[report]'" in lines[0]


def _fake_command(workdir: Path, name: str) -> str:
    """A directory holding a ``name`` that fails if ever called (nothing may be submitted)."""
    bin_dir = workdir / "fake_bin"
    bin_dir.mkdir(exist_ok=True)
    script = bin_dir / name
    script.write_text(f"#!/bin/sh\necho 'fake {name} called' >&2\nexit 1\n")
    script.chmod(0o755)
    return str(bin_dir)


@pytest.mark.parametrize(
    ("command", "extra", "plugin"),
    [
        ("sbatch", "slurm", "snakemake-executor-plugin-slurm"),
        ("condor_submit", "htcondor", "snakemake-executor-plugin-htcondor"),
    ],
)
@pytest.mark.parametrize("entry", ["grid-search", "optimize"])
def test_detected_cluster_without_its_executor_plugin(
    runner_only: Path, workdir: Path, command: str, extra: str, plugin: str, entry: str
) -> None:
    """3.0's cluster detection chose the cluster: stop before anything is written, instead of
    Snakemake's usage text, a report of 0 jobs, or jobs blamed for not starting."""
    config = {
        "grid-search": "examples/basic/grid_search.yaml",
        "optimize": "examples/basic/optimization_metaopt.yaml",
    }[entry]
    # nothing else on PATH: this machine may have a real Slurm or HTCondor installed
    path = f"{_fake_command(workdir, command)}:{runner_only}"
    result = _run(runner_only, workdir, entry, config, "generate_report='never'", path=path)
    line = _one_error_line(result)
    assert f"{extra} detected ({command} on PATH)" in line
    assert plugin in line
    assert f"pip install 'cluster_utils[{extra}]'" in line
    assert "--force-local" in line
    assert "unrecognized arguments" not in result.stderr
    assert f"fake {command} called" not in result.stderr
    assert not (workdir / "results").exists()
