"""The experiment directory's contract: every path in it, and the one writer/reader of each file.

Owns layout (paths), job ids, the launch spec, metadata.json, settings.json and launch.json
(setup), plan.json, each job's state.json, the local chunk lists, the code checkout and loading
the settings of a run. May import config and base; never the command layer, grid, hpo,
execution, results, report or runner."""
