"""Replay of calls through a staffing plan, on synthetic cases with hand-computed answers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from planner.decisions.simulation import least_agents_per_interval, replay_calls


def test_replay_calls_single_agent_fifo():
    # Synthetic: one agent, calls every 60 s lasting 90 s, infinite patience.
    # Starts at 0, 90, 180, 270, so the waits are 0, 30, 60, 90.
    arrivals = np.array([0.0, 60.0, 120.0, 180.0])
    result = replay_calls(arrivals, np.full(4, 90.0), np.full(4, math.inf), np.array([1]), 1800.0)

    assert result.answered.tolist() == [True, True, True, True]
    assert result.wait_seconds.tolist() == [0.0, 30.0, 60.0, 90.0]
    assert result.answered_within(30.0).tolist() == [True, True, False, False]


def test_replay_calls_patience_abandons():
    # Synthetic: the third call would wait 60 s but its patience is 45 s, so it abandons at 45 s;
    # the fourth call then starts at 180 s and waits 0 s.
    arrivals = np.array([0.0, 60.0, 120.0, 180.0])
    patience = np.array([math.inf, math.inf, 45.0, math.inf])
    result = replay_calls(arrivals, np.full(4, 90.0), patience, np.array([1]), 1800.0)

    assert result.answered.tolist() == [True, True, False, True]
    assert result.wait_seconds.tolist() == [0.0, 30.0, 45.0, 0.0]


def test_replay_calls_agents_change_at_boundary():
    # Synthetic: no agent in the first 100 s, two after; both calls start at 100 s.
    arrivals = np.array([10.0, 20.0])
    result = replay_calls(arrivals, np.full(2, 50.0), np.full(2, math.inf), np.array([0, 2]), 100.0)

    assert result.wait_seconds.tolist() == [90.0, 80.0]
    assert result.answered.all()


def test_replay_calls_drop_lets_calls_finish():
    # Synthetic: two agents until 100 s, then one. Calls at 0 and 10 last 200 s, so the third call,
    # arriving at 150 s, waits for the first call to end at 200 s, and then the second ends at 210 s.
    arrivals = np.array([0.0, 10.0, 150.0])
    result = replay_calls(arrivals, np.full(3, 200.0), np.full(3, math.inf), np.array([2, 1]), 100.0)

    assert result.wait_seconds.tolist() == [0.0, 0.0, 60.0]


def test_replay_calls_no_agent_ever():
    result = replay_calls(np.array([5.0]), np.array([10.0]), np.array([30.0]), np.array([0]), 100.0)

    assert result.answered.tolist() == [False]
    assert result.wait_seconds.tolist() == [30.0]


def test_least_agents_deterministic_arrivals():
    # Synthetic: 10 calls at the same instant in interval 0, each lasting 100 s; the target is 80 %
    # answered within 0 s, so 8 agents are the fewest. Interval 1 has no call and needs 0.
    arrivals = np.full(10, 5.0)
    least = least_agents_per_interval(arrivals, np.full(10, 100.0), np.full(10, math.inf),
                                      np.array([3, 4]), 1800.0, 0.0, 0.8)

    assert least.tolist() == [8, 0]


def test_replay_calls_rejects_unsorted():
    with pytest.raises(ValueError, match="sorted"):
        replay_calls(np.array([5.0, 1.0]), np.ones(2), np.ones(2), np.array([1]), 100.0)
