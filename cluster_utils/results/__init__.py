"""What a run produced, as the user sees it: all_data.csv, jobs.csv and failures.csv of a grid,
the one failure-row builder and failure summary, and the one live progress display.

May import experiment and base; never grid, hpo, execution or the command layer."""
