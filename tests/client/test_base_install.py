"""The base install (no extras) is enough for job scripts: a fresh venv, `pip install .`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import REPO_ROOT

pytestmark = pytest.mark.slow

JOB = """
from cluster_utils import cluster_main

@cluster_main
def main(working_dir, id, lr, **kwargs):
    return {"loss": lr * 2}

if __name__ == "__main__":
    main()
"""


def test_job_script_runs_from_a_fresh_non_editable_base_install(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", str(REPO_ROOT)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    installed = subprocess.run(
        [str(python), "-m", "pip", "list", "--format=json"],
        check=True,
        capture_output=True,
        text=True,
    )
    names = {p["name"].lower() for p in json.loads(installed.stdout)}
    assert "cluster-utils" in names or "cluster_utils" in names
    assert not names & {"pandas", "numpy", "snakemake"}

    (tmp_path / "job.py").write_text(JOB)
    settings = {"lr": 0.5, "id": 3, "working_dir": str(tmp_path / "wd")}
    (tmp_path / "settings.json").write_text(json.dumps(settings))
    result = subprocess.run(
        [str(python), "job.py", "settings.json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    for name in ("settings.json", "param_choice.csv", "metrics.csv"):
        assert (tmp_path / "wd" / name).is_file()
    metrics = (tmp_path / "wd" / "metrics.csv").read_text().splitlines()
    assert metrics[0].split(",")[:2] == ["loss", "time_elapsed"]
    assert metrics[1].split(",")[0] == "1.0"
