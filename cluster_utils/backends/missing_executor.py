"""A stand-in for one of our executor plugins when the plugin it extends is not installed.

Snakemake imports every installed executor plugin at start-up, so a failing import in one would
break every run (local ones too) wherever this project is on sys.path. The stand-in registers
fine and explains what is missing only when that executor is actually selected.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


def missing_plugin_stub(executor_name: str, needs: str, error: Exception) -> tuple[Any, Any, Any]:
    """``(Executor, ExecutorSettings, common_settings)`` that fail with a clear message."""
    from snakemake_interface_common.exceptions import WorkflowError
    from snakemake_interface_executor_plugins.executors.remote import RemoteExecutor
    from snakemake_interface_executor_plugins.settings import CommonSettings, ExecutorSettingsBase

    message = f"the executor {executor_name} needs {needs}: {error}"

    @dataclass
    class ExecutorSettings(ExecutorSettingsBase):
        pass

    class Executor(RemoteExecutor):
        def __post_init__(self) -> None:
            raise WorkflowError(message)

        def run_job(self, job):  # pragma: no cover - never reached
            raise NotImplementedError

        async def check_active_jobs(self, active_jobs):  # pragma: no cover - never reached
            raise NotImplementedError
            yield

        def cancel_jobs(self, active_jobs):  # pragma: no cover - never reached
            pass

    common_settings = CommonSettings(
        non_local_exec=True, implies_no_shared_fs=False, job_deploy_sources=False
    )
    return Executor, ExecutorSettings, common_settings
