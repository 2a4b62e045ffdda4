"""``cluster-utils options``: every config key of the schemas, with the keys a backend ignores
marked. The expected keys are read from the schema files here, so a new key needs no change."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cluster_utils.cli.main import main
from cluster_utils.config import KINDS, Kind, load_schema
from cluster_utils.config.key_reference import BACKENDS, BACKENDS_ANNOTATION
from cluster_utils.config.schemas import deref, property_schemas

BIN = Path(sys.executable).parent
COMMANDS: dict[str, Kind] = {"grid-search": "grid_search", "optimize": "hp_optimization"}


def _schema_keys(kind: Kind) -> dict[str, list[str] | None]:
    """Every key path of ``kind``'s schema -> its x-backends (None: every backend)."""
    schema = load_schema(kind)
    found: dict[str, list[str] | None] = {}

    def walk(node: Any, resolver: Any, prefix: str) -> None:
        for key, sub, sub_resolver in property_schemas(node, resolver):
            path = f"{prefix}{key}"
            target, target_resolver = deref(sub, sub_resolver)
            backends = next(
                (s[BACKENDS_ANNOTATION] for s in (sub, target) if BACKENDS_ANNOTATION in s), None
            )
            found[path] = found.get(path) or backends
            walk(sub, sub_resolver, f"{path}.")
            if isinstance(target, dict) and target.get("type") == "array" and "items" in target:
                walk(target["items"], target_resolver, f"{path}[].")

    walk(schema.contents, schema.resolver(), "")
    return found


def _rows(output: str) -> dict[str, dict[str, str]]:
    """key -> {column: cell}, from the piped table (one line per key, columns where the header's
    names start)."""
    lines = output.splitlines()
    rule = next(i for i, line in enumerate(lines) if set(line.strip()) == {"─"})
    header = lines[rule - 1]
    names = header.split()
    starts = [header.index(f" {name}") + 1 if i else 0 for i, name in enumerate(names)]
    rows = {}
    for line in lines[rule + 1 :]:
        cells = [line[a:b].strip() for a, b in zip(starts, [*starts[1:], None], strict=True)]
        rows[cells[0]] = dict(zip(names, cells, strict=True))
    return rows


def _options(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, dict[str, str]]:
    assert main(["options", *args]) == 0
    output = capsys.readouterr().out
    assert "\x1b[" not in output  # no colour when not a terminal
    return _rows(output)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_key_of_the_schema_is_listed(capsys, command: str) -> None:
    rows = _options(capsys, command)
    assert set(rows) == set(_schema_keys(COMMANDS[command]))
    assert set(rows) >= {
        "cluster_requirements.request_cpus",
        "git_params.remove_local_copy",
        *(["hyperparam_list[].values"] if command == "grid-search" else []),
        *(["optimization_setting.n_jobs_per_iteration"] if command == "optimize" else []),
    }


def test_without_a_command_both_kinds_are_listed(capsys) -> None:
    rows = _options(capsys)
    expected = {path for kind in KINDS for path in _schema_keys(kind)}
    assert set(rows) == expected
    assert rows["hyperparam_list"]["for"] == "grid-search"
    assert rows["optimized_params"]["for"] == "optimize"
    assert rows["results_dir"]["for"] == "both"
    assert rows["remove_working_dirs"]["default"] == "false (grid-search), true (optimize)"


def test_type_default_and_meaning_come_from_the_schema(capsys) -> None:
    rows = _options(capsys, "optimize")
    assert rows["max_resumes"]["type"] == "integer >= 0"
    assert rows["max_resumes"]["default"] == "100"
    assert rows["max_resumes"]["meaning"].startswith("A job that calls exit_for_resume() more")
    assert rows["optimization_setting.metric_to_optimize"]["default"] == "required"
    assert rows["git_params.url"]["default"] == ""
    assert rows["optimizer_settings.opt_alg"]["meaning"].startswith(
        "[when optimizer_str = nevergrad] "
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_keys_a_backend_ignores_are_marked(capsys, backend: str) -> None:
    schema_keys = {**_schema_keys("grid_search"), **_schema_keys("hp_optimization")}
    rows = _options(capsys, "--backend", backend)
    for path, honoured in schema_keys.items():
        cell = rows[path]["backends"]
        if honoured is None:
            assert cell == "all"
        elif backend in honoured:
            assert cell == ", ".join(honoured)
        else:
            assert cell == f"ignored ({', '.join(honoured)} only)"


def test_a_slurm_only_key(capsys) -> None:
    key = "cluster_requirements.qos"
    assert _options(capsys, "--backend", "local")[key]["backends"] == "ignored (slurm only)"
    assert _options(capsys, "--backend", "slurm")[key]["backends"] == "slurm"
    assert _options(capsys)[key]["backends"] == "slurm"


def test_every_x_backends_name_is_a_backend() -> None:
    for kind in KINDS:
        for path, backends in _schema_keys(kind).items():
            assert backends is None or (backends and set(backends) <= set(BACKENDS)), path


@pytest.mark.parametrize(
    "args",
    [["--backend", "lsf"], ["gridsearch"], ["grid-search", "extra"], ["--backend"], ["--colour"]],
)
def test_a_bad_argument_exits_2_with_one_line(args: list[str]) -> None:
    result = subprocess.run(
        [str(BIN / "cluster-utils"), "options", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith("cluster-utils options: error: ")


def test_a_terminal_gets_a_table_that_fits_it() -> None:
    controller, terminal = pty.openpty()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "100", "LINES": "50"}
    env.pop("NO_COLOR", None)
    process = subprocess.Popen(
        [str(BIN / "cluster-utils"), "options", "grid-search", "--backend", "htcondor"],
        stdout=terminal,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    os.close(terminal)
    chunks = []
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the terminal closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    assert process.wait(timeout=60) == 0
    os.close(controller)
    output = b"".join(chunks).decode()
    assert "\x1b[" in output  # coloured
    plain = [line for line in _strip_escapes(output).splitlines() if line.strip()]
    assert max(len(line.rstrip()) for line in plain) <= 100
    assert any(line.startswith("cluster_requirements.partition") for line in plain)


def _strip_escapes(text: str) -> str:
    import re

    return re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text).replace("\r", "")
