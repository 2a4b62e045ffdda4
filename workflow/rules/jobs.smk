# One Snakemake job per grid setting (and restart), keyed by its stable job id.
# The runner starts the job script with its parameter file, re-runs it after exit_for_resume()
# and records the outcome; the `done` marker is written only for a successful job.


rule run_job:
    output:
        GRID.done_marker_pattern(),
    wildcard_constraints:
        job_id=r"\d+",
    threads: GRID.threads()
    resources:
        **GRID.resources(),
    shell:
        "{PYTHON} -m cluster_utils.runner {EXPERIMENT} {wildcards.job_id}"
