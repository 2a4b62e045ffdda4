"""How every job of an experiment is started: built once by the driver, read by the runner.

The spec is plain JSON (``.cluster_utils/launch.json``) so the runner needs no config logic and no
heavy imports. Parameters are never part of it: each job gets its parameter file path appended.
"""

from __future__ import annotations

import os
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

#: default of the top-level setting max_resumes (workflow/schemas/common.schema.yaml)
DEFAULT_MAX_RESUMES = 100


@dataclass
class LaunchSpec:
    #: argv before the parameter file: interpreter + script, or interpreter + -m + module, or script
    command: list[str]
    #: directory the job runs in (the user's checkout, or the pinned git clone)
    cwd: str
    #: environment variables set for the job (environment_setup.variables)
    variables: dict[str, str] = field(default_factory=dict)
    pre_job_script: str | None = None
    virtual_env_path: str | None = None
    conda_env_path: str | None = None
    #: container wrapper argv (``singularity exec [args] image``) or empty
    container: list[str] = field(default_factory=list)
    #: cluster_requirements.signal_seconds_to_timeout: the runner sends the job script SIGUSR1
    #: this many seconds before the job's time limit (Slurm's, or request_time on local runs)
    timeout_signal_seconds: int | None = None
    #: cluster_requirements.request_time as configured (Slurm's formats); the runner enforces it
    #: itself where no scheduler does (local runs)
    request_time: str | int | None = None
    #: max_resumes: a job that asks to be resumed more often than this in a row fails
    max_resumes: int = DEFAULT_MAX_RESUMES

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LaunchSpec:
        return cls(**data)


def _absolute(path: str, base: Path) -> str:
    expanded = os.path.expanduser(os.path.expandvars(path))
    return str((base / expanded).resolve()) if not os.path.isabs(expanded) else expanded


def build_launch_spec(settings: dict[str, Any], code_dir: Path) -> LaunchSpec:
    """Turn ``script_relative_path``, ``environment_setup`` and ``singularity`` into a LaunchSpec.

    ``code_dir`` is where the script lives: the directory the command was started from when
    ``run_in_working_dir`` is true, the pinned git clone otherwise.
    """
    env_setup = settings.get("environment_setup") or {}
    script = settings["script_relative_path"]
    venv = env_setup.get("virtual_env_path")
    conda = env_setup.get("conda_env_path")
    container = settings.get("singularity")

    if container:
        interpreter = "python3"  # the container's own interpreter
    elif venv:
        interpreter = str(Path(_absolute(venv, code_dir)) / "bin" / "python")
    elif conda:
        interpreter = "python"  # resolved by `conda run` inside the environment
    else:
        # an absolute path: no PATH lookup, no pyenv shim
        interpreter = sys.executable

    if not env_setup.get("is_python_script", True):
        command = [_absolute(script, code_dir)]
    elif env_setup.get("run_as_module", False):
        module = script.removesuffix(".py").replace("/", ".").replace(os.sep, ".")
        command = [interpreter, "-m", module]
    else:
        command = [interpreter, _absolute(script, code_dir)]

    container_argv: list[str] = []
    if container:
        container_argv = [
            container.get("executable", "singularity"),
            "run" if container.get("use_run", False) else "exec",
            *[str(a) for a in container.get("args", [])],
            _absolute(container["image"], code_dir),
        ]

    pre_job_script = env_setup.get("pre_job_script")
    requirements = settings.get("cluster_requirements") or {}
    signal_seconds = requirements.get("signal_seconds_to_timeout")
    return LaunchSpec(
        command=command,
        cwd=str(code_dir),
        variables={str(k): str(v) for k, v in (env_setup.get("variables") or {}).items()},
        pre_job_script=_absolute(pre_job_script, code_dir) if pre_job_script else None,
        virtual_env_path=_absolute(venv, code_dir) if venv else None,
        conda_env_path=conda,
        container=container_argv,
        timeout_signal_seconds=int(signal_seconds) if signal_seconds else None,
        request_time=requirements.get("request_time"),
        max_resumes=int(settings.get("max_resumes", DEFAULT_MAX_RESUMES)),
    )
