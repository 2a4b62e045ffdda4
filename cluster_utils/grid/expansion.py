"""Expand ``hyperparam_list`` x ``restarts`` (optionally ``samples``) into job parameter sets.

Pure functions, no I/O. The order of the returned settings is the 3.0 product order (first
hyperparameter varies slowest), so ids assigned in this order match what 3.0 users expect.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from cluster_utils.base.nested_dicts import merge_nested, set_dotted
from cluster_utils.base.settings import evaluate_dynamic, unflatten_dict


class GridError(ValueError):
    """A grid that cannot be expanded (duplicate parameters, bad tuple values, ...)."""


@dataclass(frozen=True)
class Axis:
    """One entry of ``hyperparam_list``: one name, or several names set together (tuple param)."""

    names: tuple[str, ...]
    values: tuple[Any, ...]

    def assignments(self, index: int) -> dict[str, Any]:
        value = self.values[index]
        if len(self.names) == 1:
            return {self.names[0]: value}
        return dict(zip(self.names, value, strict=True))


@dataclass(frozen=True)
class GridJob:
    """One job of the grid: the full nested parameters and which restart it is."""

    job_hash: str
    params: dict[str, Any]
    restart: int


def parse_axes(hyperparam_list: Sequence[dict[str, Any]]) -> list[Axis]:
    axes: list[Axis] = []
    seen: set[str] = set()
    for position, entry in enumerate(hyperparam_list):
        param = entry["param"]
        names = tuple(param) if isinstance(param, list | tuple) else (param,)
        values = entry["values"]
        if isinstance(values, str):
            raise GridError(
                f"hyperparam_list[{position}].values: dynamic expression {values!r} could not be "
                "evaluated to a list"
            )
        values = tuple(tuple(v) if isinstance(v, list) and len(names) > 1 else v for v in values)
        if not values:
            raise GridError(f"hyperparam_list[{position}].values: empty list of values")
        for name in names:
            if name in seen:
                raise GridError(f"hyperparam_list[{position}].param: {name!r} appears twice")
            seen.add(name)
        if len(names) > 1:
            for value_index, value in enumerate(values):
                if not isinstance(value, tuple) or len(value) != len(names):
                    raise GridError(
                        f"hyperparam_list[{position}].values[{value_index}]: expected a list of "
                        f"{len(names)} values for {list(names)}, found {value!r}"
                    )
        axes.append(Axis(names, values))
    return axes


def grid_size(axes: Sequence[Axis]) -> int:
    return math.prod(len(axis.values) for axis in axes)


def _setting_at(axes: Sequence[Axis], flat_index: int) -> dict[str, Any]:
    """The setting at position ``flat_index`` of the product (mixed-radix decoding)."""
    setting: dict[str, Any] = {}
    for axis in reversed(axes):
        flat_index, value_index = divmod(flat_index, len(axis.values))
        setting.update(axis.assignments(value_index))
    # keep the hyperparameter order of the config
    return {name: setting[name] for axis in axes for name in axis.names}


def sample_indices(total: int, samples: int | None, seed_material: str) -> list[int]:
    """Indices of the settings to run: all, or ``samples`` drawn WITHOUT replacement.

    The draw is seeded by the grid's own content, so running the same command again draws the
    same settings (a rerun must not turn into a different experiment).
    """
    if samples is None or samples >= total:
        return list(range(total))
    seed = int.from_bytes(hashlib.sha256(seed_material.encode()).digest()[:8], "big")
    return sorted(random.Random(seed).sample(range(total), samples))


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=repr)


def job_hash(params: dict[str, Any], restart: int) -> str:
    """Stable content hash of a job: the same setting keeps the same hash across runs and edits."""
    digest = hashlib.sha256(canonical_json({"params": params, "restart": restart}).encode())
    return digest.hexdigest()[:16]


def iter_grid_jobs(
    hyperparam_list: Sequence[dict[str, Any]],
    fixed_params: dict[str, Any] | None,
    restarts: int = 1,
    samples: int | None = None,
) -> Iterator[GridJob]:
    """Yield every job of the grid with fully evaluated parameters."""
    axes = parse_axes(hyperparam_list)
    fixed = unflatten_dict(fixed_params or {})
    indices = sample_indices(grid_size(axes), samples, canonical_json(list(hyperparam_list)))
    for flat_index in indices:
        params = merge_nested({}, fixed)
        for name, value in _setting_at(axes, flat_index).items():
            set_dotted(params, name, list(value) if isinstance(value, tuple) else value)
        params = evaluate_dynamic(params, strict=True)
        for restart in range(restarts):
            yield GridJob(job_hash(params, restart), params, restart)
