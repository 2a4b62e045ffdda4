"""A fast hp_optimization job: 3.0's fn_to_optimize (examples/basic/main.py) without random
failures. Optional params: ``sleep`` (seconds, or ``{"<w>": seconds}`` by fn_args.w), and
``test_resume`` (checkpoint, exit_for_resume, continue). Counts its runs in
``<cwd>/runs/<id>`` (one line per start, ``finished`` appended after finalize_job)."""

import math
import os
import time

from cluster_utils import exit_for_resume, finalize_job, initialize_job


def fn_to_optimize(*, u, v, w, x, y, sharp_penalty, tuple_input=None):
    tuple_len = len(tuple_input or ())
    y_log = math.log(abs(y + 1e-7))
    v_log = math.log(abs(v + 1e-7))
    assert isinstance(w, int), "w has to be integer"
    assert isinstance(v, int), "v has to be integer"
    result = (
        (x - 3.14) ** 2
        + (y_log - 2.78) ** 2
        + (u * v_log * w + 1) ** 2
        + (u + v_log + w - 5 + tuple_len) ** 2
    )
    if sharp_penalty and x > 3.20:
        result += 1
    return result


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
