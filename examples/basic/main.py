"""Example job script (explicit API): a noisy test function of six parameters.

Run by cluster_utils with a parameter file; by hand: `python examples/basic/main.py settings.json`.
"""

import math
import os
import random
import time

from cluster_utils import exit_for_resume, finalize_job, initialize_job


def fn_to_optimize(*, u, v, w, x, y, sharp_penalty, tuple_input=None):
    """Smooth in u, x, log(y); integer w and log-scale integer v; a penalty for x > 3.2."""
    assert isinstance(w, int), "w has to be an integer"
    assert isinstance(v, int), "v has to be an integer"
    log_y = math.log(abs(y) + 1e-7)
    log_v = math.log(abs(v) + 1e-7)
    result = (
        (x - 3.14) ** 2
        + (log_y - 2.78) ** 2
        + (u * log_v * w + 1) ** 2
        + (u + log_v + w - 5 + len(tuple_input or ())) ** 2
    )
    if sharp_penalty and x > 3.20:
        result += 1
    return result


if __name__ == "__main__":
    params = initialize_job()
    rng = random.Random(params.get("id", 0))

    time.sleep(rng.uniform(0, params.get("max_sleep_time", 0)))
    if rng.random() < params.get("failure_probability", 0.0):
        raise ValueError("this job fails on purpose (failure_probability)")

    # a tiny checkpoint: the first run computes and saves, a resumed run loads it
    checkpoint = os.path.join(params.working_dir, "result.txt")
    if os.path.isfile(checkpoint):
        with open(checkpoint) as f:
            noiseless = float(f.read())
    else:
        noiseless = fn_to_optimize(**params.fn_args)
        with open(checkpoint, "w") as f:
            f.write(repr(noiseless))
        if params.get("test_resume", False):
            exit_for_resume()

    metrics = {"result": noiseless + 0.5 * rng.gauss(0, 1), "noiseless_result": noiseless}
    finalize_job(metrics, params)
