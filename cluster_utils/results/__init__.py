"""Collecting job results into the experiment's tables (all_data.csv, jobs.csv, failures.csv)."""
