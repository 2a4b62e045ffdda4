"""3.0's layout of all_data.csv and reduced_data.csv: the unnamed index column and column orders.

cluster_utils 3.0 wrote both tables with ``DataFrame.to_csv``, so they begin with an unnamed index
column (``pd.read_csv(f, index_col=0)`` gives back the parameters as columns). Its column orders:

- grid search, all_data.csv: the parameters in the order 3.0 built each job's nested settings
  (the hyperparam_list entries in order, then fixed_params merged into them in config order, then
  ``working_dir`` and ``id``), flattened to dotted names; then ``_id``; then the metrics in the
  order the jobs reported them (``time_elapsed`` last).
- hp_optimization, all_data.csv: every column sorted by name (3.0 concatenated with ``sort=True``).
- hp_optimization, reduced_data.csv: the optimized parameters in optimized_params order, the
  metric to optimize, ``job_restarts``, ``<metric>__std``.

Columns 3.0 did not have go after 3.0's, never in between.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from cluster_utils.base import constants
from cluster_utils.base.settings import flatten_dict

#: The header of 3.0's index column (pandas writes an unnamed index as an empty field).
INDEX_COLUMN = ""


def _dotted_path(name: str) -> list[str]:
    return [part for part in name.split(constants.OBJECT_SEPARATOR) if part]


def _insert(tree: dict[str, Any], path: list[str]) -> None:
    node = tree
    for part in path[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):  # a value that is also a parent: keep the first
            return
        node = child
    node.setdefault(path[-1], None)


def _leaves(tree: Mapping[str, Any], prefix: str = "") -> list[str]:
    names: list[str] = []
    for key, value in tree.items():
        if isinstance(value, dict):
            names.extend(_leaves(value, f"{prefix}{key}{constants.OBJECT_SEPARATOR}"))
        else:
            names.append(prefix + key)
    return names


def grid_param_order(settings: Mapping[str, Any]) -> list[str]:
    """3.0's order of a grid search's parameter columns, from the (config-ordered) settings."""
    tree: dict[str, Any] = {}
    for entry in settings.get("hyperparam_list") or []:
        names = entry.get("param") if isinstance(entry, Mapping) else None
        for name in names if isinstance(names, list | tuple) else [names]:
            if isinstance(name, str) and _dotted_path(name):
                _insert(tree, _dotted_path(name))
    fixed = settings.get("fixed_params") or {}
    for name in flatten_dict(fixed) if isinstance(fixed, Mapping) else {}:
        if _dotted_path(name):
            _insert(tree, _dotted_path(name))
    _insert(tree, [constants.WORKING_DIR])
    _insert(tree, ["id"])
    return _leaves(tree)


def _first_seen(names: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(names))


def grid_all_data_columns(
    param_order: list[str], params_seen: Iterable[str], metrics_seen: Iterable[str]
) -> list[str]:
    """Parameters (3.0's order, then any others as seen), ``_id``, metrics as first reported."""
    seen = _first_seen(params_seen)
    params = [name for name in param_order if name in seen]
    params += [name for name in seen if name not in params]
    metrics = [name for name in _first_seen(metrics_seen) if name not in params]
    return [*params, constants.ID, *(m for m in metrics if m != constants.ID)]


def hpo_all_data_columns(rows: Iterable[Mapping[str, Any]]) -> list[str]:
    """Every column of the rows, sorted by name as 3.0's concatenation sorted them."""
    return sorted({name for row in rows for name in row})


def reduced_data_columns(optimized_names: list[str], metric: str) -> list[str]:
    return [
        *optimized_names,
        metric,
        constants.RESTART_PARAM_NAME,
        metric + constants.STD_ENDING,
    ]
