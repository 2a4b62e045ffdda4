"""Checks of cluster_requirements values that every scheduler backend makes the same way; the
error names the key."""

from __future__ import annotations

from typing import Any


def positive_int(value: Any, key: str, allow_zero: bool = False) -> int:
    """``value`` as an int >= 1 (>= 0 with ``allow_zero``); ValueError naming
    ``cluster_requirements.<key>`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise ValueError(f"cluster_requirements.{key} must be an integer, got {value!r}")
    if int(value) < (0 if allow_zero else 1):
        raise ValueError(f"cluster_requirements.{key} must be >= {int(not allow_zero)}")
    return int(value)
