"""What the tests share: the repository root, the one experiment-config builder, 3.0's example
objective, and :class:`Experiment` (a grid config + job script run through the real CLI).

Import from here as ``from tests.helpers import ...`` (pytest puts the repository root on
``sys.path``: ``pythonpath`` in pyproject.toml). Job scripts may import it too when their
driver runs with ``PYTHONPATH=REPO_ROOT``. Only the standard library and PyYAML at import time.
"""

from __future__ import annotations

import copy
import json
import math
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]

#: what ``experiment_config(hpo=True)`` adds: a small, local cem_metaoptimizer run of one param
HPO_DEFAULTS: dict[str, Any] = {
    "generate_report": "never",
    "optimizer_str": "cem_metaoptimizer",
    "optimizer_settings": {"with_restarts": False, "num_jobs_in_elite": 5},
    "optimization_setting": {
        "metric_to_optimize": "loss",
        "minimize": True,
        "number_of_samples": 12,
        "n_jobs_per_iteration": 3,
        "run_local": True,
    },
    "optimized_params": [{"param": "x", "distribution": "TruncatedNormal", "bounds": [0.0, 1.0]}],
}


def experiment_config(
    name: str = "exp", *, script: str = "job.py", hpo: bool = False, **overrides: Any
) -> dict[str, Any]:
    """A grid_search (pass ``hyperparam_list=``) or, with ``hpo=True``, an hp_optimization config
    (:data:`HPO_DEFAULTS`) running ``script`` in the working directory, results in ``results/``.

    Keyword overrides replace top-level keys; for hpo, ``optimization_setting`` is merged into
    the default one."""
    config: dict[str, Any] = {
        "optimization_procedure_name": name,
        "results_dir": "results",
        "script_relative_path": script,
        "run_in_working_dir": True,
        "environment_setup": {},
    }
    if hpo:
        config.update(copy.deepcopy(HPO_DEFAULTS))
        overrides["optimization_setting"] = {
            **config["optimization_setting"],
            **overrides.get("optimization_setting", {}),
        }
    config.update(overrides)
    return config


def write_config(path: Path, name: str = "exp", **kwargs: Any) -> Path:
    """:func:`experiment_config` written to ``path`` (JSON for ``.json``, else YAML)."""
    config = experiment_config(name, **kwargs)
    if path.suffix == ".json":
        path.write_text(json.dumps(config, indent=2))
    else:
        path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def fn_to_optimize(*, u, v, w, x, y, sharp_penalty, tuple_input=None) -> float:
    """3.0's objective (examples/basic/main.py), deterministic: without the example job's noise
    and random failures."""
    assert isinstance(w, int), "w has to be integer"
    assert isinstance(v, int), "v has to be integer"
    y_log = math.log(abs(y + 1e-7))
    v_log = math.log(abs(v + 1e-7))
    result = (
        (x - 3.14) ** 2
        + (y_log - 2.78) ** 2
        + (u * v_log * w + 1) ** 2
        + (u + v_log + w - 5 + len(tuple_input or ())) ** 2
    )
    if sharp_penalty and x > 3.20:
        result += 1
    return result


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
        return write_config(
            self.config_file, self.name, hyperparam_list=hyperparam_list, **settings
        )

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
