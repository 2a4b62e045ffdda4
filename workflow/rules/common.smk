import sys
from pathlib import Path

from cluster_utils.execution.snakemake import EXPERIMENT_CONFIG_KEY
from cluster_utils.grid.snakemake_glue import is_dry_run, load_grid_workflow

if EXPERIMENT_CONFIG_KEY not in config and not config:

    configfile: str(Path("config/config.yaml").resolve())


GRID = load_grid_workflow(
    config, start_dir=Path.cwd(), main_process=workflow.is_main_process
)
EXPERIMENT = GRID.shell_experiment_dir
PYTHON = GRID.shell_python

# Snakemake runs in the experiment directory and keeps its records (.snakemake/) there, as for
# the cluster-utils commands: plain `snakemake` and `cluster-utils grid-search` see the same
# jobs (`snakemake --report` knows every file either made). Relative paths given to snakemake
# after this point (`--report report.html`) are relative to it. `snakemake -n` writes nothing.
if not GRID.from_cli and not is_dry_run(sys.argv):

    workdir: GRID.experiment_dir


# Run by plain `snakemake`: start, summarise and report here. (The cluster-utils commands plan,
# summarise and report themselves, for grids and hp_optimization batches alike.)
if not GRID.from_cli:

    onstart:
        from cluster_utils.experiment.setup import start_run

        start_run(GRID.layout)


# The end of any run: the summary of a plain `snakemake` run, and no waiting for Snakemake's
# scheduler timers before the process exits.
onsuccess:
    GRID.end_of_run()


onerror:
    GRID.end_of_run()
