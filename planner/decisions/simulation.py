"""Discrete-event replay of calls through a staffing plan, to check it on real arrivals.

One FIFO queue is served by a number of agents that changes at interval
boundaries. Each call has an arrival time, a handle time and a patience: a
call still waiting when its patience runs out abandons. When the number of
agents drops at a boundary, agents finish the calls they are handling and
no new call starts until the busy count is below the new number.

Times are seconds from a common origin (the start of the first interval).
The replay is exact for these rules: it has no time step, so it reproduces a
hand-computed schedule, which the tests check on deterministic arrivals.
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ReplayResult:
    """Outcome of every replayed call, in the order of the input arrays.

    ``answered`` is true for a call that reached an agent. ``wait_seconds``
    is the time from arrival to answer, or to abandonment for a call that
    abandoned.
    """

    answered: np.ndarray
    wait_seconds: np.ndarray

    def answered_within(self, answer_time_seconds: float) -> np.ndarray:
        """Flag the calls answered within ``answer_time_seconds``; abandoned calls are false."""
        return self.answered & (self.wait_seconds <= answer_time_seconds)


def replay_calls(arrival_seconds: np.ndarray, handle_time_seconds: np.ndarray, patience_seconds: np.ndarray,
                 agents_per_interval: np.ndarray, interval_seconds: float) -> ReplayResult:
    """Replay calls through a FIFO queue whose agents change per interval.

    Parameters
    ----------
    arrival_seconds : ndarray of float
        Arrival times, sorted ascending, >= 0.
    handle_time_seconds : ndarray of float
        Handle time of each call if answered, >= 0.
    patience_seconds : ndarray of float
        How long each call waits before it abandons, >= 0 (``inf`` never).
    agents_per_interval : ndarray of int
        Agents on duty in interval ``k``, which covers
        ``[k·interval_seconds, (k+1)·interval_seconds)``. After the last
        interval the last count stays on duty until every call is settled.
    interval_seconds : float
        Length of an interval, > 0.

    Returns
    -------
    ReplayResult

    Raises
    ------
    ValueError
        If the arrays differ in length, the arrivals are not sorted or a
        value is negative.
    """
    arrivals = np.asarray(arrival_seconds, dtype=float)
    handles = np.asarray(handle_time_seconds, dtype=float)
    patience = np.asarray(patience_seconds, dtype=float)
    agents = np.asarray(agents_per_interval, dtype=np.int64)
    if not arrivals.shape == handles.shape == patience.shape:
        raise ValueError(f"arrival, handle time and patience arrays differ in length: {arrivals.shape}, "
                         f"{handles.shape}, {patience.shape}")
    if arrivals.size and (np.any(np.diff(arrivals) < 0) or arrivals[0] < 0):
        raise ValueError("arrival times must be sorted ascending and >= 0")
    if np.any(handles < 0) or np.any(patience < 0) or np.any(agents < 0):
        raise ValueError("handle times, patience and agent counts must be >= 0")
    if interval_seconds <= 0 or agents.size == 0:
        raise ValueError(f"need a positive interval length and at least one interval, got {interval_seconds!r} "
                         f"and {agents.size} intervals")

    answered = np.zeros(arrivals.size, dtype=bool)
    waits = np.zeros(arrivals.size)
    _Replay(arrivals, handles, patience, agents, float(interval_seconds), answered, waits).run()
    return ReplayResult(answered=answered, wait_seconds=waits)


def least_agents_per_interval(arrival_seconds: np.ndarray, handle_time_seconds: np.ndarray,
                              patience_seconds: np.ndarray, planned_agents: np.ndarray, interval_seconds: float,
                              answer_time_seconds: float, service_level_target: float) -> np.ndarray:
    """Find, interval by interval, the fewest agents whose calls meet the service level target.

    Intervals are settled in time order: interval ``k`` gets the fewest
    agents for which the calls arriving in it reach the target, with the
    intervals before it at their least counts and the intervals after it at
    ``planned_agents``. An interval without calls needs 0 agents. Because
    the queue is FIFO, later arrivals never change the outcome of earlier
    calls, so each trial replays only the calls up to the end of the
    interval. The search assumes that the interval's service level does not
    fall when agents are added: it doubles an upper bound from the planned
    count, then bisects.

    Returns
    -------
    ndarray of int
        Fewest agents per interval that meet the target.
    """
    arrivals = np.asarray(arrival_seconds, dtype=float)
    handles = np.asarray(handle_time_seconds, dtype=float)
    patience = np.asarray(patience_seconds, dtype=float)
    interval_of_call = np.floor(arrivals / interval_seconds).astype(np.int64)
    least = np.asarray(planned_agents, dtype=np.int64).copy()

    for interval in range(least.size):
        calls = np.flatnonzero(interval_of_call == interval)
        if calls.size == 0:
            least[interval] = 0
            continue
        end = calls[-1] + 1

        def meets(count: int) -> bool:
            trial = least.copy()
            trial[interval] = count
            result = replay_calls(arrivals[:end], handles[:end], patience[:end], trial, interval_seconds)
            return bool(result.answered_within(answer_time_seconds)[calls].mean() >= service_level_target)

        high = max(int(least[interval]), 1)
        while not meets(high):
            high *= 2
        low = -1  # Below every count; the bisection tests 0 itself.
        while high - low > 1:
            middle = (low + high) // 2
            if meets(middle):
                high = middle
            else:
                low = middle
        least[interval] = high
    return least


# ---------------------------------------------------------------------------
# Private helpers
# ---------------------------------------------------------------------------


class _Replay:
    """State of one replay: the busy agents' end times and the waiting calls."""

    def __init__(self, arrivals: np.ndarray, handles: np.ndarray, patience: np.ndarray, agents: np.ndarray,
                 interval_seconds: float, answered: np.ndarray, waits: np.ndarray) -> None:
        self.arrivals = arrivals
        self.handles = handles
        self.deadlines = arrivals + patience
        self.agents = agents
        self.interval_seconds = interval_seconds
        self.answered = answered
        self.waits = waits
        self.busy_until: list[float] = []
        self.queue: deque[int] = deque()

    def on_duty(self, time: float) -> int:
        index = min(int(time // self.interval_seconds), self.agents.size - 1)
        return int(self.agents[index])

    def run(self) -> None:
        next_call = 0
        time = 0.0
        total = self.arrivals.size
        while next_call < total or self.queue:
            candidates = []
            if next_call < total:
                candidates.append(self.arrivals[next_call])
            if self.busy_until:
                candidates.append(self.busy_until[0])
            boundary = (math.floor(time / self.interval_seconds) + 1) * self.interval_seconds
            if boundary < self.agents.size * self.interval_seconds:
                candidates.append(boundary)
            if not candidates:
                # No arrival, no busy agent and no later boundary: the queued calls wait with no agent.
                self.abandon_all()
                return
            time = min(candidates)

            while self.busy_until and self.busy_until[0] <= time:
                heapq.heappop(self.busy_until)
            while next_call < total and self.arrivals[next_call] <= time:
                self.queue.append(next_call)
                next_call += 1
            self.start_calls(time)

    def start_calls(self, time: float) -> None:
        """Answer waiting calls in FIFO order while an agent on duty is free."""
        capacity = self.on_duty(time)
        while self.queue and len(self.busy_until) < capacity:
            call = self.queue.popleft()
            if self.deadlines[call] < time:
                self.waits[call] = self.deadlines[call] - self.arrivals[call]
                continue
            self.answered[call] = True
            self.waits[call] = time - self.arrivals[call]
            heapq.heappush(self.busy_until, time + self.handles[call])
        # Calls whose patience ran out while others were served stay queued until an agent frees;
        # their outcome does not depend on when they are removed, because they are never answered.

    def abandon_all(self) -> None:
        while self.queue:
            call = self.queue.popleft()
            self.waits[call] = self.deadlines[call] - self.arrivals[call]
