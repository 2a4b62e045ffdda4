"""Docs cannot drift: every shell command of README.md, config/README.md and docs/*.md is run here
or named below as skipped by design, with the reason.

Commands are the lines of ```bash (sh, shell, console) blocks, and of unlabelled blocks whose
every line starts with a command (``cluster-utils``, ``snakemake``, ``python``, ...). Each document
is one terminal session, read top to bottom: its commands run in order, with ``bash -c``, in a
sandbox (a copy of the checkout's Snakefile, workflow/, profiles/, config/ and examples/, a fresh
HOME, ``.venv`` = the test's environment) and with no cluster: sbatch and condor_submit are not on
PATH, so 3.0's cluster detection picks this machine.

A synopsis becomes a command: ``[optional ...]`` groups are left out and placeholders stand for a
small real example (:data:`PLACEHOLDERS`). A command for Slurm or HTCondor runs as a dry run where
it has one (Snakemake resolves the profile and plans the jobs), else it is skipped.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers import REPO_ROOT

DOCS = [
    REPO_ROOT / "README.md",
    REPO_ROOT / "config" / "README.md",
    *sorted((REPO_ROOT / "docs").glob("*.md")),
]
SHELL_LANGUAGES = {"bash", "sh", "shell", "console"}
COMMAND_WORDS = ("cluster-utils", "snakemake", "python", "python3", "pip", "bash", "sh")
CHECKOUT_PARTS = ("Snakefile", "workflow", "profiles", "config", "examples")

GRID_CONFIG = "examples/basic/grid_search.toml"  # 18 jobs without sleeps, no report
HPO_CONFIG = "examples/basic/optimization_metaopt.yaml"
#: a placeholder of the docs -> what it stands for; RESULTS_DIR: a fresh copy of a finished grid
PLACEHOLDERS = {
    "CONFIG": "a grid config, or an hp_optimization config for optimize / hp_optimization",
    "RESULTS_DIR": "a finished grid search of GRID_CONFIG (a fresh copy at each use)",
    "grid.yaml": "examples/basic/grid_search.yaml",
}
#: (regex on the command, reason): what is not run here, on purpose
SKIPPED_BY_DESIGN = (
    (r"^python3? -m venv\b", "creates a virtual environment; the test runs in one"),
    (r"\bpip3? install\b", "installs software; the test runs in the installed environment"),
    (r"^bash scripts/test\.sh\b", "runs the whole test suite, this test included"),
    (r"scripts/slurm-localhost\.sh\b", "root Slurm daemons; tests/slurm starts and uses them"),
    (r"scripts/htcondor-localhost\.sh\b", "root HTCondor daemons; tests/htcondor uses them"),
    (r"scripts/pbs-localhost\.sh\b", "root PBS daemons; tests/pbs starts and uses them"),
    (r"^(sudo|apt-get|apt|git clone)\b", "needs root, installs software or the network"),
)
CLUSTER_PROFILES = {"slurm", "htcondor", "pbs"}
CLUSTER_SKIP = "submits to a real cluster; tests/slurm, tests/htcondor and tests/pbs run it"
#: what 3.0's cluster detection looks for (cluster_utils.execution.profiles.detect_cluster)
CLUSTER_TOOLS = {"sbatch", "condor_submit", "condor_submit_bid", "qsub"}


@dataclass(frozen=True)
class DocCommand:
    where: str  # "README.md:23"
    written: str  # the command as the docs write it (without its comment)


@dataclass(frozen=True)
class Plan:
    command: DocCommand
    run: str | None = None  # what runs, placeholders still in it
    skip: str | None = None  # why it does not run


# ---------------------------------------------------------------- reading the docs


def _code_blocks(text: str) -> list[tuple[int, str, list[str]]]:
    """(line number of the first line, language, lines) of each fenced block."""
    blocks, current, start, language = [], None, 0, ""
    for number, line in enumerate(text.splitlines(), 1):
        fence = re.match(r"^\s*```(\w*)", line)
        if fence and current is None:
            current, start, language = [], number + 1, fence.group(1).lower()
        elif fence:
            blocks.append((start, language, current))
            current = None
        elif current is not None:
            current.append(line)
    return blocks


def _is_command_line(line: str) -> bool:
    first = line.split()[0]
    return first in COMMAND_WORDS or first.startswith(("scripts/", ".venv/bin/", "./"))


def _scan(text: str):
    """(index, character, quoted) of each character, quotes as the shell sees them."""
    quote = None
    for index, char in enumerate(text):
        if quote is None and char in "'\"":
            quote = char
            yield index, char, True
        elif quote is not None:
            yield index, char, True
            if char == quote:
                quote = None
        else:
            yield index, char, False


def _strip_comment(line: str) -> str:
    for index, char, quoted in _scan(line):
        if char == "#" and not quoted and (index == 0 or line[index - 1].isspace()):
            return line[:index].rstrip()
    return line.rstrip()


def _split_commands(line: str) -> list[str]:
    """Split at unquoted ``&&`` and ``;``."""
    parts, start, skip_next = [], 0, False
    for index, char, quoted in _scan(line):
        if skip_next:
            skip_next = False
        elif not quoted and (char == ";" or line.startswith("&&", index)):
            parts.append(line[start:index])
            skip_next = char == "&"
            start = index + (2 if skip_next else 1)
    parts.append(line[start:])
    return [part.strip() for part in parts if part.strip()]


def _block_lines(language: str, lines: list[str]) -> list[str] | None:
    """The command lines of a block, or None when it is no shell block."""
    joined = "\n".join(lines).replace("\\\n", " ").splitlines()
    if language == "console":
        joined = [line.strip()[2:] for line in joined if line.strip().startswith("$ ")]
    commands = [_strip_comment(line).strip() for line in joined]
    commands = [line for line in commands if line]
    if language in SHELL_LANGUAGES:
        return commands
    if language == "" and commands and all(_is_command_line(line) for line in commands):
        return commands
    return None


def doc_commands(doc: Path) -> list[DocCommand]:
    commands = []
    name = str(doc.relative_to(REPO_ROOT))
    for start, language, lines in _code_blocks(doc.read_text()):
        for offset, line in enumerate(_block_lines(language, lines) or []):
            for part in _split_commands(line):
                commands.append(DocCommand(f"{name}:{start + offset}", part))
    return commands


# ---------------------------------------------------------------- from the docs to a command


def _drop_optional_groups(command: str) -> str:
    kept, depth = [], 0
    for index, char, quoted in _scan(command):
        starts_word = index == 0 or command[index - 1].isspace()
        if depth == 0 and char == "[" and not quoted and starts_word:
            depth = 1
        elif depth:
            depth += {"[": 1, "]": -1}.get(char, 0)
        else:
            kept.append(char)
    return re.sub(r"[ \t]{2,}", " ", "".join(kept)).strip()


def _profile(words: list[str]) -> str | None:
    for index, word in enumerate(words):
        for option in ("--profile", "--workflow-profile"):
            if word == option and index + 1 < len(words):
                return Path(words[index + 1]).name
            if word.startswith(option + "="):
                return Path(word.split("=", 1)[1]).name
    return None


def _dry_run_option(words: list[str]) -> str | None:
    program = Path(words[0]).name
    if program == "snakemake":
        return "-n"
    if program == "cluster-utils" and words[1:2] == ["grid-search"]:
        return "--dry-run"
    if program.startswith("python") and "cluster_utils.grid_search" in words:
        return "--dry-run"
    return None


def plan(command: DocCommand) -> Plan:
    for pattern, reason in SKIPPED_BY_DESIGN:
        if re.search(pattern, command.written):
            return Plan(command, skip=reason)
    run = _drop_optional_groups(command.written)
    unknown = [
        word
        for word in re.findall(r"(?<![\w./-])[A-Z][A-Z0-9_]*(?:\.\w+)?(?![\w/=-])", run)
        if word not in PLACEHOLDERS
    ]
    assert not unknown, f"{command.where}: unknown placeholder {unknown}: add it to PLACEHOLDERS"
    words = shlex.split(run)
    if _profile(words) in CLUSTER_PROFILES:
        option = _dry_run_option(words)
        if option is None:
            return Plan(command, skip=CLUSTER_SKIP)
        if option not in words and "--dry-run" not in words:
            run = f"{run} {option}"
    return Plan(command, run=run)


# ---------------------------------------------------------------- the sandbox


def _path_without_cluster(shadow_root: Path) -> str:
    """PATH with the test's environment first and no cluster submit tools."""
    dirs = [str(Path(sys.executable).parent)]
    for index, entry in enumerate(os.environ.get("PATH", "").split(os.pathsep)):
        directory = Path(entry)
        if not entry or not directory.is_dir():
            continue
        if not any((directory / tool).exists() for tool in CLUSTER_TOOLS):
            dirs.append(entry)
            continue
        shadow = shadow_root / str(index)
        shadow.mkdir(parents=True)
        for item in directory.iterdir():
            if item.name not in CLUSTER_TOOLS:
                (shadow / item.name).symlink_to(item)
        dirs.append(str(shadow))
    return os.pathsep.join(dirs)


