"""Helpers: run ``python -m cluster_utils.hp_optimization`` on small configs in temporary
directories and read what it left."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.helpers import REPO_ROOT, write_config

DATA = Path(__file__).resolve().parent / "data"
UPSTREAM_BASIC = REPO_ROOT / "tests" / "config" / "data" / "upstream" / "examples" / "basic"
#: 3.0's fn_to_optimize (tests.helpers), fast, no random failures
FN_JOB = DATA / "fn_job.py"


def driver_env() -> dict[str, str]:
    """The driver's (and so its jobs') environment: FN_JOB imports tests.helpers."""
    path = os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path}


@dataclass
class HpoRun:
    """An optimization in a temporary working directory: config, command, result files."""

    workdir: Path
    config_file: Path
    name: str

    @classmethod
    def with_config(cls, workdir: Path, **settings: Any) -> HpoRun:
        """An optimization "hpo" with the config ``experiment_config(hpo=True, **settings)``."""
        return cls(workdir, write_config(workdir / "hpo.json", "hpo", hpo=True, **settings), "hpo")

    @property
    def results(self) -> Path:
        return self.workdir / "results" / self.name

    def command(self, *overrides: str) -> list[str]:
        return [
            sys.executable,
            "-m",
            "cluster_utils.hp_optimization",
            str(self.config_file),
            'results_dir="results"',
            *overrides,
        ]

    def run(self, *overrides: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.command(*overrides),
            cwd=self.workdir,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            env=driver_env(),
        )

    def start(self, *overrides: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            self.command(*overrides),
            cwd=self.workdir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            env=driver_env(),
        )

    def states(self) -> dict[int, dict[str, Any]]:
        states = {}
        for path in (self.results / "jobs").glob("*/state.json"):
            try:
                states[int(path.parent.name)] = json.loads(path.read_text())
            except (OSError, ValueError):
                continue
        return states

    def ids_with_status(self, status: str) -> set[int]:
        return {job_id for job_id, s in self.states().items() if s["status"] == status}

    def driver_state(self) -> dict[str, Any]:
        return json.loads((self.results / ".cluster_utils" / "hpo_driver_state.json").read_text())

    def run_counts(self) -> dict[int, list[str]]:
        """Per job id, the lines its script wrote to runs/<id> ("start", "finished")."""
        runs = self.workdir / "runs"
        return {int(p.name): p.read_text().split() for p in runs.iterdir()} if runs.is_dir() else {}

    def all_data(self):
        import pandas as pd

        return pd.read_csv(self.results / "all_data.csv")


def wait_for(condition: Callable[[], bool], timeout: float = 60, interval: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not reached")
        time.sleep(interval)
