"""Deprecated: run ``python -m cluster_utils.grid_search`` instead."""

import warnings

warnings.warn(
    "`python -m cluster.grid_search` is deprecated, use `python -m cluster_utils.grid_search`.",
    FutureWarning,
    stacklevel=2,
)

if __name__ == "__main__":
    from cluster_utils.grid_search import main

    main()
