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

from tests.helpers import REPO_ROOT
from tests.machine_lock import start_localhost_cluster

SCRIPTS = REPO_ROOT / "scripts"
DATA = Path(__file__).resolve().parent / "data"

# Daemon-free use of the bindings: no pool configuration is needed (and none is wanted).
os.environ.setdefault("CONDOR_CONFIG", os.devnull)


@dataclass
class Pool:
    """The localhost pool: run commands inside its root as the pool user."""

    def start(
        self, workdir: Path, *cmd: str, env: dict[str, str] | None = None
    ) -> subprocess.Popen[str]:
        """Start ``cmd`` in ``workdir`` inside the root; finish it with :meth:`finish`. Commands
        running at the same time need different workdirs (each is mounted for its command)."""
        args = [str(SCRIPTS / "htcondor-run.sh"), "-C", str(workdir)]
        for name, value in (env or {}).items():
            args += ["-e", f"{name}={value}"]
        return subprocess.Popen(
            [*args, "--", *cmd],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def run(
        self,
        workdir: Path,
        *cmd: str,
        env: dict[str, str] | None = None,
        timeout: float = 300,
    ) -> subprocess.CompletedProcess[str]:
        return self.finish(self.start(workdir, *cmd, env=env), timeout=timeout)

    @staticmethod
    def finish(
        proc: subprocess.Popen[str], timeout: float = 300
    ) -> subprocess.CompletedProcess[str]:
        """Wait for a started command; on timeout stop it and fail the test."""
        cmd = proc.args[proc.args.index("--") + 1 :]  # type: ignore[union-attr]
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
        return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)

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
    start_localhost_cluster(SCRIPTS / "htcondor-localhost.sh", "up", timeout=900)
    return Pool()


@pytest.fixture
def workflow_dir(tmp_path: Path) -> Path:
    """A copy of the throwaway test workflow (Snakefile + job.py) in a fresh directory."""
    target = tmp_path / "wf"
    shutil.copytree(DATA / "workflow", target)
    return target


#: what the test profile changes in profiles/htcondor: quick status checks, a short wait for
#: missing outputs and for unmatched jobs (the profile's values suit a production pool)
TEST_PROFILE_SETTINGS = {
    "seconds-between-status-checks": 1,
    "latency-wait": 5,
    "cluster-utils-htcondor-unmatched-timeout": 10,
}


def write_test_profile(directory: Path) -> Path:
    """profiles/htcondor with :data:`TEST_PROFILE_SETTINGS`, as the profile directory
    ``directory/profile`` (inside the directory a command runs in, so visible in the root)."""
    import yaml

    settings = yaml.safe_load((REPO_ROOT / "profiles" / "htcondor" / "config.yaml").read_text())
    settings.update(TEST_PROFILE_SETTINGS)
    profile = directory / "profile"
    profile.mkdir(parents=True, exist_ok=True)
    (profile / "config.yaml").write_text(yaml.safe_dump(settings, sort_keys=False))
    return profile
