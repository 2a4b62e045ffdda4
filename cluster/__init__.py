"""Deprecated alias of :mod:`cluster_utils` (the 3.0 package was renamed)."""

import warnings

from cluster_utils import *  # noqa: F403
from cluster_utils import __all__  # noqa: F401

warnings.warn(
    "The 'cluster' package has been renamed to 'cluster_utils'.  Please update your"
    " code accordingly.  Importing 'cluster' is deprecated and will be removed in the"
    " next major release!",
    FutureWarning,
    stacklevel=2,
)
