"""Erlang B and Erlang C queueing formulas and their inverses.

Erlang B gives the blocking probability of a loss system (voice channels at a
grade of service). Erlang C gives the probability of waiting in a queue
served by ``N`` agents, and from it the service level, the average speed of
answer and the agents needed for a service level target. Erlang C assumes
Poisson arrivals, exponential handle times and callers who never abandon
(infinite patience), so it overstates waiting when callers hang up.

Every function accepts scalars or array-likes (broadcast against each other)
and returns a Python number for scalar inputs, else a numpy array. Erlang B
is computed by the recursion ``B(0) = 1``, ``B(n) = A·B(n−1) / (n + A·B(n−1))``,
which stays in [0, 1] without factorials or powers. It therefore neither
overflows nor returns NaN at 10,000 Erlangs, and it only reaches zero where
the true value is below the smallest double.

Conventions for a zero offered load: no call waits or is blocked, so
``erlang_c`` is 0, ``service_level`` is 1, ``average_speed_of_answer`` is 0
and the inverses need 0 servers, whatever the number of servers.
``erlang_b(0, 0)`` is 1 by the recursion's definition of ``B(0)``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

# Relative slack for ratios that should land on a whole number, such as
# 8.5 Erlangs at 85 % occupancy, so that float rounding does not add a server.
_RELATIVE_TOLERANCE = 1e-9


def erlang_b(servers: ArrayLike, offered_load_erlangs: ArrayLike) -> float | np.ndarray:
    """Compute the Erlang B blocking probability.

    Parameters
    ----------
    servers : int or array-like of int
        Number of servers (channels, trunks), each >= 0.
    offered_load_erlangs : float or array-like of float
        Offered traffic in Erlangs, finite and >= 0. Fractional loads are fine.

    Returns
    -------
    float or ndarray
        Probability in [0, 1] that an arriving call finds every server busy.

    Raises
    ------
    ValueError
        If a server count is negative or not a whole number, or a load is
        negative, NaN or infinite.
    """
    servers_array, loads, scalar = _broadcast(servers, offered_load_erlangs)
    blocking = _erlang_b_by_recursion(servers_array.ravel(), loads.ravel()).reshape(loads.shape)
    return _output(blocking, scalar)


def erlang_c(servers: ArrayLike, offered_load_erlangs: ArrayLike) -> float | np.ndarray:
    """Compute the Erlang C probability that a call has to wait.

    ``C = N·B / (N − A·(1 − B))`` with ``B`` the Erlang B blocking. When
    ``N <= A`` the queue grows without bound and the result is 1.

    Parameters
    ----------
    servers : int or array-like of int
        Number of agents ``N``, each >= 0.
    offered_load_erlangs : float or array-like of float
        Offered load ``A`` in Erlangs (arrival rate times handle time).

    Returns
    -------
    float or ndarray
        Probability in [0, 1] of waiting.
    """
    servers_array, loads, scalar = _broadcast(servers, offered_load_erlangs)
    return _output(_erlang_c(servers_array, loads), scalar)


def service_level(servers: ArrayLike, offered_load_erlangs: ArrayLike, handle_time_seconds: ArrayLike,
                  answer_time_seconds: ArrayLike) -> float | np.ndarray:
    """Compute the share of calls answered within ``answer_time_seconds``.

    ``SL = 1 − C·exp(−(N − A)·T / AHT)``, clipped to [0, 1]. It is 0 when
    ``N <= A`` because the queue is unstable.

    Parameters
    ----------
    servers : int or array-like of int
        Number of agents ``N``.
    offered_load_erlangs : float or array-like of float
        Offered load ``A`` in Erlangs.
    handle_time_seconds : float or array-like of float
        Average handle time ``AHT``, > 0.
    answer_time_seconds : float or array-like of float
        Target answer time ``T``, >= 0.

    Returns
    -------
    float or ndarray
        Service level in [0, 1].
    """
    servers_array, loads, scalar = _broadcast(servers, offered_load_erlangs)
    handle, answer = _times(handle_time_seconds, answer_time_seconds)
    return _output(_service_level(servers_array, loads, handle, answer), scalar)


def service_level_fractional(agents: ArrayLike, offered_load_erlangs: ArrayLike, handle_time_seconds: float,
                             answer_time_seconds: float) -> float | np.ndarray:
    """Compute the service level for a fractional number of agents.

    The value is interpolated linearly between the service levels of the
    whole numbers of agents either side, which makes it the inverse of
    :func:`agents_for_service_level_fractional`. A fractional count arises
    when whole staff are scaled by shrinkage (10 staff at 30 % shrinkage give
    7.0 agents on average, 11 staff give 7.7).

    Parameters
    ----------
    agents : float or array-like of float
        Agents available, >= 0.
    offered_load_erlangs, handle_time_seconds, answer_time_seconds
        As in :func:`service_level`.

    Returns
    -------
    float or ndarray
        Service level in [0, 1].
    """
    agents_array = np.asarray(agents, dtype=float)
    loads = _as_loads(offered_load_erlangs)
    scalar = agents_array.ndim == 0 and loads.ndim == 0
    if not np.all(np.isfinite(agents_array)) or np.any(agents_array < 0):
        raise ValueError(f"invalid number of agents {_sample(agents_array)}; expected finite values >= 0")
    agents_array, loads = np.broadcast_arrays(agents_array, loads)
    handle, answer = _times(handle_time_seconds, answer_time_seconds)

    lower = np.floor(agents_array).astype(np.int64)
    weight = agents_array - lower
    level_lower = _service_level(lower, loads, handle, answer)
    level_upper = _service_level(lower + 1, loads, handle, answer)
    return _output((1.0 - weight) * level_lower + weight * level_upper, scalar)


def average_speed_of_answer(servers: ArrayLike, offered_load_erlangs: ArrayLike,
                            handle_time_seconds: ArrayLike) -> float | np.ndarray:
    """Compute the average speed of answer ``ASA = C·AHT / (N − A)`` in seconds.

    Returns
    -------
    float or ndarray
        Mean wait in seconds over all calls, including those answered at
        once; ``inf`` when ``N <= A`` and the load is positive.
    """
    servers_array, loads, scalar = _broadcast(servers, offered_load_erlangs)
    handle, _ = _times(handle_time_seconds, 0.0)
    waiting = _erlang_c(servers_array, loads)
    stable = servers_array > loads
    headroom = np.where(stable, servers_array - loads, 1.0)
    speed = np.where(stable, waiting * handle / headroom, np.inf)
    speed = np.where(loads == 0, 0.0, speed)
    return _output(speed, scalar)


def occupancy(servers: ArrayLike, offered_load_erlangs: ArrayLike) -> float | np.ndarray:
    """Compute agent occupancy ``A / N``, capped at 1.

    Returns
    -------
    float or ndarray
        Share of agent time spent handling calls: 1 when ``N <= A`` and the
        load is positive, 0 when the load is zero.
    """
    servers_array, loads, scalar = _broadcast(servers, offered_load_erlangs)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(servers_array > 0, loads / np.maximum(servers_array, 1), np.inf)
    ratio = np.where(loads == 0, 0.0, np.minimum(ratio, 1.0))
    return _output(ratio, scalar)


def servers_for_blocking(offered_load_erlangs: ArrayLike, blocking_target: float = 0.01) -> int | np.ndarray:
    """Find the fewest servers whose Erlang B blocking is at most the target.

    Parameters
    ----------
    offered_load_erlangs : float or array-like of float
        Offered traffic in Erlangs.
    blocking_target : float
        Grade of service, in (0, 1); 0.01 (one call in a hundred blocked) is
        the usual target for voice channels.

    Returns
    -------
    int or ndarray of int
        Server counts; 0 for a zero load.
    """
    if not 0 < blocking_target < 1:
        raise ValueError(f"invalid blocking target {blocking_target!r}; expected a probability in (0, 1)")
    loads = _as_loads(offered_load_erlangs)
    flat = loads.ravel()
    needed = np.zeros(flat.shape, dtype=np.int64)
    pending = flat > 0
    blocking = np.ones(flat.shape)
    servers = 0
    while pending.any():
        servers += 1
        offered = flat * blocking
        blocking = offered / (servers + offered)
        reached = pending & (blocking <= blocking_target)
        needed[reached] = servers
        pending &= ~reached
    return _output_int(needed.reshape(loads.shape), loads.ndim == 0)


def agents_for_service_level(offered_load_erlangs: ArrayLike, handle_time_seconds: float, answer_time_seconds: float,
                             service_level_target: float, max_occupancy: float = 1.0) -> int | np.ndarray:
    """Find the fewest agents that meet the service level and occupancy caps.

    Parameters
    ----------
    offered_load_erlangs : float or array-like of float
        Offered load in Erlangs.
    handle_time_seconds : float
        Average handle time, > 0.
    answer_time_seconds : float
        Answer time of the service level target, >= 0.
    service_level_target : float
        Share of calls to answer within ``answer_time_seconds``, in (0, 1).
    max_occupancy : float
        Highest acceptable ``A / N``, in (0, 1].

    Returns
    -------
    int or ndarray of int
        Agent counts; 0 for a zero load.
    """
    loads = _as_loads(offered_load_erlangs)
    search = _search_service_level(loads.ravel(), handle_time_seconds, answer_time_seconds,
                                   service_level_target, max_occupancy)
    needed = np.maximum(search.agents, _agents_for_occupancy(loads.ravel(), max_occupancy))
    return _output_int(needed.reshape(loads.shape), loads.ndim == 0)


def agents_for_service_level_fractional(offered_load_erlangs: ArrayLike, handle_time_seconds: float,
                                        answer_time_seconds: float, service_level_target: float,
                                        max_occupancy: float = 1.0) -> float | np.ndarray:
    """Find the fractional agent need for a service level and occupancy cap.

    The service level need is interpolated linearly between ``N − 1`` and
    ``N`` on the service level curve, where ``N`` is the fewest whole agents
    meeting the target. The occupancy need is ``A / max_occupancy``. The
    result is the larger of the two, so its ceiling equals
    :func:`agents_for_service_level`. Staffing carries this value through
    shrinkage and rounds once at the end.

    Parameters
    ----------
    See :func:`agents_for_service_level`.

    Returns
    -------
    float or ndarray
        Agents needed, > ``A`` for a positive load and 0 for a zero load.
    """
    loads = _as_loads(offered_load_erlangs)
    flat = loads.ravel()
    search = _search_service_level(flat, handle_time_seconds, answer_time_seconds,
                                   service_level_target, max_occupancy)
    gain = search.level_at - search.level_before
    with np.errstate(divide="ignore", invalid="ignore"):
        step = np.where(gain > 0, (service_level_target - search.level_before) / gain, 1.0)
    fractional = np.where(search.agents > 0, search.agents - 1 + np.clip(step, 0.0, 1.0), 0.0)
    fractional = np.maximum(fractional, flat / max_occupancy)
    return _output(fractional.reshape(loads.shape), loads.ndim == 0)


# ---------------------------------------------------------------------------
# Private helpers
# ---------------------------------------------------------------------------


class _ServiceLevelSearch:
    """The first whole agent count meeting a service level target, per load.

    ``level_before`` and ``level_at`` are the service levels at
    ``agents − 1`` and ``agents``.
    """

    def __init__(self, agents: np.ndarray, level_before: np.ndarray, level_at: np.ndarray) -> None:
        self.agents = agents
        self.level_before = level_before
        self.level_at = level_at


def _search_service_level(loads: np.ndarray, handle_time_seconds: float, answer_time_seconds: float,
                          service_level_target: float, max_occupancy: float) -> _ServiceLevelSearch:
    """Walk the Erlang B recursion upward once, stopping at each load's target.

    One pass costs O(N) numpy steps for the largest N needed, because the
    recursion yields every ``B(n)`` on the way.
    """
    if not 0 < service_level_target < 1:
        raise ValueError(f"invalid service level target {service_level_target!r}; expected a fraction in (0, 1)")
    if not 0 < max_occupancy <= 1:
        raise ValueError(f"invalid max occupancy {max_occupancy!r}; expected a fraction in (0, 1]")
    handle, answer = _times(handle_time_seconds, answer_time_seconds)

    agents = np.zeros(loads.shape, dtype=np.int64)
    level_before = np.zeros(loads.shape)
    level_at = np.ones(loads.shape)
    pending = loads > 0
    blocking = np.ones(loads.shape)
    previous_level = np.zeros(loads.shape)
    servers = 0
    smallest_pending_load = loads[pending].min() if pending.any() else 0.0
    while pending.any():
        servers += 1
        offered = loads * blocking
        blocking = offered / (servers + offered)
        if servers <= smallest_pending_load:
            # Every pending queue is still unstable, so its service level is 0.
            continue
        stable = servers > loads
        headroom = np.where(stable, servers - loads, 1.0)
        waiting = np.where(stable, servers * blocking / (servers - loads * (1.0 - blocking)), 1.0)
        level = np.where(stable, 1.0 - waiting * np.exp(-headroom * answer / handle), 0.0)
        level = np.clip(level, 0.0, 1.0)

        reached = pending & (level >= service_level_target)
        agents[reached] = servers
        level_before[reached] = previous_level[reached]
        level_at[reached] = level[reached]
        pending &= ~reached
        previous_level = level
        if reached.any() and pending.any():
            smallest_pending_load = loads[pending].min()
    return _ServiceLevelSearch(agents, level_before, level_at)


def _agents_for_occupancy(loads: np.ndarray, max_occupancy: float) -> np.ndarray:
    ratio = loads / max_occupancy
    return np.ceil(ratio * (1.0 - _RELATIVE_TOLERANCE)).astype(np.int64)


def _erlang_b_by_recursion(servers: np.ndarray, loads: np.ndarray) -> np.ndarray:
    """Run the recursion to the largest server count, recording each element at its own count."""
    result = np.ones(loads.shape)
    if servers.size == 0:
        return result
    order = np.argsort(servers, kind="stable")
    largest = int(servers[order[-1]])
    # bounds[n] is the number of elements with at most n servers, in sorted order.
    bounds = np.searchsorted(servers[order], np.arange(largest + 1), side="right")
    blocking = np.ones(loads.shape)
    for count in range(1, largest + 1):
        offered = loads * blocking
        blocking = offered / (count + offered)
        done = order[bounds[count - 1]:bounds[count]]
        result[done] = blocking[done]
    return result


def _erlang_c(servers: np.ndarray, loads: np.ndarray) -> np.ndarray:
    blocking = _erlang_b_by_recursion(servers.ravel(), loads.ravel()).reshape(loads.shape)
    stable = servers > loads
    denominator = np.where(stable, servers - loads * (1.0 - blocking), 1.0)
    waiting = np.where(stable, servers * blocking / denominator, 1.0)
    waiting = np.where(loads == 0, 0.0, waiting)
    return np.clip(waiting, 0.0, 1.0)


def _service_level(servers: np.ndarray, loads: np.ndarray, handle: np.ndarray, answer: np.ndarray) -> np.ndarray:
    waiting = _erlang_c(servers, loads)
    stable = servers > loads
    headroom = np.where(stable, servers - loads, 0.0)
    level = np.where(stable, 1.0 - waiting * np.exp(-headroom * answer / handle), 0.0)
    level = np.where(loads == 0, 1.0, level)
    return np.clip(level, 0.0, 1.0)


def _broadcast(servers: ArrayLike, offered_load_erlangs: ArrayLike) -> tuple[np.ndarray, np.ndarray, bool]:
    raw = np.asarray(servers)
    loads = _as_loads(offered_load_erlangs)
    scalar = raw.ndim == 0 and loads.ndim == 0
    as_float = raw.astype(float)
    if not np.all(np.isfinite(as_float)) or np.any(as_float < 0) or np.any(as_float != np.floor(as_float)):
        raise ValueError(f"invalid number of servers {_sample(raw)}; expected whole numbers >= 0")
    servers_array, loads = np.broadcast_arrays(as_float.astype(np.int64), loads)
    return servers_array, loads, scalar


def _as_loads(offered_load_erlangs: ArrayLike) -> np.ndarray:
    loads = np.asarray(offered_load_erlangs, dtype=float)
    if not np.all(np.isfinite(loads)) or np.any(loads < 0):
        raise ValueError(f"invalid offered load {_sample(loads)}; expected finite Erlangs >= 0")
    return loads


def _times(handle_time_seconds: ArrayLike, answer_time_seconds: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    handle = np.asarray(handle_time_seconds, dtype=float)
    answer = np.asarray(answer_time_seconds, dtype=float)
    if not np.all(np.isfinite(handle)) or np.any(handle <= 0):
        raise ValueError(f"invalid handle time {_sample(handle)} s; expected seconds > 0")
    if not np.all(np.isfinite(answer)) or np.any(answer < 0):
        raise ValueError(f"invalid answer time {_sample(answer)} s; expected seconds >= 0")
    return handle, answer


def _sample(values: np.ndarray) -> str:
    """Format a scalar as itself and an array by its first few values."""
    if values.ndim == 0:
        return repr(values.item())
    flat = values.ravel()
    shown = ", ".join(repr(v) for v in flat[:5].tolist())
    return f"[{shown}{', ...' if flat.size > 5 else ''}] ({flat.size} values)"


def _output(values: np.ndarray, scalar: bool) -> float | np.ndarray:
    return float(values) if scalar else np.asarray(values, dtype=float)


def _output_int(values: np.ndarray, scalar: bool) -> int | np.ndarray:
    return int(values) if scalar else values.astype(np.int64)


__all__ = [
    "agents_for_service_level",
    "agents_for_service_level_fractional",
    "average_speed_of_answer",
    "erlang_b",
    "erlang_c",
    "occupancy",
    "servers_for_blocking",
    "service_level",
    "service_level_fractional",
]
