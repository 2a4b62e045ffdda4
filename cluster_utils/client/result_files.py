"""The files a job writes into its working directory: settings.json, param and metric CSVs."""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Mapping

from cluster_utils.base.job_protocol import atomic_write_text, json_default

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def sanitize_scalar(value: Any) -> Any:
    """numpy/torch scalars (anything with ``.item()``) -> Python numbers; else unchanged."""
    if isinstance(value, str | bytes | bool | int | float) or value is None:
        return value
    item = getattr(value, "item", None)
    if callable(item):
        try:
            return item()
        except (TypeError, ValueError, RuntimeError):
            return value
    return value


def write_settings_json(settings: Mapping[str, Any], path: str | os.PathLike[str]) -> None:
    """``settings.json`` as 3.0 wrote it (sorted keys, indent 4), atomically."""
    atomic_write_text(path, json.dumps(settings, sort_keys=True, indent=4, default=json_default))


def write_one_row_csv(row: Mapping[str, Any], path: str | os.PathLike[str]) -> None:
    """Header + one row, byte-identical to 3.0's ``csv.DictWriter`` output, atomically."""
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=list(row))
    writer.writeheader()
    writer.writerow(row)
    atomic_write_text(path, buffer.getvalue())
