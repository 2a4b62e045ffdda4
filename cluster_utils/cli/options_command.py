"""``cluster-utils options [grid-search|optimize] [--backend NAME]``: the config keys as a table.

Every row comes from the schemas that validate configs (:mod:`cluster_utils.config.key_reference`):
key, type, default, the backends that honour it, and its meaning. On a terminal the table fits
the window and is coloured; piped, each key is one plain line (``grep`` finds it).
"""

from __future__ import annotations

import argparse
import io
import sys
from typing import TYPE_CHECKING, NoReturn

from cluster_utils.config.key_reference import BACKENDS, ConfigKey, config_keys

if TYPE_CHECKING:
    from rich.table import Table

    from cluster_utils.config import Kind

#: the commands' names for the kinds of settings
KINDS_BY_COMMAND: dict[str, Kind] = {"grid-search": "grid_search", "optimize": "hp_optimization"}
COMMANDS_BY_KIND: dict[Kind, str] = {kind: command for command, kind in KINDS_BY_COMMAND.items()}
#: piped output is not wrapped: rows as wide as they need
_PIPE_WIDTH = 10_000
#: terminals narrower than this get the meaning under the key (no room for a column)
_STACK_BELOW = 180
#: on a terminal, the columns other than key and meaning wrap at these widths
_WIDE_WIDTHS = {"for": 11, "type": 30, "default": 20, "backends": 24}
_STACKED_WIDTHS = {"for": 11, "type": 18, "default": 12, "backends": 14}


def add_options_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "options",
        help="list every config key with its type, default and meaning",
        description="List the config keys of grid-search and/or optimize, read from the "
        "schemas that validate configs. With --backend, keys that backend ignores are marked.",
    )
    parser.add_argument(
        "kind",
        nargs="?",
        choices=sorted(KINDS_BY_COMMAND),
        help="only the keys of this command (default: both)",
    )
    parser.add_argument(
        "--backend",
        choices=BACKENDS,
        help="mark the keys this backend ignores",
    )
    parser.error = _one_line_error(parser)  # type: ignore[method-assign]
    parser.set_defaults(command_parser=parser)


def _one_line_error(parser: argparse.ArgumentParser):
    def error(message: str) -> NoReturn:
        parser.exit(2, f"{parser.prog}: error: {message}\n")

    return error


def print_options(kind: str | None, backend: str | None) -> int:
    from rich.console import Console

    kinds = [KINDS_BY_COMMAND[kind]] if kind else list(KINDS_BY_COMMAND.values())
    keys = config_keys(kinds)
    if sys.stdout.isatty():
        console = Console()
        console.print(_heading(kind, backend), markup=False, highlight=False)
        stacked = console.width < _STACK_BELOW
        console.print(options_table(keys, backend=backend, kinds=kind is None, stacked=stacked))
        return 0
    print(_heading(kind, backend))
    buffer = io.StringIO()
    Console(file=buffer, width=_PIPE_WIDTH, color_system=None, soft_wrap=False).print(
        options_table(keys, backend=backend, kinds=kind is None, stacked=False, fit=False)
    )
    sys.stdout.write("".join(line.rstrip() + "\n" for line in buffer.getvalue().splitlines()))
    return 0


def _heading(kind: str | None, backend: str | None) -> str:
    which = f"cluster-utils {kind}" if kind else "grid-search and optimize"
    text = f"Config keys of {which}; a value may also be a {{...}} template."
    if backend is not None:
        text += f" Keys marked 'ignored' have no effect on {backend}."
    return text


def options_table(
    keys: list[ConfigKey], *, backend: str | None, kinds: bool, stacked: bool, fit: bool = True
) -> Table:
    """One row per key: key, (for: which commands,) type, default, backends, meaning.

    ``stacked`` (narrow terminals): the meaning goes under the key instead of into a column;
    ``fit``: columns wrap at widths that suit a terminal (else they are as wide as their cells)."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    longest = max((len(key.path) for key in keys), default=0)
    if stacked:
        table.add_column("key / meaning", ratio=1, min_width=min(longest, 40))
    else:
        table.add_column("key", min_width=longest)
    widths = _STACKED_WIDTHS if stacked else _WIDE_WIDTHS if fit else {}
    if kinds:
        table.add_column("for", max_width=widths.get("for"))
    for name in ("type", "default", "backends"):
        table.add_column(name, max_width=widths.get(name))
    if not stacked:
        table.add_column("meaning", min_width=30)
    for key in keys:
        # Text, not markup: descriptions hold brackets ("[min, max]")
        first = Text(key.path, style="bold")
        if stacked:
            first.append("\n" + _meaning_cell(key), style="not bold italic")
        cells = [first]
        if kinds:
            cells.append(Text(_kinds_cell(key)))
        cells += [Text(key.type), Text(_default_cell(key)), Text(_backends_cell(key, backend))]
        if not stacked:
            cells.append(Text(_meaning_cell(key)))
        ignored = backend is not None and key.ignored_by(backend)
        table.add_row(*cells, style="dim" if ignored else None, end_section=stacked)
    table.expand = stacked
    return table


def _kinds_cell(key: ConfigKey) -> str:
    if set(key.kinds) == set(COMMANDS_BY_KIND):
        return "both"
    return ", ".join(COMMANDS_BY_KIND[kind] for kind in key.kinds)


def _default_cell(key: ConfigKey) -> str:
    if not key.default_by_kind:
        return key.default
    return ", ".join(
        f"{value or '-'} ({COMMANDS_BY_KIND[kind]})" for kind, value in key.default_by_kind
    )


def _backends_cell(key: ConfigKey, backend: str | None) -> str:
    honoured = "all" if key.backends is None else ", ".join(key.backends)
    if backend is not None and key.ignored_by(backend):
        return f"ignored ({honoured} only)"
    return honoured


def _meaning_cell(key: ConfigKey) -> str:
    if not key.conditions:
        return key.meaning
    return f"[when {' or '.join(key.conditions)}] {key.meaning}"
