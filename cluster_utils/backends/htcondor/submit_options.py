"""3.0's ``extra_submission_options`` on HTCondor: submit commands added exactly as given.

3.0 appended them to its ``.sub`` file after its own lines, so a key set both ways took the user's
value. Here they are parsed into submit commands (``key = value``; the plugin submits a dict) and
merged into the submit description last: a key the description already sets -- under any spelling
HTCondor treats as the same (case, ``+X`` / ``MY.X``, ``request_memory`` / ``RequestMemory``) -- is
replaced by the user's, and a warning names the key (once per key and run) when the value differs.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)

_SUBMIT_LINE = re.compile(r"^\s*([+A-Za-z_][A-Za-z0-9_.+]*)\s*=\s*(.*?)\s*$")
_QUEUE = re.compile(r"(?i)^queue\b")


def extra_submit_lines(extra: Mapping[str, Any] | Iterable[str] | str | None) -> list[str]:
    """3.0's forms: dict -> ``key = value`` lines, list -> its lines, str -> its lines.

    As in 3.0 a list item or the string may hold several lines; a line ending in a backslash
    continues on the next (submit-language continuation). Blank lines are dropped.
    """
    if extra is None:
        return []
    if isinstance(extra, str):
        text = extra
    elif isinstance(extra, Mapping):
        text = "\n".join(f"{key} = {value}" for key, value in extra.items())
    else:
        text = "\n".join(str(line) for line in extra)
    lines: list[str] = []
    pending = ""
    for line in text.splitlines():
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1]
            continue
        lines.append(pending + line)
        pending = ""
    if pending:
        lines.append(pending)
    return [line.rstrip() for line in lines if line.strip()]


def submit_key_identity(key: str) -> str:
    """What a submit key sets, for comparing spellings: case-insensitive, ``+X`` = ``MY.X`` = ``X``
    and underscores ignored (``request_memory`` = ``RequestMemory``, the job attribute it sets)."""
    name = key.strip().lower().removeprefix("+")
    return name.removeprefix("my.").replace("_", "")


def parse_submit_lines(lines: Iterable[str]) -> dict[str, str]:
    """Submit-language lines (``key = value``) as a dict for ``htcondor.Submit``; values are kept
    verbatim (no quoting). Comments and blank lines are skipped; ``queue`` is not allowed. A key
    given twice (in any spelling) keeps its last value, as in a submit file."""
    commands: dict[str, str] = {}
    for line in lines:
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if _QUEUE.match(stripped):
            raise ValueError("extra_submission_options must not contain a 'queue' statement")
        match = _SUBMIT_LINE.match(stripped)
        if not match:
            raise ValueError(f"extra_submission_options: not a 'key = value' line: {line!r}")
        key, value = match.groups()
        _remove_same_key(commands, key)
        commands[key] = value
    return commands


def _remove_same_key(commands: dict[str, Any], key: str) -> list[tuple[str, Any]]:
    """Remove every spelling of ``key`` from ``commands``; return the removed items."""
    identity = submit_key_identity(key)
    same = [name for name in commands if submit_key_identity(name) == identity]
    return [(name, commands.pop(name)) for name in same]


@dataclass(frozen=True)
class Override:
    """An extra submission option that replaced another value of the submit description."""

    key: str
    value: str
    replaced_key: str
    replaced_value: str

    def message(self) -> str:
        return (
            f"cluster_utils: extra_submission_options sets {self.key} = {self.value}; it "
            f"replaces {self.replaced_key} = {self.replaced_value} of the submit description "
            f"(derived from cluster_requirements or the executor's defaults): the extra "
            f"option wins"
        )


def merge_extra_commands(commands: dict[str, Any], extra: Mapping[str, str]) -> list[Override]:
    """Add ``extra`` to ``commands`` in place, after everything else, replacing every spelling of
    a key it sets; return the replacements that changed a value."""
    overrides: list[Override] = []
    for key, value in extra.items():
        for old_key, old_value in _remove_same_key(commands, key):
            if str(old_value).strip() != value:
                overrides.append(Override(key, value, old_key, str(old_value).strip()))
        commands[key] = value
    return overrides


class OverrideWarnings:
    """Warns about :class:`Override` s once per key for as long as it lives (one per driver)."""

    def __init__(self, warn: Callable[[str], object] | None = None) -> None:
        self._warn = warn if warn is not None else logger.warning
        self._warned: set[str] = set()

    def __call__(self, overrides: Iterable[Override]) -> None:
        for override in overrides:
            identity = submit_key_identity(override.key)
            if identity not in self._warned:
                self._warned.add(identity)
                self._warn(override.message())
