"""Erlang A (M/M/N+M): a queue whose callers abandon after an exponential patience.

Calls arrive as a Poisson stream with offered load ``A`` Erlangs, handle
times are exponential with mean ``AHT`` and each waiting caller hangs up
after an exponential patience with mean ``P`` unless answered first. With
``x = N·P/AHT`` and ``y = A·P/AHT`` every measure is a ratio of the scaled
lower incomplete gamma function::

    g(s, w) = γ(s, w)·e^w·w^(−s) = Σ_{j≥0} w^j / (s·(s+1)···(s+j))

and of the Erlang B blocking ``E = B(N, A)``:

- probability of waiting ``P_W = E·J / (1 − E + E·J)`` with ``J = x·g(x, y)``,
- probability of abandonment ``P_W·(1 − g(x+1, y)/g(x, y))``,
- share answered within ``T``, with ``z = exp(−T/P)``:
  ``1 − P_W + P_W·(g(x+1, y) − z^(x+1)·e^(y(1−z))·g(x+1, y·z)) / g(x, y)``,
- mean wait of the answered callers who waited, ``−∂/∂s log g(s, y)`` at
  ``s = x+1``, times ``P``.

These follow from the birth-death chain of the number of callers in the
system: a caller who finds ``j`` others waiting is answered after a sum of
exponentials with rates ``(x+k)/P``, ``k = 0..j``, which is distributed as
``−P·log U`` with ``U ~ Beta(x, j+1)``. Summing over ``j`` gives the
integrals above (the formulas of Garnett, Mandelbaum and Reiman, 2002, for
the Palm/Erlang-A queue).

``g`` is evaluated in log space: from ``scipy.special.gammainc`` when the
regularised gamma is above 1e-280, else by its series, whose terms then fall
geometrically. Loads of 10,000 Erlangs and more therefore neither overflow
nor give NaN. Erlang A is stable with any number of agents because waiting
callers leave, so it has no unstable case. An infinite patience gives the
Erlang C values of :mod:`planner.decisions.erlang`.

The service level here is the share of **all** offered calls answered within
``T``: a call that abandons counts as not answered in time, whenever it
hangs up. Zero load gives no wait, no abandonment and a service level of 1.
Zero agents with a positive load give a waiting probability and an
abandonment probability of 1, a service level of 0 and an infinite speed of
answer.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from planner.decisions import erlang

# Below this regularised gamma value the series is used, because log(gammainc) would lose digits or be −inf.
_SMALLEST_REGULARISED_GAMMA = 1e-280
# The series stops when a term falls below this share of the sum.
_SERIES_RELATIVE_TOLERANCE = 1e-17
# Relative step of the central difference of log g in its first argument.
_DERIVATIVE_STEP = 1e-5


def wait_probability(servers: ArrayLike, offered_load_erlangs: ArrayLike, handle_time_seconds: ArrayLike,
                     patience_seconds: ArrayLike) -> float | np.ndarray:
    """Compute the probability that a call has to wait (finds every agent busy).

    Parameters
    ----------
    servers : int or array-like of int
        Number of agents ``N``, each >= 0.
    offered_load_erlangs : float or array-like of float
        Offered load ``A`` in Erlangs, finite and >= 0.
    handle_time_seconds : float or array-like of float
        Mean handle time ``AHT``, > 0.
    patience_seconds : float or array-like of float
        Mean patience ``P`` of a waiting caller, > 0; ``inf`` gives Erlang C.

    Returns
    -------
    float or ndarray
        Probability in [0, 1].
    """
    model = _Model(servers, offered_load_erlangs, handle_time_seconds, patience_seconds)
    return model.output(model.wait_probability())


def abandonment_probability(servers: ArrayLike, offered_load_erlangs: ArrayLike, handle_time_seconds: ArrayLike,
                            patience_seconds: ArrayLike) -> float | np.ndarray:
    """Compute the share of offered calls that hang up before they are answered.

    Parameters are those of :func:`wait_probability`. The result is 0 for an
    infinite patience and in [0, 1] otherwise.
    """
    model = _Model(servers, offered_load_erlangs, handle_time_seconds, patience_seconds)
    return model.output(model.abandonment_probability())


def service_level(servers: ArrayLike, offered_load_erlangs: ArrayLike, handle_time_seconds: ArrayLike,
                  patience_seconds: ArrayLike, answer_time_seconds: ArrayLike) -> float | np.ndarray:
    """Compute the share of offered calls answered within ``answer_time_seconds``.

    Abandoned calls count as not answered in time. With an infinite patience
    this is the Erlang C service level, 0 when ``N <= A``.

    Parameters
    ----------
    servers, offered_load_erlangs, handle_time_seconds, patience_seconds
        As in :func:`wait_probability`.
    answer_time_seconds : float or array-like of float
        Target answer time ``T``, >= 0.

    Returns
    -------
    float or ndarray
        Service level in [0, 1].
    """
    model = _Model(servers, offered_load_erlangs, handle_time_seconds, patience_seconds, answer_time_seconds)
    return model.output(model.service_level())


def average_speed_of_answer(servers: ArrayLike, offered_load_erlangs: ArrayLike, handle_time_seconds: ArrayLike,
                            patience_seconds: ArrayLike) -> float | np.ndarray:
    """Compute the mean wait in seconds of the answered calls, those answered at once included.

    Parameters are those of :func:`wait_probability`. The result is ``inf``
    when no call is answered (zero agents and a positive load) and, for an
    infinite patience, the Erlang C average speed of answer.
    """
    model = _Model(servers, offered_load_erlangs, handle_time_seconds, patience_seconds)
    return model.output(model.average_speed_of_answer())


def occupancy(servers: ArrayLike, offered_load_erlangs: ArrayLike, handle_time_seconds: ArrayLike,
              patience_seconds: ArrayLike) -> float | np.ndarray:
    """Compute agent occupancy, the answered load ``A·(1 − P_abandon)`` over ``N``, capped at 1.

    Parameters are those of :func:`wait_probability`. The result is 0 for a
    zero load and 1 for zero agents with a positive load.
    """
    model = _Model(servers, offered_load_erlangs, handle_time_seconds, patience_seconds)
    return model.output(model.occupancy())


def service_level_fractional(agents: ArrayLike, offered_load_erlangs: ArrayLike, handle_time_seconds: float,
                             patience_seconds: float, answer_time_seconds: float) -> float | np.ndarray:
    """Compute the service level for a fractional number of agents.

    The value is interpolated linearly between the whole agent counts either
    side, as :func:`planner.decisions.erlang.service_level_fractional` does
    for Erlang C, which makes it the inverse of
    :func:`agents_for_service_level_fractional` where occupancy does not bind.
    """
    agents_array = np.asarray(agents, dtype=float)
    loads = np.asarray(offered_load_erlangs, dtype=float)
    scalar = agents_array.ndim == 0 and loads.ndim == 0
    if not np.all(np.isfinite(agents_array)) or np.any(agents_array < 0):
        raise ValueError(f"invalid number of agents {agents_array!r}; expected finite values >= 0")
    agents_array, loads = np.broadcast_arrays(agents_array, loads)
    lower = np.floor(agents_array).astype(np.int64)
    weight = agents_array - lower
    level_lower = np.asarray(service_level(lower, loads, handle_time_seconds, patience_seconds,
                                           answer_time_seconds))
    level_upper = np.asarray(service_level(lower + 1, loads, handle_time_seconds, patience_seconds,
                                           answer_time_seconds))
    levels = (1.0 - weight) * level_lower + weight * level_upper
    return float(levels) if scalar else levels


def agents_for_service_level(offered_load_erlangs: ArrayLike, handle_time_seconds: float, patience_seconds: float,
                             answer_time_seconds: float, service_level_target: float,
                             max_occupancy: float = 1.0) -> int | np.ndarray:
    """Find the fewest agents whose service level and occupancy meet the targets.

    Because callers abandon, fewer agents than the offered load can meet a
    target. The search doubles an upper bound, then bisects, which relies on
    the service level rising and the occupancy falling with the agent count.

    Parameters
    ----------
    offered_load_erlangs : float or array-like of float
        Offered load in Erlangs.
    handle_time_seconds, patience_seconds : float
        Mean handle time and mean patience, > 0 (``inf`` patience gives Erlang C).
    answer_time_seconds : float
        Answer time of the service level target, >= 0.
    service_level_target : float
        Share of offered calls to answer within ``answer_time_seconds``, in (0, 1).
    max_occupancy : float
        Highest acceptable occupancy, in (0, 1].

    Returns
    -------
    int or ndarray of int
        Agent counts; 0 for a zero load.
    """
    search = _search(offered_load_erlangs, handle_time_seconds, patience_seconds, answer_time_seconds,
                     service_level_target, max_occupancy)
    return int(search.agents[0]) if search.scalar else search.agents.reshape(search.shape)


def agents_for_service_level_fractional(offered_load_erlangs: ArrayLike, handle_time_seconds: float,
                                        patience_seconds: float, answer_time_seconds: float,
                                        service_level_target: float,
                                        max_occupancy: float = 1.0) -> float | np.ndarray:
    """Find the fractional agent need for a service level and an occupancy cap.

    Each need is interpolated linearly between ``N − 1`` and ``N``, the
    fewest whole agents meeting it: on the service level curve for the
    target and on the occupancy curve for the cap. The result is the larger
    of the two, so its ceiling equals :func:`agents_for_service_level`.

    Parameters
    ----------
    See :func:`agents_for_service_level`.

    Returns
    -------
    float or ndarray
        Agents needed, 0 for a zero load.
    """
    search = _search(offered_load_erlangs, handle_time_seconds, patience_seconds, answer_time_seconds,
                     service_level_target, max_occupancy)
    loads = search.loads
    handle, patience, answer = handle_time_seconds, patience_seconds, answer_time_seconds

    level_need = _interpolated_need(search.level_agents, service_level_target,
                                    curve=lambda n: service_level(n, loads, handle, patience, answer))
    occupancy_need = _interpolated_need(search.occupancy_agents, max_occupancy,
                                        curve=lambda n: occupancy(n, loads, handle, patience))
    need = np.where(loads > 0, np.maximum(level_need, occupancy_need), 0.0)
    return float(need[0]) if search.scalar else need.reshape(search.shape)


# ---------------------------------------------------------------------------
# Private helpers
# ---------------------------------------------------------------------------


class _Model:
    """Broadcast inputs of one Erlang A evaluation, flattened, with the shared intermediate values."""

    def __init__(self, servers: ArrayLike, offered_load_erlangs: ArrayLike, handle_time_seconds: ArrayLike,
                 patience_seconds: ArrayLike, answer_time_seconds: ArrayLike = 0.0) -> None:
        raw_servers = np.asarray(servers)
        loads = np.asarray(offered_load_erlangs, dtype=float)
        handle = np.asarray(handle_time_seconds, dtype=float)
        patience = np.asarray(patience_seconds, dtype=float)
        answer = np.asarray(answer_time_seconds, dtype=float)
        self.scalar = all(v.ndim == 0 for v in (raw_servers, loads, handle, patience, answer))

        as_float = raw_servers.astype(float)
        if not np.all(np.isfinite(as_float)) or np.any(as_float < 0) or np.any(as_float != np.floor(as_float)):
            raise ValueError(f"invalid number of servers {raw_servers!r}; expected whole numbers >= 0")
        if not np.all(np.isfinite(loads)) or np.any(loads < 0):
            raise ValueError(f"invalid offered load {loads!r}; expected finite Erlangs >= 0")
        if not np.all(np.isfinite(handle)) or np.any(handle <= 0):
            raise ValueError(f"invalid handle time {handle!r} s; expected seconds > 0")
        if np.any(np.isnan(patience)) or np.any(patience <= 0):
            raise ValueError(f"invalid patience {patience!r} s; expected seconds > 0, or inf for no abandonment")
        if not np.all(np.isfinite(answer)) or np.any(answer < 0):
            raise ValueError(f"invalid answer time {answer!r} s; expected seconds >= 0")

        arrays = np.broadcast_arrays(as_float.astype(np.int64), loads, handle, patience, answer)
        self.shape = arrays[0].shape
        self.servers, self.loads, self.handle, self.patience, self.answer = (a.ravel() for a in arrays)

        self.patient = np.isinf(self.patience)
        self.empty = self.loads == 0
        self.no_agent = (self.servers == 0) & ~self.empty
        # Erlang A elements: finite patience, positive load and at least one agent.
        self.active = ~self.patient & ~self.empty & ~self.no_agent
        ratio = np.where(self.active, self.patience / self.handle, 1.0)
        self.x = np.where(self.active, self.servers * ratio, 1.0)
        self.y = np.where(self.active, self.loads * ratio, 1.0)
        self.log_g = _log_scaled_lower_gamma(self.x, self.y)
        self.log_g_next = _log_scaled_lower_gamma(self.x + 1.0, self.y)

    def output(self, values: np.ndarray) -> float | np.ndarray:
        return float(values[0]) if self.scalar else values.reshape(self.shape)

    def wait_probability(self) -> np.ndarray:
        blocking = np.asarray(erlang.erlang_b(self.servers, self.loads), dtype=float)
        with np.errstate(divide="ignore"):
            log_j = np.log(self.x) + self.log_g
            log_ratio = np.log1p(-np.minimum(blocking, 1.0)) - np.log(blocking) - log_j
        waiting = np.where(self.active, special.expit(-log_ratio), 0.0)
        waiting = np.where(self.patient, np.asarray(erlang.erlang_c(self.servers, self.loads)), waiting)
        waiting = np.where(self.no_agent, 1.0, waiting)
        return np.clip(np.where(self.empty, 0.0, waiting), 0.0, 1.0)

    def abandonment_given_wait(self) -> np.ndarray:
        return np.clip(-np.expm1(self.log_g_next - self.log_g), 0.0, 1.0)

    def abandonment_probability(self) -> np.ndarray:
        abandoned = np.where(self.active, self.wait_probability() * self.abandonment_given_wait(), 0.0)
        return np.where(self.no_agent, 1.0, abandoned)

    def service_level(self) -> np.ndarray:
        waiting = self.wait_probability()
        level = 1.0 - waiting + waiting * self.answered_in_time_given_wait()
        level = np.where(self.active, level, 0.0)
        level = np.where(self.patient, np.asarray(erlang.service_level(self.servers, self.loads, self.handle,
                                                                       self.answer)), level)
        level = np.where(self.empty, 1.0, level)
        return np.clip(level, 0.0, 1.0)

    def answered_in_time_given_wait(self) -> np.ndarray:
        """Return the share of waiting callers answered within the answer time.

        It is ``(x/y)·(P(x+1, y) − P(x+1, y·z)) / P(x, y)`` with ``P`` the
        regularised lower incomplete gamma. That form keeps digits where the
        terms are large, because ``log g`` grows like ``y`` and a difference of
        two exponentials of it would lose them. Where ``P(x, y)`` is too small
        for that form, the ratio of scaled gammas in log space is used.
        """
        x, y = self.x, self.y
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            z_log = -self.answer / np.where(self.active, self.patience, 1.0)
            reduced = y * np.exp(z_log)
            full = special.gammainc(x, y)
            lower_next = special.gammainc(x + 1.0, y)
            # Subtract the smaller tails: upper ones where the lower ones are near 1.
            lower_difference = lower_next - special.gammainc(x + 1.0, reduced)
            upper_difference = special.gammaincc(x + 1.0, reduced) - special.gammaincc(x + 1.0, y)
            difference = np.where(lower_next > 0.5, upper_difference, lower_difference)
            by_gamma = (x / y) * difference / full

            log_late = ((x + 1.0) * z_log + y * (-np.expm1(z_log))
                        + _log_scaled_lower_gamma(x + 1.0, reduced))
            by_series = np.exp(self.log_g_next - self.log_g) - np.exp(log_late - self.log_g)
        usable = (full > _SMALLEST_REGULARISED_GAMMA) & (lower_next > _SMALLEST_REGULARISED_GAMMA)
        return np.clip(np.where(usable, by_gamma, by_series), 0.0, 1.0)

    def average_speed_of_answer(self) -> np.ndarray:
        waiting = self.wait_probability()
        answered_after_wait = waiting * np.exp(self.log_g_next - self.log_g)
        answered = 1.0 - waiting + answered_after_wait
        step = _DERIVATIVE_STEP * (self.x + 1.0)
        slope = (_log_scaled_lower_gamma(self.x + 1.0 + step, self.y)
                 - _log_scaled_lower_gamma(self.x + 1.0 - step, self.y)) / (2.0 * step)
        mean_wait_if_waited = -slope * self.patience
        with np.errstate(invalid="ignore", divide="ignore"):
            speed = answered_after_wait * mean_wait_if_waited / answered
        speed = np.where(self.active, np.maximum(speed, 0.0), 0.0)
        speed = np.where(self.patient, np.asarray(erlang.average_speed_of_answer(self.servers, self.loads,
                                                                                 self.handle)), speed)
        speed = np.where(self.no_agent, np.inf, speed)
        return np.where(self.empty, 0.0, speed)

    def occupancy(self) -> np.ndarray:
        answered_load = self.loads * (1.0 - self.abandonment_probability())
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(self.servers > 0, answered_load / np.maximum(self.servers, 1), 1.0)
        ratio = np.where(self.patient, np.asarray(erlang.occupancy(self.servers, self.loads)), ratio)
        return np.clip(np.where(self.empty, 0.0, ratio), 0.0, 1.0)


def _log_scaled_lower_gamma(s: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Return ``log g(s, w)`` with ``g(s, w) = γ(s, w)·e^w·w^(−s)``, for ``s > 0`` and ``w >= 0``."""
    s, w = np.broadcast_arrays(np.asarray(s, dtype=float), np.asarray(w, dtype=float))
    s, w = s.ravel(), w.ravel()
    result = np.empty(s.shape)
    regularised = special.gammainc(s, w)
    by_gamma = (w > 0) & (regularised > _SMALLEST_REGULARISED_GAMMA)
    with np.errstate(divide="ignore"):
        result[by_gamma] = (special.gammaln(s[by_gamma]) + np.log(regularised[by_gamma])
                            + w[by_gamma] - s[by_gamma] * np.log(w[by_gamma]))
    by_series = ~by_gamma
    if by_series.any():
        result[by_series] = _log_series(s[by_series], w[by_series])
    return result


