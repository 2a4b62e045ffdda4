"""Shared by the job side and the runner side: constants, settings loading, job-file protocol."""
