"""Example job script using the @cluster_main decorator: parameters arrive as keyword arguments."""

import random
import time

from main import fn_to_optimize

from cluster_utils import cluster_main


@cluster_main
def main(working_dir, id, fn_args, max_sleep_time=0, **kwargs):
    rng = random.Random(id)
    time.sleep(rng.uniform(0, max_sleep_time))
    noiseless = fn_to_optimize(**fn_args)
    return {"result": noiseless + 0.5 * rng.gauss(0, 1), "noiseless_result": noiseless}


if __name__ == "__main__":
    main()
