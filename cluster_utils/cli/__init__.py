"""The command layer: argument parsing (:mod:`.main`), error-to-exit-code mapping, status.

May import every other part of the package; nothing imports it back (except the 3.0 entry
points ``cluster_utils.grid_search`` / ``cluster_utils.hp_optimization``).
"""
