"""Helpers: run ``python -m cluster_utils.hp_optimization`` on small configs in temporary
directories and read what it left."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"
UPSTREAM_BASIC = (
    Path(__file__).resolve().parent.parent / "config" / "data" / "upstream" / "examples" / "basic"
)
#: 3.0's fn_to_optimize, fast, no random failures
FN_JOB = DATA / "fn_job.py"


@dataclass
class HpoRun:
    """An optimization in a temporary working directory: config, command, result files."""

    workdir: Path
    config_file: Path
    name: str

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
        )

    def start(self, *overrides: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            self.command(*overrides),
            cwd=self.workdir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
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


def make_config(
    workdir: Path,
    *,
    name: str = "hpo",
    script: str = "job.py",
    optimized_params: list[dict[str, Any]] | None = None,
    optimization_setting: dict[str, Any] | None = None,
    **settings: Any,
) -> Path:
    config = {
        "optimization_procedure_name": name,
        "results_dir": "results",
        "script_relative_path": script,
        "run_in_working_dir": True,
        "environment_setup": {},
        "generate_report": "never",
        "optimizer_str": "cem_metaoptimizer",
        "optimizer_settings": {"with_restarts": False, "num_jobs_in_elite": 5},
        "optimization_setting": {
            "metric_to_optimize": "loss",
            "minimize": True,
            "number_of_samples": 12,
            "n_jobs_per_iteration": 3,
            "run_local": True,
            **(optimization_setting or {}),
        },
        "optimized_params": optimized_params
        or [{"param": "x", "distribution": "TruncatedNormal", "bounds": [0.0, 1.0]}],
        **settings,
    }
    path = workdir / f"{name}.json"
    path.write_text(json.dumps(config, indent=2))
    return path
