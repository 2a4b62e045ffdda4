"""Sampling distributions of hp_optimization's optimized parameters (cluster_utils 3.0 semantics).

Every distribution samples values for one parameter and can be refit on the values of the elite
(the best settings so far); the CEM metaoptimizer alternates the two.

Numerical distributions (``TruncatedNormal``, ``TruncatedLogNormal``, ``IntNormal``,
``IntLogNormal``) are normal distributions in sampling space (the log of the value for the *Log*
variants) that start with the mean at the centre of the bounds and a standard deviation of a
quarter of the range. As in 3.0:

- ``fit`` takes the maximum-likelihood mean and (population) std of the elite values and is
  skipped when fewer than :data:`MIN_POINTS_FOR_REFIT` values are given;
- sampling uses a momentum term: the centre is ``mean + 3 * (mean - previous mean)`` while that
  lies inside the bounds, else the mean;
- samples are drawn in batches of at least :data:`SMART_ROUNDING_BATCH`, smart-rounded together
  (to the fewest significant digits that keep at least half of the distinct values), clipped to
  the bounds (3.0 clips rather than resamples, so "truncated" values pile up at the bounds) and,
  for the *Int* variants, rounded to the nearest integer.

Differences to 3.0 (bugs fixed): the momentum check of the log variants compares against the log
bounds (3.0 compared the log mean with the linear bounds); integer rounding is half-up for negative
values too (3.0's ``int(x + 0.5)`` rounded -2.7 to -2); ``Discrete`` samples option indices, so
option types are kept (3.0 went through a numpy array: ``numpy.bool_``, or strings for mixed
options) and ``True`` is never counted as ``1``; randomness comes from the caller's
``numpy.random.Generator``, not from numpy's global state.

``Discrete`` starts uniform; ``fit`` sets p(option) = (1 + count) / (n + k) for n elite values and
k options (it is not skipped for few points, as in 3.0).
"""

from __future__ import annotations

import logging
import math
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np

from .param_values import ParamValue, check_param_name, to_python_value

logger = logging.getLogger("cluster_utils")

#: A refit of a numerical distribution is skipped with fewer data points than this.
MIN_POINTS_FOR_REFIT = 5
#: Minimum number of values drawn (and smart-rounded) together, as in 3.0.
SMART_ROUNDING_BATCH = 10
#: Smart rounding tries 1 up to this many significant digits.
SMART_ROUNDING_MAX_DIGITS = 5
#: Mean changes smaller than this do not update the momentum reference (3.0's threshold).
MOMENTUM_MIN_MEAN_CHANGE = 1e-3
#: Log-distributions need a lower bound of at least this.
MIN_LOG_LOWER_BOUND = 1e-10


def round_to_significant_digits(number: float, digits: int) -> float:
    """``number`` rounded to ``digits`` significant digits."""
    return float(f"{number:.{digits}g}")


def smart_round(values: Sequence[float]) -> list[float]:
    """Round all values to the fewest significant digits (1 to 5) that keep them apart enough.

    A number of digits is accepted when the rounded values still have at least half as many
    distinct values as the originals (3.0's rule); if no number of digits qualifies, the values
    are returned unchanged.
    """
    originals = [float(value) for value in values]
    distinct = len(set(originals))
    for digits in range(1, SMART_ROUNDING_MAX_DIGITS + 1):
        rounded = [round_to_significant_digits(value, digits) for value in originals]
        if len(set(rounded)) >= distinct // 2:
            return rounded
    return originals


class Distribution(ABC):
    """Distribution of one optimized parameter."""

    #: Name used in the config (``distribution = "..."``).
    name: ClassVar[str]

    def __init__(self, param: str) -> None:
        self.param_name = check_param_name(param)

    @abstractmethod
    def sample(self, rng: np.random.Generator, n: int) -> list[ParamValue]:
        """Draw ``n`` values (Python scalars) using ``rng``."""

    @abstractmethod
    def fit(self, values: Sequence[ParamValue]) -> None:
        """Refit on the values of the elite."""

    @abstractmethod
    def to_state(self) -> dict[str, Any]:
        """The fitted parameters, JSON-serialisable."""

    @abstractmethod
    def load_state(self, state: Mapping[str, Any]) -> None:
        """Restore fitted parameters saved by :meth:`to_state`."""

    @abstractmethod
    def to_config(self) -> dict[str, Any]:
        """The config entry this distribution was made from, normalised."""


