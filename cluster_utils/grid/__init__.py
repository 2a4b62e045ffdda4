"""Grid search: expanding a 3.0 grid config into jobs, planning them in an experiment directory,
the Snakefile glue, the command's driver and its end-of-run summary.

May import execution, experiment, results, report, runner (constants), backends, config, base;
never hpo or the command layer."""
