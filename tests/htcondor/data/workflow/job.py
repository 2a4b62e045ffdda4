"""Stand-in for the job runner plus a user script whose behaviour depends on the job id.

resume*: asks to be resumed (exit code 3) on its first two runs, then succeeds.
fail*:   exits with 7.
sleep*:  sleeps 6 s, then succeeds.
else:    succeeds.
Every run appends "<time> cluster=<ClusterId> start|end code=N|resume -> X" to events.log.
"""

import os
import re
import sys
import time
from pathlib import Path

from cluster_utils.backends import get_backend

request_resume = get_backend("htcondor").request_resume

job_id, out = sys.argv[1:]
jobdir = Path("results/jobs") / job_id
jobdir.mkdir(parents=True, exist_ok=True)
ad_file = os.environ.get("_CONDOR_JOB_AD")
ad = Path(ad_file).read_text() if ad_file else ""
match = re.search(r"^ClusterId = (\d+)$", ad, re.M)
cluster = match.group(1) if match else "?"


def log(msg: str) -> None:
    with open(jobdir / "events.log", "a") as handle:
        handle.write(f"{time.time():.3f} cluster={cluster} {msg}\n")


def script() -> int:
    count_file = jobdir / "count"
    count = int(count_file.read_text()) + 1 if count_file.exists() else 1
    count_file.write_text(str(count))
    if job_id.startswith("resume") and count <= 2:
        return 3
    if job_id.startswith("fail"):
        return 7
    if job_id.startswith("sleep"):
        time.sleep(6)
    return 0


while True:
    log("start")
    code = script()
    log(f"end code={code}")
    if code != 3:
        break
    exit_code = request_resume()
    log(f"resume -> {exit_code}")
    if exit_code is not None:
        sys.exit(exit_code)
if code == 0:
    Path(out).touch()
sys.exit(code)
