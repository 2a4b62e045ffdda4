"""hp_optimization: the driver that asks an optimizer for settings, runs them as jobs and keeps
the results (see :mod:`cluster_utils.hpo.driver` for the loop, :mod:`cluster_utils.hpo.run` for
the command)."""
