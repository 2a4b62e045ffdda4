# cluster_utils grid search as a Snakemake workflow.
#
#   snakemake --profile profiles/local            # the experiment in config/config.yaml
#   snakemake --profile profiles/slurm --configfile my_grid.yaml --replace-workflow-config
#
# `cluster-utils grid-search CONFIG` runs this same workflow for you. The logic lives in the
# cluster_utils package; the rules below only wire files together.

include: "workflow/rules/common.smk"
include: "workflow/rules/jobs.smk"
include: "workflow/rules/results.smk"


rule all:
    default_target: True
    input:
        GRID.targets(),
