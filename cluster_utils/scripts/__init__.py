"""Command-line scripts kept from cluster_utils 3.0 (``python -m cluster_utils.scripts.<name>``).

May import report, experiment and base.
"""
