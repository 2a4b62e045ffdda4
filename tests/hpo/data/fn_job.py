"""A fast hp_optimization job: 3.0's fn_to_optimize (from tests.helpers: the driver runs with the
repository root on PYTHONPATH) without random failures. Optional params: ``sleep`` (seconds, or
``{"<w>": seconds}`` by fn_args.w), and ``test_resume`` (checkpoint, exit_for_resume, continue).
Counts its runs in ``<cwd>/runs/<id>`` (one line per start, ``finished`` appended after
finalize_job)."""

import os
import time

from cluster_utils import exit_for_resume, finalize_job, initialize_job
from tests.helpers import fn_to_optimize

if __name__ == "__main__":
    params = initialize_job()
    runs = os.path.join(os.getcwd(), "runs")
    os.makedirs(runs, exist_ok=True)
    counter = os.path.join(runs, str(params.id))
    with open(counter, "a") as f:
        f.write("start\n")
    sleep = params.get("sleep", 0)
    if isinstance(sleep, dict):
        sleep = sleep.get(str(params.fn_args.w), sleep.get("default", 0))
    time.sleep(sleep)
    checkpoint = os.path.join(params.working_dir, "result.txt")
    if os.path.isfile(checkpoint):
        with open(checkpoint) as f:
            result = float(f.read())
    else:
        result = fn_to_optimize(**params.fn_args)
        with open(checkpoint, "w") as f:
            f.write(repr(result))
        if params.get("test_resume", False):
            exit_for_resume()
    finalize_job({"result": result, "noiseless_result": result}, params)
    with open(counter, "a") as f:
        f.write("finished\n")
