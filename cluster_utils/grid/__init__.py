"""Grid search: expanding a 3.0 grid config into jobs and planning them in an experiment dir."""
