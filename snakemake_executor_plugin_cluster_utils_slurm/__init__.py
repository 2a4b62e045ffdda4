"""Snakemake executor ``cluster-utils-slurm``: the Slurm plugin plus what cluster_utils needs.

Snakemake finds executor plugins by module name (``snakemake_executor_plugin_<name>``), so this
top-level package is the executor ``cluster-utils-slurm`` (``--executor cluster-utils-slurm``,
settings ``--cluster-utils-slurm-<setting>``, which include all of the Slurm plugin's own, e.g.
``--cluster-utils-slurm-requeue``). It subclasses snakemake-executor-plugin-slurm's Executor:

- **runner jobs go straight to the runner**: a job whose shell command is exactly
  ``/abs/python -m cluster_utils.runner EXP JOB_ID`` (the workflow's rule ``run_job``) is
  submitted with an sbatch script that execs that command, instead of the plugin's
  ``snakemake`` jobstep -> ``srun`` -> ``snakemake`` chain (two Snakemake start-ups, ~6 s per
  job). Snakemake sees the job's ``done`` marker on the shared file system afterwards. Every
  other job keeps the plugin's own path.
- **arrays**: runner jobs that become ready together (within ``batch-seconds``) go out as
  ``sbatch --array=0-(n-1)[%max-running-tasks]`` calls with the same sbatch options as the
  plugin would use (job name = the run's UUID, so ``in_slurm_job()`` still recognises them),
  split evenly to fit MaxArraySize (from ``scontrol show config``) and ``array-limit``, and
  held back to stay within ``submit-cap`` (lowered to the accounting database's per-user
  MaxSubmitJobs; a submission that Slurm refuses for a submit limit waits and is retried).
  Task ``i`` of an array runs the ``i``-th job (a ``case`` in the script); the executor
  appends ``array id -> job ids`` to ``<experiment>/.cluster_utils/slurm_arrays.jsonl``.
- **status**: one ``sacct`` call per status cycle for every job of the run, parsing task
  records (``<array>_<task>`` and pending ranges ``<array>_[a-b]``) and mapping each back to
  its Snakemake job; a failure is reported with the runner's reason and stderr tail, or Slurm's
  (``TIMEOUT`` -> "exceeded request_time"), which is then recorded as the job's outcome.
  REQUEUED/PENDING are not failures: ``exit_for_resume`` requeues the task
  (``cluster_utils.backends.slurm.request_resume``) and it simply runs again.
- **reruns adopt** the tasks an earlier run of the experiment left in Slurm (``_adopt``): when
  the driver is killed, Snakemake leaves its jobs running; the same command again registers
  jobs whose earlier task is still queued or running under that task instead of submitting them.
- **extra_submission_options** replace the options the submission sets itself (``_user_options``).
- polling backs off linearly (``init-seconds-before-status-checks`` more per cycle in which
  nothing finished, up to ``max-seconds-between-status-checks``).
"""

from __future__ import annotations

try:
    from ._executor import Executor, ExecutorSettings, common_settings
except ImportError as _exc:  # snakemake-executor-plugin-slurm not installed
    from cluster_utils.backends.missing_executor import missing_plugin_stub

    Executor, ExecutorSettings, common_settings = missing_plugin_stub(
        "cluster-utils-slurm",
        "snakemake-executor-plugin-slurm (pip install 'cluster_utils[slurm]')",
        _exc,
    )


__all__ = ["Executor", "ExecutorSettings", "common_settings"]
