"""Fixtures for the HTCondor tests.

The golden tests (test_htcondor_submit.py) need only the ``htcondor`` bindings (PyPI, <25), no
daemons. The ``htcondor`` tests run against a real personal pool on localhost: the session fixture
``htcondor_pool`` starts it with ``scripts/htcondor-localhost.sh up`` (builds it on first use, needs
root) and runs the Snakemake driver inside the pool's root as the pool user.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = REPO_ROOT / "scripts"
DATA = Path(__file__).resolve().parent / "data"

# Daemon-free use of the bindings: no pool configuration is needed (and none is wanted).
os.environ.setdefault("CONDOR_CONFIG", os.devnull)


@dataclass
class Pool:
    """The localhost pool: run commands inside its root as the pool user."""

    def run(
        self,
        workdir: Path,
        *cmd: str,
        env: dict[str, str] | None = None,
        timeout: float = 300,
    ) -> subprocess.CompletedProcess[str]:
        args = [str(SCRIPTS / "htcondor-run.sh"), "-C", str(workdir)]
        for name, value in (env or {}).items():
            args += ["-e", f"{name}={value}"]
        argv = [*args, "--", *cmd]
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            # SIGTERM: htcondor-run.sh passes it on, Snakemake removes its jobs and exits
            proc.terminate()
            try:
                out, err = proc.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                out, err = proc.communicate()
            pytest.fail(f"{' '.join(cmd)} timed out after {timeout} s:\n{out}{err}")
        return subprocess.CompletedProcess(argv, proc.returncode, out, err)

    def snakemake(
        self, workdir: Path, *args: str, timeout: float = 300, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """``snakemake --profile profiles/htcondor`` in ``workdir``, with quick status checks."""
        return self.run(
            workdir,
            "snakemake",
            "--profile",
            str(REPO_ROOT / "profiles" / "htcondor"),
            "--seconds-between-status-checks",
            "2",
            "--latency-wait",
            "5",
            *args,
            env=env,
            timeout=timeout,
        )


@pytest.fixture(scope="session")
def htcondor_pool() -> Pool:
    if os.geteuid() != 0:
        pytest.skip("the localhost HTCondor pool needs root (debootstrap, chroot, mount)")
    result = subprocess.run(
        [str(SCRIPTS / "htcondor-localhost.sh"), "up"],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(
            "scripts/htcondor-localhost.sh up failed:\n" + result.stdout + result.stderr,
            pytrace=False,
        )
    return Pool()


@pytest.fixture
def workflow_dir(tmp_path: Path) -> Path:
    """A copy of the throwaway test workflow (Snakefile + job.py) in a fresh directory."""
    target = tmp_path / "wf"
    shutil.copytree(DATA / "workflow", target)
    return target
