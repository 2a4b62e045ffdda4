"""The job runner: what a Snakemake job executes to run one job script.

``python -m cluster_utils.runner EXPERIMENT_DIR JOB_ID``.

It stays light (stdlib only) because it starts once per job.

May import experiment, backends (through get_backend) and base; never the command layer,
grid, hpo, execution, results or report.
"""
