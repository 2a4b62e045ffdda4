"""The command layer: argument parsing, error-to-exit-code mapping, status and progress output.

May import every other part of the package; nothing imports it back (except the 3.0 entry
points ``cluster_utils.grid_search`` / ``cluster_utils.hp_optimization``).
"""

from cluster_utils.cli.main import main

__all__ = ["main"]
