"""What a run produced, as the user sees it: all_data.csv, jobs.csv and failures.csv of a grid,
3.0's layout of all_data.csv / reduced_data.csv (table_format), the one failure-row builder and
failure summary, and the one live progress display.

May import experiment and base; never grid, hpo, execution or the command layer."""
