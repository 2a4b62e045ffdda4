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


# Local runs of many short jobs: a chunk of jobs per Snakemake job, run one after another
# (see cluster_utils/experiment/chunks.py); each job keeps its own state, logs and outcome.
# A chunk holds the GPUs of one job (gpu=<request_gpus>, counted against --resources gpu=N).
rule run_job_chunk:
    output:
        GRID.chunk_marker_pattern(),
    wildcard_constraints:
        chunk=r"\d+-\d+-[0-9a-f]{8}",
    threads: GRID.threads()
    resources:
        **GRID.chunk_resources(),
    shell:
        "{PYTHON} -m cluster_utils.runner {EXPERIMENT} --chunk {wildcards.chunk}"
