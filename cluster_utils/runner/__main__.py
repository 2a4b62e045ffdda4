import sys

from cluster_utils.runner.job_runner import main

sys.exit(main())
