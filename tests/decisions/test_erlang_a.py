"""Erlang A against a truncated birth-death chain, the Erlang C limit and properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special

from planner.decisions import erlang, erlang_a


def chain_measures(servers: int, load: float, handle: float, patience: float, answer: float) -> dict[str, float]:
    """Solve the M/M/N+M birth-death chain in log space, truncated where its weights are negligible.

    The state is the number of callers in the system. A caller who finds
    ``j`` others waiting is answered unless its patience ends first, and the
    time to answer is a sum of exponentials whose law is that of
    ``−patience·log U`` with ``U ~ Beta(x, j+1)``, ``x = N·patience/handle``.
    """
    service_rate, abandon_rate = 1.0 / handle, 1.0 / patience
    arrival_rate = load * service_rate
    waiting_scale = arrival_rate / abandon_rate
    states = int(servers + load + 2 * waiting_scale + 40 * math.sqrt(load + waiting_scale + 1) + 200)
    log_weights = np.zeros(states)
    for n in range(1, states):
        rate = n * service_rate if n <= servers else servers * service_rate + (n - servers) * abandon_rate
        log_weights[n] = log_weights[n - 1] + math.log(arrival_rate) - math.log(rate)
    weights = np.exp(log_weights - log_weights.max())
    probabilities = weights / weights.sum()
    assert probabilities[-1] < 1e-30, "truncate the chain further"

    waiting = probabilities[servers:]
    ahead = np.arange(waiting.size)
    x = servers * patience / handle
    z = math.exp(-answer / patience)
    answered_share = x / (x + ahead + 1)
    answered_in_time = answered_share * (1.0 - special.betainc(x + 1, ahead + 1, z))
    harmonic = np.cumsum(1.0 / (x + ahead + 1))
    abandonment = abandon_rate * float((ahead * waiting).sum()) / arrival_rate
    return {
        "wait": float(waiting.sum()),
        "abandon": abandonment,
        "service_level": 1.0 - float(waiting.sum()) + float((waiting * answered_in_time).sum()),
        "speed": float((waiting * answered_share * harmonic).sum()) * patience / (1.0 - abandonment),
    }


CASES = [
    (10, 8.0, 180.0, 120.0, 20.0),
    (5, 8.0, 180.0, 60.0, 20.0),
    (14, 10.0, 180.0, 300.0, 20.0),
    (1, 0.5, 100.0, 50.0, 10.0),
    (30, 40.0, 200.0, 100.0, 30.0),
    (1480, 1500.0, 180.0, 90.0, 20.0),
    (1530, 1500.0, 180.0, 600.0, 15.0),
]


@pytest.mark.parametrize("servers, load, handle, patience, answer", CASES)
def test_erlang_a_matches_birth_death_chain(servers, load, handle, patience, answer):
    expected = chain_measures(servers, load, handle, patience, answer)

    assert erlang_a.wait_probability(servers, load, handle, patience) == pytest.approx(expected["wait"], rel=1e-9)
    assert erlang_a.abandonment_probability(servers, load, handle, patience) == \
        pytest.approx(expected["abandon"], rel=1e-7, abs=1e-14)
    assert erlang_a.service_level(servers, load, handle, patience, answer) == \
        pytest.approx(expected["service_level"], rel=1e-9)
    assert erlang_a.average_speed_of_answer(servers, load, handle, patience) == \
        pytest.approx(expected["speed"], rel=1e-6)


@pytest.mark.parametrize("servers, load", [(14, 10.0), (1520, 1500.0), (10100, 10000.0)])
def test_erlang_a_long_patience_is_erlang_c(servers, load):
    patience = 1e9

    assert erlang_a.wait_probability(servers, load, 180, patience) == pytest.approx(erlang.erlang_c(servers, load),
                                                                                    rel=1e-5)
    assert erlang_a.service_level(servers, load, 180, patience, 20) == \
        pytest.approx(erlang.service_level(servers, load, 180, 20), rel=1e-5)
    assert erlang_a.average_speed_of_answer(servers, load, 180, patience) == \
        pytest.approx(erlang.average_speed_of_answer(servers, load, 180), rel=1e-4)
    assert erlang_a.abandonment_probability(servers, load, 180, patience) < 1e-5


def test_erlang_a_infinite_patience_delegates():
    assert erlang_a.service_level(14, 10.0, 180, math.inf, 20) == erlang.service_level(14, 10.0, 180, 20)
    assert erlang_a.abandonment_probability(14, 10.0, 180, math.inf) == 0.0
    assert erlang_a.service_level(9, 10.0, 180, math.inf, 20) == 0.0
    assert erlang_a.average_speed_of_answer(9, 10.0, 180, math.inf) == math.inf


@pytest.mark.parametrize("servers", [1500, 9000, 10000, 10300, 11000, 20000])
def test_erlang_a_large_load_finite(servers):
    load = 10000.0 if servers > 1500 else 1500.0
    values = [erlang_a.wait_probability(servers, load, 180, 120),
              erlang_a.abandonment_probability(servers, load, 180, 120),
              erlang_a.service_level(servers, load, 180, 120, 20),
              erlang_a.occupancy(servers, load, 180, 120)]
    speed = erlang_a.average_speed_of_answer(servers, load, 180, 120)

    for value in values:
        assert 0.0 <= value <= 1.0
    assert math.isfinite(speed)
    assert speed >= 0.0


def test_erlang_a_overload_stays_stable():
    # 9,000 agents for 10,000 Erlangs: Erlang C is unstable, but a tenth of the callers abandon.
    abandonment = erlang_a.abandonment_probability(9000, 10000.0, 180, 120)

    assert erlang_a.wait_probability(9000, 10000.0, 180, 120) == pytest.approx(1.0, abs=1e-9)
    assert abandonment == pytest.approx(0.1, rel=1e-3)
    assert erlang_a.occupancy(9000, 10000.0, 180, 120) == pytest.approx(1.0, abs=1e-6)


def test_erlang_a_no_false_zero_near_load():
    waiting = erlang_a.wait_probability(10300, 10000.0, 180, 120)
    abandonment = erlang_a.abandonment_probability(10300, 10000.0, 180, 120)

    assert 0.0 < abandonment < waiting < 1.0


def test_erlang_a_zero_load_and_agents():
    assert erlang_a.wait_probability(0, 0.0, 180, 60) == 0.0
    assert erlang_a.service_level(3, 0.0, 180, 60, 20) == 1.0
    assert erlang_a.average_speed_of_answer(3, 0.0, 180, 60) == 0.0
    assert erlang_a.wait_probability(0, 2.0, 180, 60) == 1.0
    assert erlang_a.abandonment_probability(0, 2.0, 180, 60) == 1.0
    assert erlang_a.service_level(0, 2.0, 180, 60, 20) == 0.0
    assert erlang_a.average_speed_of_answer(0, 2.0, 180, 60) == math.inf
    assert erlang_a.agents_for_service_level(0.0, 180, 60, 20, 0.8) == 0


def test_erlang_a_invalid_inputs_raise():
    with pytest.raises(ValueError, match="patience"):
        erlang_a.service_level(3, 1.0, 180, 0.0, 20)
    with pytest.raises(ValueError, match="number of servers"):
        erlang_a.wait_probability(2.5, 1.0, 180, 60)
    with pytest.raises(ValueError, match="service level target"):
        erlang_a.agents_for_service_level(1.0, 180, 60, 20, 1.0)


def test_erlang_a_inverse_large_load():
    agents = erlang_a.agents_for_service_level(10000.0, 180, 120, 20, 0.8)
    fractional = erlang_a.agents_for_service_level_fractional(10000.0, 180, 120, 20, 0.8)

    assert erlang_a.service_level(agents, 10000.0, 180, 120, 20) >= 0.8
    assert erlang_a.service_level(agents - 1, 10000.0, 180, 120, 20) < 0.8
    assert agents - 1 < fractional <= agents


def test_erlang_a_inverse_matches_erlang_c_limit():
    # The published Erlang C example needs 14 agents for 10 Erlangs at 80 % in 20 s and 85 % occupancy.
    assert erlang_a.agents_for_service_level(10.0, 180, math.inf, 20, 0.8, 0.85) == 14
    assert erlang_a.agents_for_service_level_fractional(10.0, 180, math.inf, 20, 0.8, 0.85) == \
        pytest.approx(erlang.agents_for_service_level_fractional(10.0, 180, 20, 0.8, 0.85), rel=1e-9)


def test_erlang_a_abandonment_lowers_need():
    patient = erlang_a.agents_for_service_level(50.0, 180, 1e6, 60, 0.8)
    impatient = erlang_a.agents_for_service_level(50.0, 180, 60, 60, 0.5)

    assert impatient < 50 < patient


def test_erlang_a_service_level_fractional_inverse():
    fractional = erlang_a.agents_for_service_level_fractional(10.0, 180, 120, 20, 0.8)

    assert erlang_a.service_level_fractional(fractional, 10.0, 180, 120, 20) == pytest.approx(0.8, rel=1e-9)


loads = st.floats(min_value=0.0, max_value=200.0, allow_nan=False)
patiences = st.floats(min_value=5.0, max_value=3600.0)
targets = st.floats(min_value=0.05, max_value=0.99)


@settings(max_examples=50, deadline=None)
@given(load=loads, patience=patiences, answer=st.floats(min_value=0.0, max_value=600.0))
def test_erlang_a_service_level_rises_with_servers(load, patience, answer):
    servers = np.arange(0, int(load) + 40)

    levels = erlang_a.service_level(servers, load, 180, patience, answer)

    assert np.all(np.diff(levels) >= -1e-12)


@settings(max_examples=60, deadline=None)
@given(servers=st.integers(min_value=0, max_value=300), load=loads, patience=patiences,
       answer=st.floats(min_value=0.0, max_value=600.0))
def test_erlang_a_probabilities_in_unit_interval(servers, load, patience, answer):
    values = (erlang_a.wait_probability(servers, load, 180, patience),
              erlang_a.abandonment_probability(servers, load, 180, patience),
              erlang_a.service_level(servers, load, 180, patience, answer),
              erlang_a.occupancy(servers, load, 180, patience))
    for value in values:
        assert 0.0 <= value <= 1.0
    assert erlang_a.average_speed_of_answer(servers, load, 180, patience) >= 0.0


@settings(max_examples=40, deadline=None)
@given(first=loads, second=loads, patience=patiences, target=targets,
       occupancy_cap=st.floats(min_value=0.5, max_value=1.0))
def test_erlang_a_agents_monotone_in_load(first, second, patience, target, occupancy_cap):
    low, high = sorted((first, second))

    assert erlang_a.agents_for_service_level(low, 180, patience, 20, target, occupancy_cap) <= \
        erlang_a.agents_for_service_level(high, 180, patience, 20, target, occupancy_cap)


@settings(max_examples=40, deadline=None)
@given(load=st.floats(min_value=0.01, max_value=200.0), patience=patiences, target=targets,
       occupancy_cap=st.floats(min_value=0.5, max_value=1.0))
def test_erlang_a_agents_fewest_meeting_target(load, patience, target, occupancy_cap):
    agents = erlang_a.agents_for_service_level(load, 180, patience, 20, target, occupancy_cap)
    fractional = erlang_a.agents_for_service_level_fractional(load, 180, patience, 20, target, occupancy_cap)

    assert erlang_a.service_level(agents, load, 180, patience, 20) >= target
    assert erlang_a.occupancy(agents, load, 180, patience) <= occupancy_cap * (1 + 1e-9)
    assert (erlang_a.service_level(agents - 1, load, 180, patience, 20) < target
            or erlang_a.occupancy(agents - 1, load, 180, patience) > occupancy_cap * (1 + 1e-9))
    assert math.ceil(fractional - 1e-9) == agents
