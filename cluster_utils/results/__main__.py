"""``python -m cluster_utils.results EXPERIMENT_DIR``: (re)write the result tables of a run."""

import sys

from cluster_utils.experiment_layout import ExperimentLayout
from cluster_utils.results.collect import collect_results, planned_job_ids

if len(sys.argv) != 2:
    sys.exit("usage: python -m cluster_utils.results EXPERIMENT_DIR")
layout = ExperimentLayout.at(sys.argv[1])
summary = collect_results(layout, planned_job_ids(layout))
print(
    f"cluster_utils: {summary.counts['succeeded']} of {summary.total} jobs succeeded; "
    f"results in {layout.all_data_csv}"
)