@dataclass
class Sandbox:
    root: Path
    env: dict[str, str]
    finished_grid: Path | None = None
    copies: int = 0

    @classmethod
    def create(cls, root: Path, path: str) -> Sandbox:
        root.mkdir(parents=True)
        for name in CHECKOUT_PARTS:
            source = REPO_ROOT / name
            if source.is_dir():
                shutil.copytree(source, root / name, ignore=shutil.ignore_patterns("results"))
            else:
                shutil.copy2(source, root / name)
        (root / ".venv").symlink_to(sys.prefix)
        (root / "home").mkdir()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "SNAKEMAKE_"))}
        env.update(HOME=str(root / "home"), PATH=path)
        return cls(root, env)

    def fresh_results(self) -> str:
        assert self.finished_grid is not None
        self.copies += 1
        copy = self.root / "finished" / str(self.copies) / self.finished_grid.name
        shutil.copytree(self.finished_grid, copy)
        return str(copy.relative_to(self.root))

    def realize(self, run: str) -> str:
        words = shlex.split(run)
        is_hpo = "optimize" in words[1:2] or "cluster_utils.hp_optimization" in words
        config = HPO_CONFIG if is_hpo else GRID_CONFIG
        run = re.sub(r"(?<![\w./-])CONFIG(?![\w./-])", config, run)
        run = re.sub(r"(?<![\w./-])grid\.yaml(?![\w./-])", PLACEHOLDERS["grid.yaml"], run)
        return re.sub(r"(?<![\w./-])RESULTS_DIR(?![\w./-])", lambda _: self.fresh_results(), run)

    def run(self, command: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["bash", "-c", command],
            cwd=self.root,
            env=self.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=900,
        )


