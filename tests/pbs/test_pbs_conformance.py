"""Snakemake's own executor-plugin conformance workflows (``snakemake/common/tests/testcases``,
"simple" and "groups": any rules, threads, logs, wildcards, group jobs) through
``--executor cluster-utils-pbs``, run by Snakemake's ``TestWorkflowsBase`` as a plugin's own test
suite would, in a process inside the cluster's network namespace."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.pbs.pbs_helpers import in_cluster

pytestmark = [pytest.mark.pbs, pytest.mark.slow, pytest.mark.usefixtures("pbs_cluster")]

RUN_CASE = """
import sys
from pathlib import Path

from snakemake.common.tests import TestWorkflowsLocalStorageBase
from snakemake_executor_plugin_cluster_utils_pbs import ExecutorSettings


class PbsWorkflows(TestWorkflowsLocalStorageBase):
    __test__ = False

    def get_executor(self):
        return "cluster-utils-pbs"

    def get_executor_settings(self):
        return ExecutorSettings(
            init_seconds_before_status_checks=1,
            max_seconds_between_status_checks=2,
            batch_seconds=0.2,
        )


getattr(PbsWorkflows(), sys.argv[1])(Path(sys.argv[2]))
"""


@pytest.mark.parametrize(
    ("case", "directory", "outputs"),
    [
        (
            "test_simple_workflow",
            "simple",
            ["test3.out", "res/somedir1.out", "res/somedir2/subdir.out"],
        ),
        ("test_group_workflow", "groups", ["test3.out", "test2.1.out", "test2.3.out"]),
    ],
)
def test_snakemake_conformance_workflow(
    case: str, directory: str, outputs: list[str], tmp_path: Path
) -> None:
    proc = subprocess.run(
        in_cluster([sys.executable, "-c", RUN_CASE, case, str(tmp_path)]),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    for output in outputs:
        assert (tmp_path / directory / output).exists(), output
    assert "submitted PBS" in proc.stderr
