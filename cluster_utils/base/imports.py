"""``__import__`` of other settings files and ``key*`` list appends (smart_settings semantics).

A dict with ``"__import__": "file"`` (or a list of files, at any nesting level) gets the content
of those files merged under it: the importing dict always wins, a later file in the list wins
over an earlier one, nested dicts are merged key by key. ``"key*": [...]`` appends to the list
``key`` of the imported content. Relative paths are looked up next to the importing file first,
then in the current directory (3.0 used only the current directory); a file never imports itself,
so a name that resolves to the importing file is looked up in the current directory instead.

``fixed_params.__import_promise__`` of a grid_search / hp_optimization config is not resolved
when the config is read: :func:`rename_import_promise` turns it into ``fixed_params.__import__``
(as 3.0 did), which every job's parameters then carry and the job resolves when it reads them,
where 3.0 resolved it: in the directory the job runs in (the directory the command was started
from, or the pinned git clone), never next to the job's parameter file, whose neighbours are the
job's own files (``params.json``, ``state.json``, ...).
"""

from __future__ import annotations

import copy
import os
from pathlib import Path

from .settings_error import SettingsError
from .settings_files import read_settings_file

IMPORT_KEY = "__import__"
IMPORT_PROMISE_KEY = "__import_promise__"
APPEND_SUFFIX = "*"

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def resolve_imports(
    settings: dict[str, Any],
    *,
    source: str | os.PathLike[str] | None = None,
    relative_to_source: bool = True,
) -> dict[str, Any]:
    """Resolve every ``__import__`` and ``key*`` of ``settings`` in place and return it.

    ``source`` is the file ``settings`` was read from (``None`` for a dict from elsewhere: relative
    imports are then looked up in the current directory only). With ``relative_to_source=False``
    the imports of ``settings`` itself are looked up in the current directory only, as for a dict
    (a job's parameter file); files imported from there still look next to themselves first.
    """
    chain: tuple[Path, ...] = ()
    if source is not None:
        chain = (Path(source).resolve(),)
    base_dir = chain[-1].parent if chain and relative_to_source else None
    where = str(source) if source is not None else "<parameter dict>"
    _resolve(settings, chain, base_dir, where)
    finalize_appends(settings)
    return settings


def rename_import_promise(settings: dict[str, Any]) -> dict[str, Any]:
    """Rename ``fixed_params.__import_promise__`` to ``fixed_params.__import__`` in place (3.0).

    An ``__import__`` already in ``fixed_params`` (given on the command line, say) is replaced.
    """
    fixed = settings.get("fixed_params")
    if isinstance(fixed, dict) and IMPORT_PROMISE_KEY in fixed:
        fixed[IMPORT_KEY] = fixed.pop(IMPORT_PROMISE_KEY)
    return settings


def finalize_appends(node: dict[str, Any]) -> None:
    """Rename every remaining ``key*`` with a list value to ``key``, at every level."""
    for key in list(node):
        value = node[key]
        if isinstance(value, dict):
            finalize_appends(value)
        if isinstance(key, str) and key.endswith(APPEND_SUFFIX) and isinstance(value, list):
            node[key.removesuffix(APPEND_SUFFIX)] = node.pop(key)


def _resolve(
    node: dict[str, Any], chain: tuple[Path, ...], base_dir: Path | None, where: str
) -> None:
    """``chain``: the files being imported, outermost first; ``base_dir``: where relative names
    are looked up before the current directory (``None``: the current directory only)."""
    for value in list(node.values()):
        if isinstance(value, dict):
            _resolve(value, chain, base_dir, where)
    if IMPORT_KEY not in node:
        return
    names = node.pop(IMPORT_KEY)
    if isinstance(names, str):
        names = [names]
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        raise SettingsError(
            f"{where}: '{IMPORT_KEY}' must be a file name or a list of file names, found {names!r}"
        )
    for name in reversed(names):
        path = _locate(name, base_dir, chain, where)
        real = path.resolve()
        if real in chain:
            cycle = " -> ".join(str(p) for p in (*chain, real))
            raise SettingsError(f"import cycle in settings files: {cycle}")
        imported = read_settings_file(path)
        _resolve(imported, (*chain, real), real.parent, str(path))
        merge_imported(node, imported)


def _locate(name: str, base_dir: Path | None, chain: tuple[Path, ...], where: str) -> Path:
    """The first existing candidate for ``name``; one that is the importing file itself (the
    last of ``chain``) only if nothing else exists (then it is a cycle)."""
    path = Path(name).expanduser()
    if path.is_absolute():
        candidates = [path]
    else:
        candidates = [base_dir / path] if base_dir is not None else []
        candidates.append(Path.cwd() / path)
    existing = [candidate for candidate in candidates if candidate.is_file()]
    importing_file = chain[-1] if chain else None
    for candidate in existing:
        if candidate.resolve() != importing_file:
            return candidate
    if existing:
        return existing[0]
    looked_in = ", ".join(f"'{candidate}'" for candidate in candidates)
    raise SettingsError(f"{where}: imported settings file '{name}' not found (tried {looked_in})")


def merge_imported(target: dict[str, Any], imported: dict[str, Any]) -> dict[str, Any]:
    """Merge ``imported`` under ``target`` in place: ``target`` wins, ``key*`` lists append."""
    for key, value in imported.items():
        raw_key = key.removesuffix(APPEND_SUFFIX) if isinstance(key, str) else key
        append_key = f"{raw_key}{APPEND_SUFFIX}" if isinstance(raw_key, str) else None
        if isinstance(value, dict):
            if key not in target:
                target[key] = copy.deepcopy(value)
            elif isinstance(target[key], dict):
                merge_imported(target[key], value)
        elif isinstance(value, list):
            if append_key in target and isinstance(target[append_key], list):
                target[append_key] = copy.deepcopy(value) + target[append_key]
            elif raw_key not in target and key not in target:
                target[key] = copy.deepcopy(value)
        elif key not in target:
            target[key] = value
    return target
