"""Snakemake executor ``cluster-utils-pbs``: OpenPBS / PBS Professional for cluster_utils.

Snakemake finds executor plugins by module name (``snakemake_executor_plugin_<name>``), so this
top-level package is the executor ``cluster-utils-pbs`` (``--executor cluster-utils-pbs``,
settings ``--cluster-utils-pbs-<setting>``). No upstream PBS executor plugin exists; this one
builds on snakemake-interface-executor-plugins' RemoteExecutor, laid out like the Slurm one:

- **jobs**: a job whose shell command is exactly ``/abs/python -m cluster_utils.runner EXP JOB_ID``
  (the workflow's rule ``run_job``) runs that command directly in its PBS job; every other job
  (any Snakemake rule, group jobs) runs Snakemake's own job command (a nested ``snakemake``).
- **arrays** (``_arrays``, ``_submission``): jobs that become ready together (within
  ``batch-seconds``) and need the same qsub options go out as ``qsub -J 0-(n-1)`` calls (a single
  job as a plain ``qsub``: PBS arrays need two indices), split evenly to fit the server's
  ``max_array_size`` (``_limits``) and held back to stay within ``submit-cap``. Subjob ``i`` runs
  the ``i``-th job (a ``case`` on ``PBS_ARRAY_INDEX``); the executor appends ``array id -> job
  ids`` to ``<experiment>/.cluster_utils/pbs_arrays.jsonl``.
- **status** (``_status``): one ``qstat -x -f -t`` per status cycle for every job of the
  run (job history must be on); a failure is reported with the runner's reason and stderr tail,
  or PBS's (exit status -29 -> "exceeded request_time"), which is then recorded as the job's.
  A server that does not answer is waited for: its jobs stay active.
- **exit_for_resume**: a runner job that ends with exit status 3 and is recorded as pending is
  submitted again (a new PBS job, fresh walltime); ``max_resumes`` is the runner's.
- **reruns adopt** (``_adopt``) the jobs an earlier run of the experiment left in PBS (kill -9 of
  the driver): they are followed, not submitted again.
- **Ctrl-C** deletes the run's queued and running jobs (``qdel``).
- **extra_submission_options** replace the options the submission sets itself (``_user_options``).
"""

from __future__ import annotations

from ._executor import Executor, ExecutorSettings, common_settings

__all__ = ["Executor", "ExecutorSettings", "common_settings"]
