"""Shared by the job side and the runner side: constants, settings loading, job-file protocol,
exit codes and where the packaged workflow lives. Imports only the standard library and PyYAML;
every other part may import it."""
