from pathlib import Path

from cluster_utils.execution.snakemake import EXPERIMENT_CONFIG_KEY
from cluster_utils.grid.snakemake_glue import load_grid_workflow

if EXPERIMENT_CONFIG_KEY not in config and not config:

    configfile: "config/config.yaml"


GRID = load_grid_workflow(config, start_dir=Path.cwd())
EXPERIMENT = GRID.shell_experiment_dir
PYTHON = GRID.shell_python


# Run by plain `snakemake`: start, summarise and report here. (The cluster-utils commands plan,
# summarise and report themselves, for grids and hp_optimization batches alike.)
if not GRID.from_cli:

    onstart:
        from cluster_utils.experiment.setup import start_run

        start_run(GRID.layout)

    onsuccess:
        from cluster_utils.grid.run_summary import finish_grid_run

        finish_grid_run(GRID.layout, GRID.job_ids, GRID.settings)

    onerror:
        from cluster_utils.grid.run_summary import finish_grid_run

        finish_grid_run(GRID.layout, GRID.job_ids, GRID.settings)
