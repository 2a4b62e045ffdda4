"""Deprecated: run ``python -m cluster_utils.hp_optimization`` instead."""

import warnings

warnings.warn(
    "`python -m cluster.hp_optimization` is deprecated,"
    " use `python -m cluster_utils.hp_optimization`.",
    FutureWarning,
    stacklevel=2,
)

if __name__ == "__main__":
    from cluster_utils.hp_optimization import main

    main()
