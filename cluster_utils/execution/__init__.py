"""Running Snakemake: profiles, the argv of a run (with its config keys), locks and signals.

May import ``experiment``, ``runner`` (for the driver-watch variable), ``backends`` (executor
checks), ``config`` and ``base``; never grid, hpo, report or the command layer.
"""
