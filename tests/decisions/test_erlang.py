"""Erlang B and C against published references, exact sums and properties."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.decisions.erlang import (
    agents_for_service_level,
    agents_for_service_level_fractional,
    average_speed_of_answer,
    erlang_b,
    erlang_c,
    occupancy,
    servers_for_blocking,
    service_level,
    service_level_fractional,
)


def exact_erlang_b(servers: int, load: float) -> float:
    """Erlang B from its closed form, summed in log space (independent of the recursion)."""
    log_terms = [k * math.log(load) - math.lgamma(k + 1) for k in range(servers + 1)]
    top = max(log_terms)
    log_sum = top + math.log(math.fsum(math.exp(t - top) for t in log_terms))
    return math.exp(log_terms[-1] - log_sum)


@pytest.fixture(scope="module")
def erlang_c_examples(erlang_reference_dir):
    return pd.read_csv(erlang_reference_dir / "erlang_c_published_examples.csv").set_index("case_id")


def test_erlang_c_published_example(erlang_c_examples):
    case = erlang_c_examples.loc["cran_erlangc_erlang_c"]
    load = case["calls"] / case["period_s"] * case["aht_s"]
    servers = int(case["agents_N"])

    assert load == pytest.approx(case["traffic_A_erlangs"])
    assert round(erlang_c(servers, load), 7) == case["expected_wait_probability"]
    assert round(service_level(servers, load, case["aht_s"], case["target_answer_s"]), 5) == \
        case["expected_service_level"]
    assert round(average_speed_of_answer(servers, load, case["aht_s"]), 5) == round(case["expected_asa_s"], 5)
    assert round(occupancy(servers, load), 7) == case["expected_occupancy"]


def test_agents_published_calculate_agents(erlang_c_examples):
    case = erlang_c_examples.loc["cran_erlangc_calculate_agents"]
    load = case["calls"] / case["period_s"] * case["aht_s"]
    extras = dict(item.split("=") for item in case["extra_inputs"].split("; "))

    agents = agents_for_service_level(load, case["aht_s"], case["target_answer_s"],
                                      float(extras["require_service_level"]), float(extras["max_occupancy"]))

    assert agents == case["expected_agents_required"]


def test_erlang_b_offered_traffic_table(erlang_reference_dir):
    table = pd.read_csv(erlang_reference_dir / "erlang_b_offered_traffic_table.csv")
    for _, row in table.iterrows():
        servers = int(row["servers_N"])
        for target in (0.01, 0.02, 0.05):
            table_load = row[f"A_erlangs_at_B_{target}"]
            low, high = 0.0, 2.0 * servers + 10.0
            for _ in range(60):
                middle = (low + high) / 2
                low, high = (middle, high) if erlang_b(servers, middle) < target else (low, middle)
            assert low == pytest.approx(table_load, abs=1e-3), (servers, target)
            assert servers_for_blocking(table_load - 0.01, target) == servers, (servers, target)
            assert servers_for_blocking(table_load + 0.01, target) == servers + 1, (servers, target)


def test_erlang_b_published_30_lines(erlang_reference_dir):
    case = pd.read_csv(erlang_reference_dir / "erlang_b_published_examples.csv").iloc[0]

    blocking = erlang_b(int(case["servers_N"]), case["offered_A_erlangs"])

    assert blocking == pytest.approx(case["expected_blocking"], abs=case["tolerance"])
    assert blocking == pytest.approx(0.0526, abs=5e-5)


@pytest.mark.parametrize("servers, load", [(1500, 1500.0), (1550, 1500.0), (10000, 10000.0), (10300, 10000.0),
                                           (9000, 10000.0), (10, 0.37)])
def test_erlang_b_matches_exact_sum(servers, load):
    assert erlang_b(servers, load) == pytest.approx(exact_erlang_b(servers, load), rel=1e-9)


def test_erlang_b_large_load_finite():
    blocking = erlang_b(10000, 10000.0)

    assert math.isfinite(blocking)
    assert blocking == pytest.approx(1 / math.sqrt(math.pi * 10000 / 2), rel=0.01)
    assert erlang_b(1500, 1500.0) > 0.02
    assert erlang_b(12000, 10000.0) > 0.0


def test_erlang_c_large_load_finite():
    waiting = erlang_c(10100, 10000.0)
    level = service_level(10100, 10000.0, 180, 20)
    speed = average_speed_of_answer(10100, 10000.0, 180)

    assert 0 < waiting < 1
    assert 0 < level < 1
    assert math.isfinite(speed)
    assert speed > 0
    assert waiting == pytest.approx(10100 * exact_erlang_b(10100, 10000.0)
                                    / (10100 - 10000 * (1 - exact_erlang_b(10100, 10000.0))), rel=1e-9)


def test_inverses_large_load_consistent():
    servers = servers_for_blocking(10000.0, 0.01)
    agents = agents_for_service_level(10000.0, 180, 20, 0.8)
    fractional = agents_for_service_level_fractional(10000.0, 180, 20, 0.8)

    assert erlang_b(servers, 10000.0) <= 0.01 < erlang_b(servers - 1, 10000.0)
    assert service_level(agents, 10000.0, 180, 20) >= 0.8 > service_level(agents - 1, 10000.0, 180, 20)
    assert agents - 1 < fractional <= agents


def test_erlang_c_unstable_queue():
    assert erlang_c(10, 10.0) == 1.0
    assert erlang_c(9, 10.0) == 1.0
    assert service_level(10, 10.0, 180, 20) == 0.0
    assert average_speed_of_answer(10, 10.0, 180) == math.inf
    assert occupancy(9, 10.0) == 1.0


def test_erlang_zero_load_conventions():
    assert erlang_b(0, 0.0) == 1.0
    assert erlang_b(3, 0.0) == 0.0
    assert erlang_c(0, 0.0) == 0.0
    assert service_level(0, 0.0, 180, 20) == 1.0
    assert average_speed_of_answer(0, 0.0, 180) == 0.0
    assert occupancy(0, 0.0) == 0.0
    assert servers_for_blocking(0.0) == 0
    assert agents_for_service_level(0.0, 180, 20, 0.8) == 0
    assert agents_for_service_level_fractional(0.0, 180, 20, 0.8) == 0.0


def test_erlang_arrays_match_scalars():
    servers = np.array([[1, 5], [14, 30]])
    loads = np.array([[0.5, 2.0], [10.0, 25.0]])

    blocking = erlang_b(servers, loads)

    assert blocking.shape == (2, 2)
    for index in np.ndindex(servers.shape):
        assert blocking[index] == erlang_b(int(servers[index]), float(loads[index]))
    agents = agents_for_service_level(loads, 180, 20, 0.8)
    assert agents.tolist() == [[agents_for_service_level(float(v), 180, 20, 0.8) for v in row] for row in loads]


def test_erlang_invalid_inputs_raise():
    with pytest.raises(ValueError, match="number of servers"):
        erlang_b(2.5, 1.0)
    with pytest.raises(ValueError, match="number of servers"):
        erlang_b(-1, 1.0)
    with pytest.raises(ValueError, match="offered load"):
        erlang_c(3, float("nan"))
    with pytest.raises(ValueError, match="handle time"):
        service_level(3, 1.0, 0, 20)
    with pytest.raises(ValueError, match="service level target"):
        agents_for_service_level(1.0, 180, 20, 1.0)
    with pytest.raises(ValueError, match="blocking target"):
        servers_for_blocking(1.0, 0.0)


def test_agents_fractional_published_example():
    fractional = agents_for_service_level_fractional(10.0, 180, 20, 0.8, 0.85)
    level_13 = service_level(13, 10.0, 180, 20)
    level_14 = service_level(14, 10.0, 180, 20)

    assert fractional == pytest.approx(13 + (0.8 - level_13) / (level_14 - level_13), rel=1e-12)
    assert service_level_fractional(fractional, 10.0, 180, 20) == pytest.approx(0.8, rel=1e-12)


def test_agents_occupancy_cap_binds():
    # 8.5 Erlangs at 85 % occupancy need exactly 10 agents, not 11 from float rounding.
    assert agents_for_service_level(8.5, 10, 3600, 0.5, 0.85) == 10
    assert agents_for_service_level_fractional(8.5, 10, 3600, 0.5, 0.85) == pytest.approx(10.0)
    assert agents_for_service_level(8.5, 10, 3600, 0.5) < 10


def test_service_level_fractional_interpolates():
    levels = service_level_fractional([13.0, 13.25, 14.0], 10.0, 180, 20)
    level_13 = service_level(13, 10.0, 180, 20)
    level_14 = service_level(14, 10.0, 180, 20)

    assert levels[0] == level_13
    assert levels[1] == pytest.approx(0.75 * level_13 + 0.25 * level_14)
    assert levels[2] == level_14


loads = st.floats(min_value=0.0, max_value=300.0, allow_nan=False)
targets = st.floats(min_value=0.05, max_value=0.99)


@settings(max_examples=60, deadline=None)
@given(first=loads, second=loads, target=targets)
def test_servers_for_blocking_monotone_in_load(first, second, target):
    low, high = sorted((first, second))

    assert servers_for_blocking(low, target) <= servers_for_blocking(high, target)


@settings(max_examples=60, deadline=None)
@given(first=loads, second=loads, target=targets, occupancy_cap=st.floats(min_value=0.5, max_value=1.0))
def test_agents_monotone_in_load(first, second, target, occupancy_cap):
    low, high = sorted((first, second))

    assert agents_for_service_level(low, 180, 20, target, occupancy_cap) <= \
        agents_for_service_level(high, 180, 20, target, occupancy_cap)
    assert agents_for_service_level_fractional(low, 180, 20, target, occupancy_cap) <= \
        agents_for_service_level_fractional(high, 180, 20, target, occupancy_cap) + 1e-9


@settings(max_examples=60, deadline=None)
@given(load=loads, handle=st.floats(min_value=1.0, max_value=3600.0),
       answer=st.floats(min_value=0.0, max_value=600.0))
def test_service_level_rises_with_servers(load, handle, answer):
    servers = np.arange(0, int(load) + 40)

    levels = service_level(servers, load, handle, answer)

    assert np.all(np.diff(levels) >= -1e-12)


@settings(max_examples=80, deadline=None)
@given(servers=st.integers(min_value=0, max_value=400), load=loads,
       handle=st.floats(min_value=1.0, max_value=3600.0), answer=st.floats(min_value=0.0, max_value=600.0))
def test_probabilities_within_unit_interval(servers, load, handle, answer):
    for value in (erlang_b(servers, load), erlang_c(servers, load), service_level(servers, load, handle, answer),
                  occupancy(servers, load)):
        assert 0.0 <= value <= 1.0


@settings(max_examples=60, deadline=None)
@given(load=st.floats(min_value=0.01, max_value=300.0), target=targets,
       occupancy_cap=st.floats(min_value=0.5, max_value=1.0))
def test_agents_fewest_meeting_target(load, target, occupancy_cap):
    agents = agents_for_service_level(load, 180, 20, target, occupancy_cap)
    fractional = agents_for_service_level_fractional(load, 180, 20, target, occupancy_cap)

    assert service_level(agents, load, 180, 20) >= target
    assert load / agents <= occupancy_cap + 1e-9
    assert (service_level(agents - 1, load, 180, 20) < target
            or load / (agents - 1) > occupancy_cap * (1 - 1e-9))
    assert math.ceil(fractional - 1e-9) == agents
