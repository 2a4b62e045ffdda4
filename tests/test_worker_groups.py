"""tests/worker_groups.py with real pytest-xdist workers: a small test project runs with
``-n 3 --dist loadgroup``; each test records its node id (which carries its group) and its
worker. A cluster's tests, and the users of a module- or session-scoped fixture, each run in one
worker; the other tests carry no group."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.helpers import REPO_ROOT

pytestmark = pytest.mark.slow

CONFTEST = """
import os
from pathlib import Path

import pytest

from tests.worker_groups import worker_groups


def pytest_configure(config):
    for name in ("slurm", "pbs"):
        config.addinivalue_line("markers", f"{name}: a cluster")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    for item, group in worker_groups(items, tests_dir=Path(__file__).parent).items():
        item.add_marker(pytest.mark.xdist_group(group))


@pytest.fixture(scope="session")
def slurm_cluster():
    return None


@pytest.fixture(scope="session")
def shared_run():
    return None


@pytest.fixture(autouse=True)
def record(request):
    yield
    with open(os.environ["RECORD"], "a") as f:
        f.write(f"{request.node.nodeid} {os.environ['PYTEST_XDIST_WORKER']}\\n")
"""

TEST_FILES = {
    "test_slurm.py": """
        import pytest
        pytestmark = pytest.mark.slurm
        def test_s1(): pass
        def test_s2(): pass
    """,
    "test_module_fixture.py": """
        import pytest
        @pytest.fixture(scope="module")
        def built(): return 1
        def test_cluster_fixture(slurm_cluster): pass
        def test_m1(built): pass
        def test_m2(built): pass
        @pytest.mark.parametrize("n", range(6))
        def test_free(n, tmp_path): pass
    """,
    "test_pbs_pulls.py": """
        import pytest
        @pytest.fixture(scope="module")
        def venv(): return 1
        @pytest.mark.pbs
        def test_p(venv): pass
        def test_other_user_of_venv(venv): pass
        def test_session_user1(shared_run): pass
    """,
    "test_session.py": """
        def test_session_user2(shared_run): pass
        def test_free2(): pass
    """,
}


def run_project(tmp_path: Path) -> dict[str, tuple[str | None, str]]:
    """Test name -> (its group, its worker)."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "conftest.py").write_text(CONFTEST)
    for name, body in TEST_FILES.items():
        (project / name).write_text(textwrap.dedent(body))
    record = tmp_path / "record.txt"
    xdist = ["-n", "3", "--dist", "loadgroup"]
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *xdist, str(project)],
        cwd=project,
        env={**os.environ, "RECORD": str(record), "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    ran: dict[str, tuple[str | None, str]] = {}
    for line in record.read_text().splitlines():
        nodeid, worker = line.rsplit(" ", 1)
        name, _, group = nodeid.split("::", 1)[1].partition("@")
        ran[name] = (group or None, worker)
    return ran


def test_each_group_runs_in_one_worker_and_the_rest_anywhere(tmp_path: Path) -> None:
    ran = run_project(tmp_path)
    assert len(ran) == 16
    groups = {name: group for name, (group, _) in ran.items()}
    assert {name for name, group in groups.items() if group == "slurm"} == {
        "test_s1",
        "test_s2",
        "test_cluster_fixture",
    }
    assert groups["test_m1"] == groups["test_m2"] == "project/test_module_fixture.py"
    # the pbs test's module fixture pulls the module's other user into the pbs group
    assert groups["test_p"] == groups["test_other_user_of_venv"] == "pbs"
    assert groups["test_session_user1"] == groups["test_session_user2"]
    assert groups["test_session_user1"] == "project/conftest.py::shared_run"
    free = [name for name in groups if name.startswith("test_free")]
    assert len(free) == 7 and all(groups[name] is None for name in free)
    for group in {g for g in groups.values() if g is not None}:
        workers = {worker for name, (g, worker) in ran.items() if g == group}
        assert len(workers) == 1, (group, workers)
