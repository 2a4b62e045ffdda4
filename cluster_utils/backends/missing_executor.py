"""Executor plugins that are not installed: found before a run starts, and a stand-in for ours.

Before a run, :func:`require_executor` names what is missing in one line (which pip extra to
install), so that Snakemake never gets to print its usage text for the profile's unknown
``--cluster-utils-slurm-...`` options. It only looks for the modules (no import of Snakemake).

Snakemake imports every installed executor plugin at start-up, so a failing import in one of
ours would break every run (local ones too) wherever this project is on sys.path. The stand-in
(:func:`missing_plugin_stub`) registers fine and explains what is missing only when that
executor is actually selected (plain ``snakemake --executor cluster-utils-slurm``).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from typing import Any

#: executors that come with Snakemake itself
BUILTIN_EXECUTORS = frozenset({"local", "dryrun", "touch"})


@dataclass(frozen=True)
class ExecutorNeeds:
    #: top-level modules the executor imports
    modules: tuple[str, ...]
    #: what to install, as the user types it
    install: str


#: our executors: the plugin each one extends (and its bindings), installed by one extra
OUR_EXECUTORS: dict[str, ExecutorNeeds] = {
    "cluster-utils-slurm": ExecutorNeeds(
        ("snakemake_executor_plugin_slurm",), "pip install 'cluster_utils[slurm]'"
    ),
    "cluster-utils-htcondor": ExecutorNeeds(
        ("snakemake_executor_plugin_htcondor", "htcondor"),
        "pip install 'cluster_utils[htcondor]'",
    ),
    # built on Snakemake's executor interface only (no upstream PBS plugin)
    "cluster-utils-pbs": ExecutorNeeds(
        ("snakemake_interface_executor_plugins",), "pip install 'cluster_utils[runner]'"
    ),
}


class MissingExecutorPluginError(ImportError):
    """The executor a run would use is not installed (a missing pip extra)."""


def executor_needs(executor: str) -> ExecutorNeeds:
    """The modules an executor needs and how to install them."""
    if executor in OUR_EXECUTORS:
        return OUR_EXECUTORS[executor]
    plugin = f"snakemake-executor-plugin-{executor}"
    return ExecutorNeeds((plugin.replace("-", "_"),), f"pip install {plugin}")


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a broken parent package, a module without a spec
        return False


def missing_modules(executor: str) -> list[str]:
    """The modules of ``executor`` that cannot be found (none for Snakemake's own)."""
    if executor in BUILTIN_EXECUTORS:
        return []
    return [module for module in executor_needs(executor).modules if not _installed(module)]


def require_executor(executor: str, why: str, alternative: str | None = None) -> None:
    """Raise :class:`MissingExecutorPluginError` if ``executor`` cannot run here.

    ``why`` says how the executor was chosen, e.g. ``"slurm detected (sbatch on PATH)"``;
    ``alternative`` what else the user can do."""
    missing = missing_modules(executor)
    if not missing:
        return
    needs = executor_needs(executor)
    packages = ", ".join(module.replace("_", "-") for module in missing)
    raise MissingExecutorPluginError(
        f"{why}, but its Snakemake executor {executor} needs {packages}, which "
        f"{'is' if len(missing) == 1 else 'are'} not installed: {needs.install}"
        + (f" ({alternative})" if alternative else "")
    )


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
