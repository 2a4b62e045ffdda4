"""Snakemake executor ``cluster-utils-htcondor``: the HTCondor plugin plus what cluster_utils needs.

Snakemake finds executor plugins by module name (``snakemake_executor_plugin_<name>``), so this
top-level package is the executor ``cluster-utils-htcondor`` (``--executor cluster-utils-htcondor``,
settings ``--cluster-utils-htcondor-<setting>``). It subclasses snakemake-executor-plugin-htcondor's
Executor and adds, per job (the backend ``get_backend("htcondor")``, package
:mod:`cluster_utils.backends.htcondor`, holds the translation and the job side):

- exit_for_resume: the job runs under ``python -m cluster_utils.backends.htcondor.job_wrapper`` (a
  wrapper around the plugin's ``python -m snakemake`` sub-run) with 3.0's ``on_exit_hold`` /
  ``periodic_release`` policy: a resume request becomes exit code 3, HTCondor holds the job and
  releases it, and the same job runs again (same parameters and working directory);
- ``request_cpus`` from the resources (the plugin alone takes the rule's ``threads``),
  ``getenv = True`` (as 3.0) and the verbatim ``extra_submission_options`` (last: they win, and
  a warning names each key whose value they change);
- the bid: with ``condor_submit_bid`` on PATH (MPI-IS) jobs are submitted with
  ``condor_submit_bid <bid>``; otherwise through the schedd bindings (the bid is recorded as
  ``ClusterUtilsBid`` either way);
- unmatched jobs: a job idle for ``--cluster-utils-htcondor-unmatched-timeout`` seconds that no
  machine of the pool could ever match (checked against the slot ads at full capacity) is removed
  and reported as failed, with its requirements, instead of waiting forever (:mod:`._unmatched`,
  with the requirements-clause reader :mod:`._clauses`);
- a killed driver: its jobs stay in the pool, and the same command again adopts the ones still
  in the queue instead of submitting them twice (runner jobs carry ``ClusterUtilsExperiment`` /
  ``ClusterUtilsJobId`` in their job ads; :mod:`._adopt`); a job failed for being held too long
  is removed from the queue.

The plugin's submission code is reused through two of its methods: ``run_job`` (wrapped) and
``_log_resource_requests`` (called with the final submit dict just before submission), so the
supported plugin versions are pinned in pyproject.toml.
"""

from __future__ import annotations

try:
    from ._executor import Executor, ExecutorSettings, common_settings
except ImportError as _exc:  # snakemake-executor-plugin-htcondor / htcondor not installed
    from cluster_utils.backends.missing_executor import missing_plugin_stub

    Executor, ExecutorSettings, common_settings = missing_plugin_stub(
        "cluster-utils-htcondor",
        "snakemake-executor-plugin-htcondor and htcondor<25 "
        "(pip install 'cluster_utils[htcondor]')",
        _exc,
    )


__all__ = ["Executor", "ExecutorSettings", "common_settings"]
