"""The experiment directory's contract: every path in it, and the one writer/reader of each file.

Owns layout (paths), job ids, the launch spec, metadata.json, settings loading for a run, the
code checkout, each job's state.json and the local chunk lists. May import ``config``,
``backends``-free helpers of ``base``; never the command layer, grid, hpo, execution or runner.
"""