class TruncatedNormal(Distribution):
    """Normal distribution over floats, clipped to ``bounds``."""

    name = "TruncatedNormal"
    is_log: ClassVar[bool] = False
    is_integer: ClassVar[bool] = False

    def __init__(self, param: str, bounds: Sequence[float], smart_rounding: bool = True) -> None:
        super().__init__(param)
        self.lower, self.upper = self._check_bounds(bounds)
        if not isinstance(smart_rounding, bool):
            raise TypeError(f"{param}: smart_rounding must be true or false.")
        self.smart_rounding = smart_rounding
        space_lower, space_upper = self._to_space(self.lower), self._to_space(self.upper)
        self.mean = 0.5 * (space_lower + space_upper)
        self.std = (space_upper - space_lower) / 4.0
        self.last_mean: float | None = None

    def _check_bounds(self, bounds: Sequence[float]) -> tuple[float, float]:
        if isinstance(bounds, str | bytes) or not isinstance(bounds, Sequence) or len(bounds) != 2:
            raise ValueError(f"{self.param_name}: bounds must be [lower, upper], got {bounds!r}.")
        lower, upper = bounds
        for bound in (lower, upper):
            if isinstance(bound, bool) or not isinstance(bound, Real) or not math.isfinite(bound):
                raise TypeError(
                    f"{self.param_name}: bounds must be finite numbers, got {bounds!r}."
                )
            if self.is_integer and not isinstance(bound, Integral):
                raise TypeError(
                    f"{self.param_name}: bounds of {self.name} must be integers, got {bounds!r}."
                )
        if not lower < upper:
            raise ValueError(f"{self.param_name}: bounds {bounds!r} are not a proper interval.")
        if self.is_log and lower < MIN_LOG_LOWER_BOUND:
            raise ValueError(f"{self.param_name}: bounds of {self.name} must be positive.")
        if self.is_integer:
            return int(lower), int(upper)
        return float(lower), float(upper)

    def _to_space(self, value: float) -> float:
        return math.log(value) if self.is_log else float(value)

    @property
    def _space_bounds(self) -> tuple[float, float]:
        return self._to_space(self.lower), self._to_space(self.upper)

    def fit(self, values: Sequence[ParamValue]) -> None:
        if len(values) < MIN_POINTS_FOR_REFIT:
            return
        points = np.array([self._to_space(float(value)) for value in values])  # type: ignore[arg-type]
        new_mean, self.std = float(points.mean()), float(points.std())
        if abs(new_mean - self.mean) > MOMENTUM_MIN_MEAN_CHANGE:
            self.last_mean = self.mean
        self.mean = new_mean
        space_lower, space_upper = self._space_bounds
        if not space_lower <= self.mean <= space_upper:
            logger.warning("Mean of %s is out of bounds.", self.param_name)

    def _sampling_centre(self) -> float:
        if self.last_mean is None:
            return self.mean
        with_momentum = 4 * self.mean - 3 * self.last_mean  # momentum term 3/4, as in 3.0
        space_lower, space_upper = self._space_bounds
        return with_momentum if space_lower <= with_momentum <= space_upper else self.mean

    def sample(self, rng: np.random.Generator, n: int) -> list[ParamValue]:
        batch = rng.normal(size=max(SMART_ROUNDING_BATCH, n)) * self.std + self._sampling_centre()
        values = np.exp(batch).tolist() if self.is_log else batch.tolist()
        if self.smart_rounding:
            values = smart_round(values)
        values = [min(max(value, self.lower), self.upper) for value in values[:n]]
        if self.is_integer:
            return [math.floor(value + 0.5) for value in values]
        return [float(value) for value in values]

    def to_state(self) -> dict[str, Any]:
        return {"mean": self.mean, "std": self.std, "last_mean": self.last_mean}

    def load_state(self, state: Mapping[str, Any]) -> None:
        self.mean = float(state["mean"])
        self.std = float(state["std"])
        self.last_mean = None if state["last_mean"] is None else float(state["last_mean"])

    def to_config(self) -> dict[str, Any]:
        return {
            "param": self.param_name,
            "distribution": self.name,
            "bounds": [self.lower, self.upper],
            "smart_rounding": self.smart_rounding,
        }


class TruncatedLogNormal(TruncatedNormal):
    """Log-normal distribution over positive floats, clipped to ``bounds``."""

    name = "TruncatedLogNormal"
    is_log = True


class IntNormal(TruncatedNormal):
    """Normal distribution rounded to integers, clipped to integer ``bounds``."""

    name = "IntNormal"
    is_integer = True


class IntLogNormal(TruncatedNormal):
    """Log-normal distribution rounded to integers, clipped to positive integer ``bounds``."""

    name = "IntLogNormal"
    is_log = True
    is_integer = True


