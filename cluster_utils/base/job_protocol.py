"""The job -> runner file protocol (docs/results_layout.md).

A job writes small JSON files into ``<working_dir>/.cluster_utils/``, each atomically (temp file
in the same directory, then ``os.replace``); the runner reads them. No network, no pickle.
"""

from __future__ import annotations

import enum
import json
import os
import time
from collections.abc import Mapping
from pathlib import Path

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

PROTOCOL_DIR = ".cluster_utils"
EARLY_RESULTS_FILE = "early_results.json"
PROGRESS_FILE = "progress.json"
RESUME_REQUEST_FILE = "resume_request.json"
FINAL_METRICS_FILE = "final_metrics.json"

#: Set to "1" by the runner in the environment of every job it starts.
ENV_RUNNER = "CLUSTER_UTILS_RUNNER"
#: The job's id, set by the runner.
ENV_JOB_ID = "CLUSTER_UTILS_JOB_ID"

PathLike = str | os.PathLike[str]


def runner_environment(job_id: int | str) -> dict[str, str]:
    """The environment variables the runner sets for a job."""
    return {ENV_RUNNER: "1", ENV_JOB_ID: str(job_id)}


def started_by_runner(environ: Mapping[str, str] | None = None) -> bool:
    """Whether this process was started by the cluster_utils runner."""
    return (os.environ if environ is None else environ).get(ENV_RUNNER) == "1"


def runner_job_id(environ: Mapping[str, str] | None = None) -> str | None:
    """The job id the runner set, if any."""
    return (os.environ if environ is None else environ).get(ENV_JOB_ID) or None


def protocol_file(working_dir: PathLike, name: str) -> Path:
    """``<working_dir>/.cluster_utils/<name>``."""
    return Path(working_dir) / PROTOCOL_DIR / name


def atomic_write_text(path: PathLike, text: str) -> None:
    """Write ``text`` to ``path`` atomically (temp file in the same directory + ``os.replace``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    try:
        with open(temp, "x", encoding="utf-8", newline="") as file:
            file.write(text)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def atomic_write_json(path: PathLike, obj: Any) -> None:
    """Write ``obj`` as JSON atomically; numpy/torch scalars become numbers, enums their name."""
    atomic_write_text(path, json.dumps(obj, default=json_default) + "\n")


def json_default(obj: Any) -> Any:
    """``json`` fallback: ``.item()`` scalars, enums by name, anything else as ``str``."""
    item = getattr(obj, "item", None)
    if callable(item):
        try:
            return item()
        except (TypeError, ValueError):
            pass
    if isinstance(obj, enum.Enum):
        return obj.name
    return str(obj)


def _read(working_dir: PathLike, name: str) -> dict[str, Any] | None:
    try:
        with open(protocol_file(working_dir, name), encoding="utf-8") as file:
            content = json.load(file)
    except (OSError, ValueError):
        return None
    return content if isinstance(content, dict) else None


def write_early_results(working_dir: PathLike, metrics: Mapping[str, Any]) -> None:
    """``early_results.json``: ``{"time": <unix>, "metrics": {...}}`` (latest call wins)."""
    record = {"time": time.time(), "metrics": dict(metrics)}
    atomic_write_json(protocol_file(working_dir, EARLY_RESULTS_FILE), record)


def write_progress(working_dir: PathLike, fraction_finished: float) -> None:
    """``progress.json``: ``{"time": <unix>, "fraction_finished": f}``."""
    record = {"time": time.time(), "fraction_finished": fraction_finished}
    atomic_write_json(protocol_file(working_dir, PROGRESS_FILE), record)


def write_resume_request(working_dir: PathLike) -> None:
    """``resume_request.json``: ``{"time": <unix>}`` (the job then exits with code 3)."""
    atomic_write_json(protocol_file(working_dir, RESUME_REQUEST_FILE), {"time": time.time()})


def write_final_metrics(working_dir: PathLike, metrics: Mapping[str, Any]) -> None:
    """``final_metrics.json``: ``{"time": <unix>, "metrics": {...}}``."""
    record = {"time": time.time(), "metrics": dict(metrics)}
    atomic_write_json(protocol_file(working_dir, FINAL_METRICS_FILE), record)


def read_early_results(working_dir: PathLike) -> dict[str, Any] | None:
    """``{"time", "metrics"}`` of the latest early report, or ``None``."""
    return _read(working_dir, EARLY_RESULTS_FILE)


def read_progress(working_dir: PathLike) -> dict[str, Any] | None:
    """``{"time", "fraction_finished"}`` of the latest progress report, or ``None``."""
    return _read(working_dir, PROGRESS_FILE)


def read_resume_request(working_dir: PathLike) -> dict[str, Any] | None:
    """``{"time"}`` if the job asked to be resumed, else ``None``."""
    return _read(working_dir, RESUME_REQUEST_FILE)


def clear_resume_request(working_dir: PathLike) -> bool:
    """Remove the resume request (before restarting the job); whether there was one."""
    try:
        protocol_file(working_dir, RESUME_REQUEST_FILE).unlink()
    except FileNotFoundError:
        return False
    return True


def read_final_metrics(working_dir: PathLike) -> dict[str, Any] | None:
    """``{"time", "metrics"}`` written by ``finalize_job``, or ``None``."""
    return _read(working_dir, FINAL_METRICS_FILE)
