from __future__ import annotations

import logging
import math

import numpy as np
import pytest

from cluster_utils.optimization.distributions import (
    MIN_POINTS_FOR_REFIT,
    Discrete,
    IntLogNormal,
    IntNormal,
    TruncatedLogNormal,
    TruncatedNormal,
    make_distribution,
    round_to_significant_digits,
    smart_round,
)


def draw(distribution, n=2000, seed=0):
    return distribution.sample(np.random.default_rng(seed), n)


@pytest.mark.parametrize(
    ("cls", "bounds"),
    [
        (TruncatedNormal, [-3.0, 3.0]),
        (TruncatedLogNormal, [1e-2, 1e2]),
        (IntNormal, [-5, 5]),
        (IntLogNormal, [1, 1000]),
    ],
)
@pytest.mark.parametrize("smart_rounding", [True, False])
def test_numerical_samples_respect_bounds_and_types(cls, bounds, smart_rounding):
    distribution = cls("a.b", bounds, smart_rounding=smart_rounding)
    # a fit that puts the mean right at the upper bound with a wide spread
    distribution.fit([bounds[1]] * 4 + [bounds[0]])
    values = draw(distribution)
    assert all(bounds[0] <= value <= bounds[1] for value in values)
    expected_type = int if distribution.is_integer else float
    assert {type(value) for value in values} == {expected_type}


def test_initial_mean_is_centre_of_bounds_and_std_quarter_range():
    normal = TruncatedNormal("x", [0.0, 4.0])
    assert (normal.mean, normal.std) == (2.0, 1.0)
    log_normal = TruncatedLogNormal("y", [1e-2, 1e2])
    assert log_normal.mean == pytest.approx(0.0, abs=1e-12)
    assert log_normal.std == pytest.approx(math.log(1e4) / 4)
    values = np.array(draw(TruncatedNormal("x", [0.0, 4.0], smart_rounding=False), 20000))
    assert values.mean() == pytest.approx(2.0, abs=0.03)


def test_log_sampling_is_positive_and_centred_in_log_space():
    values = np.array(draw(TruncatedLogNormal("y", [1e-2, 1e2], smart_rounding=False), 20000))
    assert (values > 0).all()
    assert np.log(values).mean() == pytest.approx(0.0, abs=0.05)  # geometric centre 1
    ints = draw(IntLogNormal("v", [1, 1000]))
    assert min(ints) >= 1


def test_refit_moves_mean_towards_elite():
    distribution = TruncatedNormal("x", [0.0, 4.0])
    elite = [3.5, 3.6, 3.4, 3.55, 3.45]
    distribution.fit(elite)
    assert distribution.mean == pytest.approx(np.mean(elite))
    assert distribution.std == pytest.approx(np.std(elite))  # maximum likelihood (ddof=0)
    assert distribution.last_mean == 2.0
    samples = draw(distribution)
    assert np.mean(samples) > 3.0


def test_log_refit_is_in_log_space():
    distribution = TruncatedLogNormal("y", [1e-2, 1e2])
    distribution.fit([10.0, 10.0, 10.0, 100.0, 1.0])
    assert distribution.mean == pytest.approx(math.log(10.0))


@pytest.mark.parametrize("cls", [TruncatedNormal, TruncatedLogNormal])
def test_refit_skipped_under_five_points(cls):
    distribution = cls("x", [1.0, 4.0])
    before = distribution.to_state()
    distribution.fit([3.9] * (MIN_POINTS_FOR_REFIT - 1))
    assert distribution.to_state() == before
    distribution.fit([3.9] * MIN_POINTS_FOR_REFIT)
    assert distribution.to_state() != before


def test_momentum_uses_previous_mean_inside_bounds():
    distribution = TruncatedNormal("x", [0.0, 10.0], smart_rounding=False)
    distribution.fit([5.5] * 5)  # mean 5 -> 5.5, std 0
    assert distribution.sample(np.random.default_rng(0), 3) == [7.0, 7.0, 7.0]  # 4*5.5 - 3*5
    distribution.fit([9.0] * 5)  # 4*9 - 3*5.5 is out of bounds -> plain mean
    assert distribution.sample(np.random.default_rng(0), 2) == [9.0, 9.0]


