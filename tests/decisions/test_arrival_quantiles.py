"""Staffing for a service level met with a stated probability: arrival quantiles and dispersion."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.decisions.arrival_quantiles import (
    arrivals_at_probability,
    dispersion_from_counts,
    forecast_dispersion,
)
from planner.decisions.erlang import agents_for_service_level_fractional
from planner.decisions.staffing import plan_staffing
from planner.inputs.errors import InputError
from planner.inputs.settings import load_settings
from planner.inputs.weeks import Week
from tests.conftest import BUNDLED_DATA

from .test_staffing import CARE, PARIS, flat_forecast, no_actions, settings_for


def poisson_quantile_by_sum(mean: float, probability: float) -> int:
    """Smallest n with P(N <= n) >= probability, summing the Poisson terms in log space."""
    total = 0.0
    count = 0
    while True:
        total += math.exp(count * math.log(mean) - mean - math.lgamma(count + 1))
        if total >= probability:
            return count
        count += 1


@pytest.mark.parametrize(("mean", "probability", "expected"), [
    # P(N <= 5) = e^-4 (1 + 4 + 8 + 32/3 + 32/3 + 128/15) = 0.785 and P(N <= 6) = 0.889.
    (4.0, 0.8, 6),
    (4.0, 0.78, 5),
    # P(N <= 0) = e^-0.1 = 0.905: the quantile at 0.9 is no arrival, so a quiet interval keeps its
    # expected 0.1 arrivals and the staff they need.
    (0.1, 0.9, 0.1),
    (0.1, 0.95, 1),
    # P(N <= 0) = e^-0.3 = 0.741 < 0.8, so the quantile is 1.
    (0.3, 0.8, 1),
], ids=["mean-4", "mean-4-lower", "quiet", "quiet-higher", "quiet-lower-probability"])
def test_arrivals_poisson_hand_quantile(mean, probability, expected):
    assert arrivals_at_probability([mean], probability).tolist() == [expected]


@pytest.mark.parametrize("mean", [20.0, 100.0, 333.3])
def test_arrivals_poisson_matches_summed_cdf(mean):
    assert arrivals_at_probability([mean], 0.8).tolist() == [poisson_quantile_by_sum(mean, 0.8)]


def test_arrivals_overdispersed_hand_quantile():
    # Negative binomial with mean 2 and variance 4: r = 2, p = 0.5, P(N = k) = (k + 1) / 2^(k + 2),
    # so P(N <= 3) = 0.8125 and P(N <= 4) = 0.890625. Poisson with mean 2 has P(N <= 3) = 0.857.
    assert arrivals_at_probability([2.0], 0.85, dispersion=2.0).tolist() == [4]
    assert arrivals_at_probability([2.0], 0.85).tolist() == [3]
    assert arrivals_at_probability([2.0], 0.8, dispersion=2.0).tolist() == [3]


def test_arrivals_expected_without_probability():
    expected = np.array([0.0, 2.5, 40.25])

    sized = arrivals_at_probability(expected, None)

    assert sized.tolist() == [0.0, 2.5, 40.25]
    assert sized is not expected


def test_arrivals_zero_mean_gives_zero():
    assert arrivals_at_probability([0.0, 0.0], 0.99, dispersion=3.0).tolist() == [0.0, 0.0]


@pytest.mark.parametrize(("arguments", "message"), [
    (([4.0], 1.0), "invalid service_level_probability 1.0"),
    (([4.0], 0.0), "invalid service_level_probability 0.0"),
    (([4.0], 0.8, 0.5), "invalid arrival dispersion 0.5"),
    (([-1.0], 0.8), "invalid expected arrivals -1.0"),
    (([float("nan")], 0.8), "invalid expected arrivals nan"),
], ids=["probability-one", "probability-zero", "under-dispersed", "negative", "nan"])
def test_arrivals_invalid_values_named(arguments, message):
    with pytest.raises(ValueError, match=message):
        arrivals_at_probability(*arguments)


@given(st.floats(0.0, 500.0), st.floats(0.0, 200.0), st.floats(0.05, 0.95), st.floats(1.0, 6.0))
def test_arrivals_never_fall_with_mean(mean, increase, probability, dispersion):
    lower, higher = arrivals_at_probability([mean, mean + increase], probability, dispersion)
    assert higher >= lower
    assert lower >= mean


@given(st.floats(0.01, 500.0), st.floats(0.05, 0.9), st.floats(0.0, 0.09), st.floats(1.0, 6.0))
def test_arrivals_never_fall_with_probability(mean, probability, increase, dispersion):
    lower, = arrivals_at_probability([mean], probability, dispersion)
    higher, = arrivals_at_probability([mean], probability + increase, dispersion)
    assert higher >= lower


def test_dispersion_pooled_over_intervals():
    # Interval 1: 10, 20, 30 (mean 20, variance 100); interval 2: 5, 5, 5 (mean 5, variance 0);
    # interval 3 has no arrival and is left out: 100 / 25 = 4.
    counts = [[10, 5, 0], [20, 5, 0], [30, 5, 0]]

    assert dispersion_from_counts(counts) == pytest.approx(4.0)


def test_dispersion_below_poisson_raised_to_one():
    assert dispersion_from_counts([[10, 3], [14, 3]]) == 1.0
    assert dispersion_from_counts([[0, 0], [0, 0]]) == 1.0


def test_dispersion_needs_two_weeks():
    with pytest.raises(ValueError, match=r"at least two weeks.*\(1, 3\)"):
        dispersion_from_counts([[1, 2, 3]])


def test_forecast_dispersion_adds_mean_error():
    assert forecast_dispersion(1.0, 1) == 2.0
    assert forecast_dispersion(3.0, 2) == pytest.approx(4.5)
    with pytest.raises(ValueError, match="invalid weeks_averaged 0"):
        forecast_dispersion(1.0, 0)


def test_plan_staffing_sized_for_probability():
    # Synthetic: 200 arrivals per hour give 100 per 30-minute interval. Staffing at probability 0.8
    # sizes each interval for the Poisson quantile of 100 (108 arrivals, 216 per hour, 10.8 Erlangs),
    # while the load and service level shown stay those of the expected 100 arrivals.
    role = dataclasses.replace(CARE, service_level_probability=0.8)
    week = Week(2024, 10, PARIS)

    staffing, intervals = plan_staffing(flat_forecast(week, {"calls": 25.0}), no_actions(), settings_for(role),
                                        {"calls": 100.0}, week)

    assert poisson_quantile_by_sum(100.0, 0.8) == 108
    assert intervals["sized_arrivals_per_hour"].unique().tolist() == [216.0]
    assert intervals["offered_load_erlangs"].unique().tolist() == [10.0]
    fractional = agents_for_service_level_fractional(10.8, 180, 20, 0.8, 0.85)
    assert intervals["agents_fractional"].unique().tolist() == pytest.approx([fractional])
    assert staffing["required_staff"].unique().tolist() == [math.ceil(fractional / 0.7)]
    assert staffing["expected_load"].unique().tolist() == [10.0]
    # Sized above the expected load, every interval's expected service level passes the target.
    assert (intervals["service_level"] > 0.8).all()


def test_plan_staffing_dispersion_adds_staff():
    week = Week(2024, 10, PARIS)
    forecast = flat_forecast(week, {"calls": 25.0})
    poisson_role = dataclasses.replace(CARE, service_level_probability=0.8)
    spread_role = dataclasses.replace(poisson_role, arrival_dispersion=3.0)

    poisson_staffing, _ = plan_staffing(forecast, no_actions(), settings_for(poisson_role), {"calls": 100.0}, week)
    spread_staffing, spread_intervals = plan_staffing(forecast, no_actions(), settings_for(spread_role),
                                                      {"calls": 100.0}, week)

    sized = arrivals_at_probability([100.0], 0.8, 3.0)[0]
    assert sized > 108
    assert spread_intervals["sized_arrivals_per_hour"].unique().tolist() == [2 * sized]
    assert (spread_staffing["required_staff"] > poisson_staffing["required_staff"]).all()


def test_settings_read_probability_and_dispersion(tmp_path):
    text = (BUNDLED_DATA / "milan" / "settings.toml").read_text(encoding="utf-8")
    anchor = "[staffing.roles.customer_care_agent]\n"
    path = tmp_path / "settings.toml"
    path.write_text(text.replace(anchor, anchor + "service_level_probability = 0.9\narrival_dispersion = 2.5\n"),
                    encoding="utf-8")

    roles = {role.name: role for role in load_settings(path).staffing.roles}

    assert roles["customer_care_agent"].service_level_probability == 0.9
    assert roles["customer_care_agent"].arrival_dispersion == 2.5
    assert roles["supervision_engineer"].service_level_probability == 0.8
    assert roles["supervision_engineer"].arrival_dispersion is None


@pytest.mark.parametrize(("line", "key"), [
    ("service_level_probability = 1.2", "service_level_probability"),
    ("arrival_dispersion = 0.5", "arrival_dispersion"),
], ids=["probability", "dispersion"])
def test_settings_reject_invalid_sizing(tmp_path, line, key):
    text = (BUNDLED_DATA / "milan" / "settings.toml").read_text(encoding="utf-8")
    anchor = "[staffing.roles.customer_care_agent]\n"
    path = tmp_path / "settings.toml"
    path.write_text(text.replace(anchor, anchor + line + "\n"), encoding="utf-8")

    with pytest.raises(InputError) as raised:
        load_settings(path)
    problems = [problem for problem in raised.value.problems
                if problem.column == f"staffing.roles.customer_care_agent.{key}"]
    assert len(problems) == 1
    assert "invalid value" in problems[0].message
