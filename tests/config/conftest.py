"""Make the package importable when the tests run from a plain checkout (no install)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

if importlib.util.find_spec("cluster_utils") is None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
