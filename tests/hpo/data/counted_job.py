"""A configurable hp_optimization job for the driver tests.

- ``loss = (x - 0.5) ** 2`` (``x`` is the optimized parameter), or ``x`` with early results;
- sleeps ``durations[id % len(durations)]`` seconds (fixed param ``durations``, default none);
- ``fail``: "all" or a list of ids that fail with an error message on stderr;
- ``early_steps``: announce ``x * (early_steps + 2 - step)`` as early loss at every step (the
  same ranking as the final loss), sleeping ``step_seconds`` (``bad_step_seconds`` when x > 10);
- ``bad_ids``: ids whose ``x`` is taken as ``x + 100`` (bad jobs whatever the optimizer asks);
- appends "start" / "finished" to ``<cwd>/runs/<id>`` (counts how often it really ran).
"""

import os
import sys
import time

from cluster_utils import announce_early_results, finalize_job, initialize_job

params = initialize_job()
runs = os.path.join(os.getcwd(), "runs")
os.makedirs(runs, exist_ok=True)
counter = os.path.join(runs, str(params.id))
with open(counter, "a") as f:
    f.write("start\n")

durations = params.get("durations") or [0]
time.sleep(durations[params.id % len(durations)])

fail = params.get("fail", [])
if fail == "all" or params.id in fail:
    print("Traceback (most recent call last):", file=sys.stderr)
    print(f"RuntimeError: job {params.id} broke on purpose", file=sys.stderr)
    sys.exit(1)

x = params.x + (100.0 if params.id in params.get("bad_ids", []) else 0.0)
early_steps = params.get("early_steps", 0)
for step in range(1, early_steps + 1):
    announce_early_results({"loss": x * (early_steps + 2 - step)})
    time.sleep(params.bad_step_seconds if x > 10 else params.step_seconds)

loss = x if early_steps else (x - 0.5) ** 2
finalize_job({"loss": loss}, params)
with open(counter, "a") as f:
    f.write("finished\n")
