"""``python -m cluster_utils.results EXPERIMENT_DIR``: (re)write the result tables of a run."""

import sys

from cluster_utils.experiment.layout import ExperimentLayout
from cluster_utils.experiment.plan import planned_job_ids
from cluster_utils.results.collect import collect_results

if len(sys.argv) != 2:
    sys.exit("usage: python -m cluster_utils.results EXPERIMENT_DIR")
layout = ExperimentLayout.at(sys.argv[1])
summary = collect_results(layout, planned_job_ids(layout) or [])
print(
    f"cluster_utils: {summary.counts['succeeded']} of {summary.total} jobs succeeded; "
    f"results in {layout.all_data_csv}"
)
