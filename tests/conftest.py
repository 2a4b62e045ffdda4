"""Shared fixtures: run the real CLI in a subprocess on small grids in temporary directories."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Experiment:
    """A grid config + job script in a temporary directory, and helpers to run and inspect it."""

    workdir: Path
    name: str = "exp"

    @property
    def config_file(self) -> Path:
        return self.workdir / "grid.yaml"

    @property
    def results(self) -> Path:
        return self.workdir / "results" / self.name

    def write_script(self, body: str, name: str = "job.py") -> Path:
        path = self.workdir / name
        path.write_text(textwrap.dedent(body))
        return path

    def write_config(self, hyperparam_list: list[dict[str, Any]], **settings: Any) -> Path:
        config = {
            "optimization_procedure_name": self.name,
            "results_dir": "results",
            "script_relative_path": "job.py",
            "run_in_working_dir": True,
            "environment_setup": {},
            "hyperparam_list": hyperparam_list,
            **settings,
        }
        self.config_file.write_text(yaml.safe_dump(config, sort_keys=False))
        return self.config_file

    def command(self, *extra: str, entry: str = "cli") -> list[str]:
        if entry == "cli":
            return [
                sys.executable,
                "-m",
                "cluster_utils.cli.main",
                "grid-search",
                str(self.config_file),
                "--profile",
                "local",
                *extra,
            ]
        return [sys.executable, "-m", "cluster_utils.grid_search", str(self.config_file), *extra]

    def run(self, *extra: str, timeout: float = 180, **kwargs: Any) -> subprocess.CompletedProcess:
        return subprocess.run(
            self.command(*extra),
            cwd=self.workdir,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            **kwargs,
        )

    def start(self, *extra: str) -> subprocess.Popen:
        return subprocess.Popen(
            self.command(*extra),
            cwd=self.workdir,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
        )

    def all_data(self):
        import pandas as pd

        return pd.read_csv(self.results / "all_data.csv")

    def state(self, job_id: int) -> dict[str, Any]:
        return json.loads((self.results / "jobs" / str(job_id) / "state.json").read_text())

    def run_counts(self) -> dict[str, int]:
        """Per job, how often its script really ran (the scripts append to runs/<key>)."""
        runs = self.workdir / "runs"
        if not runs.is_dir():
            return {}
        return {p.name: len(p.read_text().splitlines()) for p in runs.iterdir()}


@pytest.fixture
def experiment(tmp_path: Path) -> Experiment:
    os.environ.setdefault("CLUSTER_UTILS_LOG_LEVEL", "warning")
    return Experiment(tmp_path)


#: A job script that counts its runs in runs/<x>, then behaves as params.mode says.
COUNTING_SCRIPT = """
import os, signal, sys, time
from cluster_utils import initialize_job, finalize_job, exit_for_resume

params = initialize_job()
runs = os.path.join(os.path.dirname(os.path.abspath(__file__)), "runs")
os.makedirs(runs, exist_ok=True)
with open(os.path.join(runs, str(params.x)), "a") as f:
    f.write("run\\n")
time.sleep(params.get("sleep", 0))
mode = params.get("mode", "ok")
if mode == "fail" and params.x in params.get("failing", []):
    print("something went wrong in the job", file=sys.stderr)
    sys.exit(1)
finalize_job({"y": params.x * 2}, params)
"""
