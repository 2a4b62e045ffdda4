"""Files of the experiment directory are replaced atomically: a writer killed at any moment
(SIGKILL, no clean-up) leaves the old or the new content, never a truncated file."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

WRITERS = {
    "atomic_write_json (state.json, plan.json, metadata.json, ...)": """
import sys
from cluster_utils.base.job_protocol import atomic_write_json
versions = [{"v": n, "pad": [n] * 200_000} for n in (1, 2)]
i = 0
while True:
    atomic_write_json(sys.argv[1], versions[i % 2])
    i += 1
""",
    "write_csv (all_data.csv, jobs.csv, failures.csv)": """
import sys
from pathlib import Path
from cluster_utils.results.collect import write_csv
versions = [[{"v": n, "x": k} for k in range(100_000)] for n in (1, 2)]
i = 0
while True:
    write_csv(Path(sys.argv[1]), versions[i % 2], index=True)
    i += 1
""",
}


def _read_version(path: Path) -> int:
    text = path.read_text()
    if path.suffix == ".json":
        data = json.loads(text)
        assert len(data["pad"]) == 200_000
        return data["v"]
    lines = text.splitlines()
    assert lines[0] == ",v,x" and len(lines) == 100_001
    versions = {line.split(",")[1] for line in lines[1:]}
    assert len(versions) == 1
    return int(versions.pop())


@pytest.mark.slow
@pytest.mark.parametrize("writer", list(WRITERS))
def test_a_killed_writer_leaves_a_whole_file(tmp_path: Path, writer: str) -> None:
    target = tmp_path / ("file.json" if "json" in writer.split()[0] else "file.csv")
    rng = random.Random(7)
    seen = set()
    for _ in range(8):
        proc = subprocess.Popen([sys.executable, "-c", WRITERS[writer], str(target)])
        deadline = time.monotonic() + 20
        while not target.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(rng.uniform(0.05, 0.6))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        seen.add(_read_version(target))
    assert seen <= {1, 2}