def _option_identity(value: ParamValue) -> tuple[str, Any]:
    """Equality of options that never confuses ``True`` with ``1``."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, tuple):
        return ("tuple", tuple(_option_identity(item) for item in value))
    if isinstance(value, int | float):
        return ("number", value)
    return ("str", value)


class Discrete(Distribution):
    """Categorical distribution over ``options``: bool, int, float, str or tuples (from lists)."""

    name = "Discrete"

    def __init__(self, param: str, options: Sequence[Any], smart_rounding: bool = True) -> None:
        super().__init__(param)
        if isinstance(options, str | bytes) or not isinstance(options, Sequence) or not options:
            raise ValueError(f"{param}: options must be a non-empty list, got {options!r}.")
        self.options: list[ParamValue] = [to_python_value(option) for option in options]
        self._index_by_identity: dict[tuple[str, Any], int] = {}
        for index, option in enumerate(self.options):
            self._index_by_identity.setdefault(_option_identity(option), index)
        self.smart_rounding = smart_rounding  # accepted for 3.0 configs, has no effect
        self.probs: list[float] = [1.0 / len(self.options)] * len(self.options)

    def _option_index(self, value: ParamValue) -> int | None:
        index = self._index_by_identity.get(_option_identity(to_python_value(value)))
        if index is not None:
            return index
        # 3.0 fell back to comparing string representations
        matches = [i for i, option in enumerate(self.options) if str(option) == str(value)]
        if matches:
            logger.warning("%s: string comparison used for value %r.", self.param_name, value)
            return matches[0]
        return None

    def fit(self, values: Sequence[ParamValue]) -> None:
        counts = [0] * len(self.options)
        for value in values:
            index = self._option_index(value)
            if index is None:
                logger.warning("%s: value %r is not an option; ignored.", self.param_name, value)
                continue
            counts[index] += 1
        total = sum(counts) + len(self.options)
        self.probs = [(1 + count) / total for count in counts]

    def sample(self, rng: np.random.Generator, n: int) -> list[ParamValue]:
        indices = rng.choice(len(self.options), size=n, p=self.probs)
        return [self.options[int(index)] for index in indices]

    def to_state(self) -> dict[str, Any]:
        return {"probs": list(self.probs)}

    def load_state(self, state: Mapping[str, Any]) -> None:
        probs = [float(p) for p in state["probs"]]
        if len(probs) != len(self.options):
            raise ValueError(f"{self.param_name}: saved probabilities do not match the options.")
        self.probs = probs

    def to_config(self) -> dict[str, Any]:
        def as_json(value: ParamValue) -> Any:
            return [as_json(item) for item in value] if isinstance(value, tuple) else value

        return {
            "param": self.param_name,
            "distribution": self.name,
            "options": [as_json(option) for option in self.options],
        }


DISTRIBUTIONS: dict[str, type[Distribution]] = {
    cls.name: cls
    for cls in (TruncatedNormal, TruncatedLogNormal, IntNormal, IntLogNormal, Discrete)
}
_SPEC_KEYS = {"param", "distribution", "bounds", "options", "smart_rounding"}


def make_distribution(spec: Mapping[str, Any]) -> Distribution:
    """Build a distribution from one ``optimized_params`` entry of the config.

    ``{"param": "fn_args.x", "distribution": "TruncatedNormal", "bounds": [0, 4]}``; ``Discrete``
    takes ``options`` instead of ``bounds``; ``smart_rounding`` (default true) is optional. As in
    3.0, ``bounds`` given to ``Discrete`` (or ``options`` to a numerical distribution) are
    accepted with a warning.
    """
    if not isinstance(spec, Mapping):
        raise TypeError(f"An optimized_params entry must be a mapping, got {spec!r}.")
    unknown = set(spec) - _SPEC_KEYS
    if unknown:
        raise ValueError(
            f"optimized_params entry {spec.get('param')!r}: unknown keys {sorted(unknown)}; "
            f"valid keys are {sorted(_SPEC_KEYS)}."
        )
    for key in ("param", "distribution"):
        if key not in spec:
            raise ValueError(f"optimized_params entry {dict(spec)!r} lacks {key!r}.")
    distribution = spec["distribution"]
    if distribution not in DISTRIBUTIONS:
        raise ValueError(
            f"optimized_params entry {spec['param']!r}: distribution {distribution!r} does not "
            f"exist; valid are {sorted(DISTRIBUTIONS)}."
        )
    kwargs: dict[str, Any] = {"param": spec["param"]}
    if "smart_rounding" in spec:
        kwargs["smart_rounding"] = spec["smart_rounding"]
    wanted, other = ("options", "bounds") if distribution == "Discrete" else ("bounds", "options")
    if wanted in spec:
        kwargs[wanted] = spec[wanted]
    elif other in spec:
        logger.warning(
            "optimized_params entry %r: use %r instead of %r for %s; continuing.",
            spec["param"],
            wanted,
            other,
            distribution,
        )
        kwargs[wanted] = spec[other]
    else:
        raise ValueError(
            f"optimized_params entry {spec['param']!r} ({distribution}) needs {wanted!r}."
        )
    return DISTRIBUTIONS[distribution](**kwargs)
