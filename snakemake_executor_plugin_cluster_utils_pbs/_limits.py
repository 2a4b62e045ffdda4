"""Server limits that decide how many subjobs one qsub -J call may hold."""

from __future__ import annotations

import json
import subprocess

#: PBS' default max_array_size
DEFAULT_MAX_ARRAY_SIZE = 10000


def parse_max_array_size(server_json: str) -> int:
    """``max_array_size`` of ``qstat -B -f -F json`` (PBS' default when it is not set)."""
    try:
        servers = json.loads(server_json, strict=False).get("Server", {})
    except (ValueError, AttributeError):
        return DEFAULT_MAX_ARRAY_SIZE
    for attributes in servers.values():
        try:
            return max(1, int(attributes.get("max_array_size", DEFAULT_MAX_ARRAY_SIZE)))
        except (TypeError, ValueError, AttributeError):
            return DEFAULT_MAX_ARRAY_SIZE
    return DEFAULT_MAX_ARRAY_SIZE


def max_array_size() -> int:
    """The server's max_array_size: subjobs one array may hold."""
    try:
        proc = subprocess.run(
            ["qstat", "-B", "-f", "-F", "json"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return DEFAULT_MAX_ARRAY_SIZE
    return parse_max_array_size(proc.stdout) if proc.returncode == 0 else DEFAULT_MAX_ARRAY_SIZE