@pytest.fixture(scope="module")
def no_cluster_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    return _path_without_cluster(tmp_path_factory.mktemp("shadow_bin"))


@pytest.fixture(scope="module")
def finished_grid(tmp_path_factory: pytest.TempPathFactory, no_cluster_path: str) -> Path:
    sandbox = Sandbox.create(tmp_path_factory.mktemp("grid") / "checkout", no_cluster_path)
    result = sandbox.run(f"cluster-utils grid-search {GRID_CONFIG} --profile local")
    assert result.returncode == 0, result.stderr[-3000:]
    (experiment,) = (sandbox.root / "results").iterdir()
    return experiment


# ---------------------------------------------------------------- the tests

DOCS_WITH_COMMANDS = [doc for doc in DOCS if doc.is_file() and doc_commands(doc)]


def test_every_docs_command_is_run_or_named() -> None:
    plans = [plan(command) for doc in DOCS if doc.is_file() for command in doc_commands(doc)]
    assert len(plans) >= 10, "the extraction found (almost) no commands"
    written = {p.command.written for p in plans}
    assert "cluster-utils install-profiles" in written  # the README's own examples are found
    assert all((p.run is None) != (p.skip is None) for p in plans)


@pytest.mark.slow
@pytest.mark.timeout(2400)
@pytest.mark.parametrize("doc", DOCS_WITH_COMMANDS, ids=lambda d: str(d.relative_to(REPO_ROOT)))
def test_docs_commands_run(
    doc: Path, tmp_path: Path, no_cluster_path: str, finished_grid: Path
) -> None:
    sandbox = Sandbox.create(tmp_path / "checkout", no_cluster_path)
    sandbox.finished_grid = finished_grid
    ran, skipped = [], []
    for command in doc_commands(doc):
        step = plan(command)
        if step.skip is not None:
            skipped.append(f"{command.where}: {command.written}  -- {step.skip}")
            continue
        shell = sandbox.realize(step.run)
        result = sandbox.run(shell)
        assert result.returncode == 0, (
            f"{command.where}: `{command.written}` ran as `{shell}` and exited "
            f"{result.returncode}\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}"
        )
        ran.append(shell)
    print("ran:", *ran, "skipped by design:", *skipped, sep="\n  ")
    assert ran or skipped