def _log_series(s: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Sum ``Σ_j w^j / (s···(s+j))`` in log space where the terms fall, which holds for ``w < s + 1``.

    The caller uses it only where the regularised gamma is below 1e-280,
    which needs ``w`` well below ``s``, so the ratio ``w/(s+j)`` stays below
    1 and few terms are needed.
    """
    log_first = -np.log(s)
    total = np.ones(s.shape)
    term = np.ones(s.shape)
    pending = w > 0
    j = 0
    while pending.any():
        j += 1
        term = np.where(pending, term * w / (s + j), 0.0)
        total += term
        pending &= term > _SERIES_RELATIVE_TOLERANCE * total
    return log_first + np.log(total)


class _Search:
    def __init__(self, loads: np.ndarray, level_agents: np.ndarray, occupancy_agents: np.ndarray,
                 shape: tuple[int, ...], scalar: bool) -> None:
        self.loads = loads
        self.level_agents = level_agents
        self.occupancy_agents = occupancy_agents
        self.agents = np.maximum(level_agents, occupancy_agents)
        self.shape = shape
        self.scalar = scalar


def _search(offered_load_erlangs: ArrayLike, handle_time_seconds: float, patience_seconds: float,
            answer_time_seconds: float, service_level_target: float, max_occupancy: float) -> _Search:
    if not 0 < service_level_target < 1:
        raise ValueError(f"invalid service level target {service_level_target!r}; expected a fraction in (0, 1)")
    if not 0 < max_occupancy <= 1:
        raise ValueError(f"invalid max occupancy {max_occupancy!r}; expected a fraction in (0, 1]")
    raw = np.asarray(offered_load_erlangs, dtype=float)
    if not np.all(np.isfinite(raw)) or np.any(raw < 0):
        raise ValueError(f"invalid offered load {raw!r}; expected finite Erlangs >= 0")
    loads = raw.ravel()
    handle, patience, answer = handle_time_seconds, patience_seconds, answer_time_seconds

    level_agents = _fewest_agents(
        loads, lambda n, chosen: service_level(n, loads[chosen], handle, patience, answer) >= service_level_target)
    occupancy_agents = _fewest_agents(
        loads, lambda n, chosen: occupancy(n, loads[chosen], handle, patience) <= max_occupancy * (1.0 + 1e-9))
    return _Search(loads, level_agents, occupancy_agents, raw.shape, raw.ndim == 0)


def _fewest_agents(loads: np.ndarray, meets: Callable[[np.ndarray, np.ndarray], ArrayLike]) -> np.ndarray:
    """Find per load the fewest agents ``n`` with ``meets(n, mask)`` true, assuming it stays true above.

    ``meets`` takes agent counts for the loads selected by a boolean mask.
    """
    every = np.ones(loads.shape, dtype=bool)
    low = np.zeros(loads.shape, dtype=np.int64)
    high = np.maximum(np.ceil(loads).astype(np.int64), 1)
    failing = ~np.asarray(meets(high, every), dtype=bool) & (loads > 0)
    while failing.any():
        low[failing] = high[failing]
        high[failing] *= 2
        failing[failing] = ~np.asarray(meets(high[failing], failing), dtype=bool)
    # Invariant: meets(high) is true and meets(low) is false, except for low = 0, which is never evaluated.
    open_interval = (high - low > 1) & (loads > 0)
    while open_interval.any():
        middle = (low + high) // 2
        passed = np.asarray(meets(middle[open_interval], open_interval), dtype=bool)
        chosen = np.flatnonzero(open_interval)
        high[chosen[passed]] = middle[chosen[passed]]
        low[chosen[~passed]] = middle[chosen[~passed]]
        open_interval = (high - low > 1) & (loads > 0)
    agents = np.where(loads > 0, high, 0)
    # A single agent may be more than needed: check whether zero agents meet the target.
    single_agent = agents == 1
    if single_agent.any():
        zero_meets = np.asarray(meets(np.zeros(int(single_agent.sum()), dtype=np.int64), single_agent), dtype=bool)
        agents[np.flatnonzero(single_agent)[zero_meets]] = 0
    return agents


def _interpolated_need(agents: np.ndarray, target: float, curve: Callable[[np.ndarray], ArrayLike]) -> np.ndarray:
    """Interpolate linearly between ``agents − 1`` and ``agents`` where ``curve`` crosses ``target``."""
    before = np.asarray(curve(np.maximum(agents - 1, 0)), dtype=float)
    at = np.asarray(curve(agents), dtype=float)
    gap = at - before
    with np.errstate(divide="ignore", invalid="ignore"):
        step = np.where(gap != 0, (target - before) / gap, 1.0)
    return np.where(agents > 0, agents - 1 + np.clip(step, 0.0, 1.0), 0.0)