def test_int_rounding_is_half_up_also_for_negative_values():
    distribution = IntNormal("w", [-5, 5], smart_rounding=False)
    distribution.fit([-3, -3, -3, -2, -2])  # mean -2.6, std 0.49
    distribution.load_state({"mean": -2.7, "std": 0.0, "last_mean": None})
    assert distribution.sample(np.random.default_rng(0), 2) == [-3, -3]


def test_int_distributions_need_integer_bounds_and_log_needs_positive():
    with pytest.raises(TypeError, match="integers"):
        IntNormal("w", [-5.0, 5])
    with pytest.raises(ValueError, match="positive"):
        TruncatedLogNormal("y", [0.0, 1.0])
    with pytest.raises(ValueError, match="interval"):
        TruncatedNormal("x", [1.0, 1.0])


def test_discrete_options_keep_their_python_types():
    distribution = Discrete("d", [False, True, 3, 2.5, "adam", [1, 2]])
    assert distribution.options[-1] == (1, 2)
    values = draw(distribution, 600)
    assert set(map(type, values)) == {bool, int, float, str, tuple}
    assert {type(v) for v in values if v is True or v is False} == {bool}


def test_discrete_fit_is_laplace_smoothed_counts():
    distribution = Discrete("d", [False, True, 1])
    distribution.fit([True, True, True, False])
    # p = (1 + count) / (n + k), with True not counted as 1
    assert distribution.probs == pytest.approx([2 / 7, 4 / 7, 1 / 7])
    values = draw(distribution, 7000)
    assert sum(value is True for value in values) / 7000 == pytest.approx(4 / 7, abs=0.03)


def test_discrete_fit_with_tuple_values_from_json_lists():
    distribution = Discrete("d", [[1, 2], [3, 4]])
    distribution.fit([(3, 4)] * 3)
    assert distribution.probs == pytest.approx([1 / 5, 4 / 5])


def test_smart_round_uses_fewest_digits_keeping_half_distinct():
    assert smart_round([1.234, 5.678, 9.012, 3.456]) == [1.0, 6.0, 9.0, 3.0]
    # one digit collapses everything: 1.11 .. 1.14 need three digits
    assert smart_round([1.11, 1.12, 1.13, 1.14]) == [1.11, 1.12, 1.13, 1.14]
    assert smart_round([1.111111111, 1.111111112]) == [1.0, 1.0]  # 1 >= 2 // 2
    assert round_to_significant_digits(123456.0, 2) == 120000.0
    assert round_to_significant_digits(0.000123456, 3) == 0.000123


def test_smart_rounding_applies_to_samples_and_can_be_disabled():
    rounded = draw(TruncatedNormal("x", [0.0, 4.0]), 10)
    assert all(round_to_significant_digits(v, 2) == v for v in rounded)
    exact = draw(TruncatedNormal("x", [0.0, 4.0], smart_rounding=False), 10)
    assert any(round_to_significant_digits(v, 5) != v for v in exact)


def test_same_generator_seed_gives_same_samples():
    distribution = TruncatedLogNormal("y", [1e-2, 1e2])
    assert draw(distribution, 50, seed=7) == draw(distribution, 50, seed=7)
    assert draw(distribution, 50, seed=7) != draw(distribution, 50, seed=8)


def test_make_distribution_from_config_entries(caplog):
    assert isinstance(
        make_distribution({"param": "a", "distribution": "IntLogNormal", "bounds": [1, 9]}),
        IntLogNormal,
    )
    with caplog.at_level(logging.WARNING, logger="cluster_utils"):
        swapped = make_distribution({"param": "a", "distribution": "Discrete", "bounds": [1, 2]})
    assert swapped.options == [1, 2]
    assert "options" in caplog.text
    with pytest.raises(ValueError, match="does not exist"):
        make_distribution({"param": "a", "distribution": "Normal", "bounds": [0, 1]})
    with pytest.raises(ValueError, match="unknown keys"):
        make_distribution(
            {"param": "a", "distribution": "TruncatedNormal", "bounds": [0, 1], "bound": 2}
        )
    with pytest.raises(ValueError, match="reserved"):
        make_distribution({"param": "_id", "distribution": "IntNormal", "bounds": [0, 1]})


def test_state_round_trip():
    distribution = TruncatedNormal("x", [0.0, 4.0])
    distribution.fit([1.0, 1.5, 2.0, 1.2, 1.1])
    copy = TruncatedNormal("x", [0.0, 4.0])
    copy.load_state(distribution.to_state())
    assert draw(copy, 20) == draw(distribution, 20)
