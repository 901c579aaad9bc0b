"""Event uplift learned from past events: shape by hour, scale by attendance.

Each past event leaves an excess over the baseline in the hours of its
window. The excess is divided by the cell's usual level, so that events at
busy and quiet cells, and before and after years of growth, can be compared.
A group of past events shares one venue and kind, one kind, or nothing.
The group's profile at each position of the window is the slope of the
excess on the attendance relative to the group's mean attendance, so an
event twice as large is expected to bring twice the excess. The slope is a
least-squares fit, made robust (Huber weights) where four or more events
let one that lies far off the others be singled out.

A cell is counted as affected by a group only when its excess clearly
stands out from placebos: the same windows moved by whole weeks to hours
with no event. Its estimate is then shrunk towards zero by the share of
its own variance in it, so that a cell with a weak, uncertain response gets
a weak uplift rather than noise. That variance is the placebo noise's, or,
when the past events differ from each other by more than that noise, the
events' spread divided among them: a few events with very different
responses give a weak uplift too. When the events' kind was seen at three
venues or more, the estimate is drawn towards the kind's shape rather than towards
zero, by as much as the venues of the kind truly differ from it
(:func:`kind_prior`, :func:`between_venue_variance`).

The event-to-event spread sets the event's part of the p10-p90 band. With
enough past events it is rescaled so that the band covers 80 % of their
own residuals, which are rarely normal (a few events far off the profile,
most close to it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import t as student_t


Z_90 = 1.2815515655446004
"""Standard normal quantile at 0.9: a p10-p90 band spans +-Z_90 standard deviations."""


@dataclass(frozen=True)
class PastEvent:
    """The observed excess of one past event over its window.

    Attributes
    ----------
    excess : ndarray, shape (positions, cells)
        (traffic - baseline) / the cell's level, NaN where traffic was missing.
    start_hour : float
        Local time of day of the start, in hours (19.5 for 19:30).
    duration_hours : float
        Time from start to end, in hours.
    """

    event_id: str
    kind: str
    venue_id: str
    attendance: float
    positions: np.ndarray
    excess: np.ndarray
    start_hour: float = np.nan
    duration_hours: float = np.nan


@dataclass(frozen=True)
class EffectProfile:
    """The learned effect of a group of past events, by window position and cell.

    The cells are those the group's excess spans: for the events of a
    venue, the cells within its reach, whose columns in the network are
    ``columns``. So a venue's profile stays as small as its neighbourhood,
    whatever the size of the network.

    Attributes
    ----------
    positions : ndarray of int, shape (P,)
        Window positions (see ``planner.forecasting.windows``), sorted.
    beta : ndarray, shape (P, cells)
        Excess in units of the cell's level for an event of the reference
        attendance; zero for cells not affected.
    sigma : ndarray, shape (P, cells)
        Standard deviation of one event's excess around ``beta``, in the same unit.
    attendance_reference : float
        Mean known attendance of the group, NaN when no attendance is known.
    attendance_spread : float
        Standard deviation of the known attendances over their mean (zero for one event).
    event_ids : tuple of str
    venue_ids : tuple of str
        The venue of each of ``event_ids`` (``""`` for an event without one).
    affected : ndarray of bool, shape (cells,)
    tested : bool
        False when no placebo window existed, so the effect could not be
        compared with noise and every cell kept its raw estimate.
    columns : ndarray of int, shape (cells,), optional
        The network column of each of the profile's cells, in increasing
        order. None when the profile spans every cell of the matrix that its
        events were measured on.
    estimate, estimate_variance : ndarray, shape (P, cells), optional
        The slope before it is shrunk, and its variance as an estimate (the
        placebo noise's, or the events' spread when larger).
    pooled_venues : int
        The number of venues of the kind whose shape this profile was drawn
        towards (``towards`` of :func:`learn_profile`), 0 when not drawn.
    between_venue_variance : float
        For the profile of a kind at the most responsive cell of each venue:
        how far a venue's own profile truly lies from the kind's shape, as a
        variance in the unit of ``beta`` (see
        :func:`planner.forecasting.past_events.learn_profiles`). NaN when not
        measured.
    """

    positions: np.ndarray
    beta: np.ndarray
    sigma: np.ndarray
    attendance_reference: float
    attendance_spread: float
    event_ids: tuple[str, ...]
    affected: np.ndarray
    tested: bool = True
    columns: np.ndarray | None = None
    venue_ids: tuple[str, ...] = ()
    estimate: np.ndarray | None = None
    estimate_variance: np.ndarray | None = None
    pooled_venues: int = 0
    between_venue_variance: float = np.nan

    def scale_for(self, attendance: float) -> float:
        """Return the attendance of a new event relative to the group's reference (1 when unknown)."""
        if np.isnan(attendance) or np.isnan(self.attendance_reference) or self.attendance_reference <= 0:
            return 1.0
        return float(attendance / self.attendance_reference)

    def at(self, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return ``beta`` and ``sigma`` at the requested positions.

        Each position takes its hour's knot. A position beyond the knots the
        group saw (a longer event than any learned from) takes the nearest
        knot.
        """
        rows = _knot_rows(self.positions, np.asarray(positions, dtype=float))
        return self.beta[rows], self.sigma[rows]


def learn_profile(events: list[PastEvent], placebos: dict[int, list[PastEvent]], *,
                  weights: np.ndarray | None = None, towards: EffectProfile | None = None,
                  min_relative_sigma: float = 0.25, detection_ratio: float = 4.0) -> EffectProfile:
    """Learn the effect profile of a group of past events.

    Parameters
    ----------
    events : list of PastEvent
        At least one event; all have excess matrices with the same cells.
    placebos : dict of int to list of PastEvent
        The same events moved by a whole number of weeks (the key) to hours
        with no event: what the excess looks like when nothing happens. They
        measure the noise of each cell at the very hours of the week the
        events fall on, which a single noise figure per cell would miss.
    weights : ndarray, optional
        One weight per event, for a profile meant for one new event that
        resembles some past events more than others; equal by default.
    towards : EffectProfile, optional
        The response of the events' kind at the most responsive cell of
        each venue, pooled over venues (one cell). The estimate is drawn
        towards that shape, spread over the cells in the proportions the
        events show (see :func:`kind_prior`), instead of towards zero, by
        as much as its own variance outweighs ``towards.between_venue_variance``.
    min_relative_sigma : float, default 0.25
        Floor of the event-to-event spread as a share of the effect for a
        single event, divided by the square root of the number of events:
        a handful of events understates how much the next one can differ.
    detection_ratio : float, default 4.0
        A cell is affected when the sum of squares of its profile is more than
        this many times its expected value with no effect, estimated from the
        placebos.
    """
    positions = _knot_grid(np.concatenate([event.positions for event in events]))
    reference, spread = _attendance_reference(events)
    weights = np.ones(len(events)) if weights is None else np.asarray(weights, dtype=float)
    beta, sigma, _ = _fit_slopes(events, positions, reference, weights)
    # The variance of the fitted slope as an estimate, from the events' spread around it.
    estimate_variance = _slope_variance(events, positions, reference, sigma**2, weights)
    # The band spans +-Z_90 sigma, which covers 80 % of a normal spread. The past events' own residuals
    # have heavier tails than a normal, so sigma is scaled until the band covers 80 % of them.
    sigma = sigma * _tail_factor(events, positions, reference, weights, beta, sigma)

    # Keep the cells whose response exceeds what placebos show. Shrink each estimate by the share of its
    # variance in it: the placebo noise, or the events' spread when they differ more than noise explains.
    noise_variance = _placebo_noise_variance(placebos, positions)
    tested = noise_variance is not None
    estimate, variance = beta, None
    if tested:
        null_variance = _slope_variance(events, positions, reference, noise_variance, weights)
        statistic = (beta**2).sum(axis=0)
        null_statistic = null_variance.sum(axis=0)
        affected = statistic > detection_ratio * null_statistic
        variance = np.maximum(null_variance, estimate_variance)
        if towards is None:
            with np.errstate(invalid="ignore", divide="ignore"):
                beta = beta * np.clip(1.0 - variance / np.where(beta != 0, beta**2, np.inf), 0.0, 1.0)
        else:
            beta = _drawn_towards(beta, variance, kind_prior(towards, positions, beta, reference),
                                  towards.between_venue_variance)
        # The spread between events includes the hourly noise, which the baseline band already carries.
        sigma = np.sqrt(np.maximum(sigma**2 - noise_variance, 0.0))
    else:
        # NOTE: with too few event-free weeks around the events there is nothing to compare with, so every
        # cell keeps its raw estimate and the profile is flagged as untested.
        affected = np.ones(beta.shape[1], dtype=bool)
    effective_events = weights.sum() ** 2 / np.sum(weights**2)
    min_relative_sigma = min_relative_sigma / np.sqrt(effective_events)
    sigma = np.sqrt(sigma**2 + (min_relative_sigma * beta) ** 2)
    sigma = sigma * predictive_factor(effective_events)
    beta = np.where(affected[None, :], beta, 0.0)
    sigma = np.where(affected[None, :], sigma, 0.0)
    return EffectProfile(positions=positions, beta=beta, sigma=sigma, attendance_reference=reference,
                         attendance_spread=spread, event_ids=tuple(e.event_id for e in events), affected=affected,
                         tested=tested, venue_ids=tuple(e.venue_id for e in events), estimate=estimate,
                         estimate_variance=variance,
                         pooled_venues=len(set(towards.venue_ids)) if towards is not None and tested else 0)


def kind_prior(kind: EffectProfile, knots: np.ndarray, beta: np.ndarray, reference: float) -> np.ndarray:
    """Return what a venue's profile would be with its kind's shape and size and its own spread over cells.

    ``kind`` is the one-cell profile of the kind's events at the most
    responsive cell of their venues, and ``beta`` the venue's own estimate
    at ``knots``, for an event of attendance ``reference``. The kind's
    shape is rescaled to that attendance and placed at the cell that
    responds most along it. Every other cell takes the share of it that
    the venue's estimate shows there. Each share is measured along the
    whole shape, so the hour-to-hour noise averages out. Zero where the
    kind shows no effect or the venue none along the kind's shape.
    """
    shape = kind.at(knots)[0][:, 0] * kind.scale_for(reference)
    along = shape @ beta
    if not np.any(shape) or along.max() <= 0:
        return np.zeros_like(beta)
    share = np.clip(along / along.max(), 0.0, None)
    return shape[:, None] * share[None, :]


def _drawn_towards(beta: np.ndarray, variance: np.ndarray, prior: np.ndarray, between: float) -> np.ndarray:
    """Return ``beta`` drawn towards ``prior``: each estimate keeps ``between / (between + variance)`` of its distance.

    ``between`` is the variance of a venue's true profile around its kind's
    shape, ``variance`` the estimate's own. When venues do not differ,
    every venue takes its kind's shape. When they do, a venue keeps more of
    its own profile the more precisely its events measure it.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        keep = np.where(between + variance > 0, between / (between + variance), 1.0)
    return prior + (beta - prior) * keep


def between_venue_variance(kind: EffectProfile, venue_profiles: list[EffectProfile]) -> float:
    """Return how far the venues' true profiles lie from their kind's shape, as one variance.

    Each venue's estimate differs from its prior (:func:`kind_prior`) by the
    venue's true difference and by its own estimation error. The mean
    squared distance over the affected cells and hours of every venue, less
    the mean variance of the estimates, measures the true difference (zero
    when negative). It is one figure for the kind, because each venue's few
    events are too few to measure it alone.
    """
    excess, count = 0.0, 0
    for profile in venue_profiles:
        if profile.estimate is None or profile.estimate_variance is None or not profile.affected.any():
            continue
        prior = kind_prior(kind, profile.positions, profile.estimate, profile.attendance_reference)
        distance = (profile.estimate - prior)[:, profile.affected] ** 2
        excess += float(np.sum(distance - profile.estimate_variance[:, profile.affected]))
        count += distance.size
    return max(excess / count, 0.0) if count else np.nan


def predictive_factor(effective_events: float) -> float:
    """Return how much wider than ``Z_90`` spreads the p10-p90 range of a new event must be, from few past events.

    The next event differs from the profile by its own spread and by the
    error of the profile, which is a mean of the past events. That spread
    is itself measured on the same few events. With ``n`` events the p90 of a new
    one lies ``t(0.9, n - 1) * sqrt(1 + 1 / n)`` of their standard deviations
    above their mean (Student's t), against ``Z_90`` for a known normal:
    2.9 times as far for two events, 1.4 for four, 1.1 for ten.
    """
    degrees = max(float(effective_events) - 1.0, 1.0)
    return float(student_t.ppf(0.9, degrees) * np.sqrt(1.0 + 1.0 / max(float(effective_events), 1.0)) / Z_90)


def uplift_for_event(profile: EffectProfile, positions: np.ndarray, level: np.ndarray, attendance: float,
                     attendance_low: float, attendance_high: float) -> tuple[np.ndarray, np.ndarray]:
    """Return the expected uplift and its standard deviation over an event's window.

    Parameters
    ----------
    positions : ndarray of int, shape (hours,)
        Window positions of the new event's hours.
    level : ndarray, shape (cells,)
        The usual level in the forecast week, in the measure's unit, of
        each of the profile's cells (at ``profile.columns`` when it has them).
    attendance, attendance_low, attendance_high : float
        NaN when unknown. An unknown attendance takes the group's reference,
        with the spread of the group's attendances as its uncertainty. A
        low-high range is read as a p10-p90 range of the attendance.

    Returns
    -------
    mean, sd : ndarray, shape (hours, cells)
        In the measure's unit, for the profile's cells.
    """
    beta, sigma = profile.at(positions)
    if np.isnan(attendance) and not (np.isnan(attendance_low) or np.isnan(attendance_high)):
        attendance = 0.5 * (attendance_low + attendance_high)
    scale = profile.scale_for(attendance)
    if not (np.isnan(attendance_low) or np.isnan(attendance_high)) and not np.isnan(profile.attendance_reference):
        scale_sd = (attendance_high - attendance_low) / (2 * Z_90 * profile.attendance_reference)
    elif np.isnan(attendance):
        scale_sd = profile.attendance_spread
    else:
        scale_sd = 0.0
    mean = beta * scale * level[None, :]
    sd = np.sqrt((sigma * scale) ** 2 + (beta * scale_sd) ** 2) * level[None, :]
    return mean, sd


def _attendance_reference(events: list[PastEvent]) -> tuple[float, float]:
    known = np.array([event.attendance for event in events if not np.isnan(event.attendance)])
    reference = float(known.mean()) if known.size else np.nan
    spread = float(known.std() / reference) if known.size > 1 else 0.0
    return reference, spread


def _fit_slopes(events: list[PastEvent], knots: np.ndarray, reference: float,
                weights: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fit, at each knot, the weighted least-squares slope through the origin of excess on relative attendance.

    Returns the slope, the event-to-event standard deviation around it, and
    the weight of the events seen at each knot, each of shape (knots, cells).
    """
    cells = events[0].excess.shape[1]
    weighted_sum = np.zeros((len(knots), cells))
    scale_squares = np.zeros_like(weighted_sum)
    counts = np.zeros_like(weighted_sum)
    for event, weight in zip(events, weights):
        scale = _scale(event, reference)
        rows = _knot_rows(knots, event.positions)
        present = ~np.isnan(event.excess)
        np.add.at(weighted_sum, rows, np.where(present, event.excess * scale * weight, 0.0))
        np.add.at(scale_squares, rows, present * scale**2 * weight)
        np.add.at(counts, rows, present * weight)
    with np.errstate(invalid="ignore", divide="ignore"):
        beta = np.where(scale_squares > 0, weighted_sum / scale_squares, 0.0)
    beta = _downweight_outlying_events(events, knots, reference, weights, beta)

    squared_residuals = np.zeros_like(beta)
    squared_weights = np.zeros_like(beta)
    for event, weight in zip(events, weights):
        rows = _knot_rows(knots, event.positions)
        residual = event.excess - beta[rows] * _scale(event, reference)
        present = ~np.isnan(residual)
        np.add.at(squared_residuals, rows, np.where(present, residual**2, 0.0) * weight)
        np.add.at(squared_weights, rows, present * weight**2)
    with np.errstate(invalid="ignore", divide="ignore"):
        # Weighted variance with the reliability-weights correction (V1 - V2 / V1).
        corrected = counts - np.where(counts > 0, squared_weights / np.where(counts > 0, counts, 1), 0.0)
        sigma = np.where(corrected > 0, np.sqrt(squared_residuals / np.where(corrected > 0, corrected, 1)), 0.0)
    return beta, sigma, counts


MIN_EVENTS_FOR_ROBUST_SLOPE = 4
"""Minimum number of past events at a knot and cell whose residuals can single out an outlying one."""

HUBER_THRESHOLD = 1.345
"""Huber's tuning constant, in robust standard deviations: 95 % efficiency when the spread is normal."""

ROBUST_ITERATIONS = 5


def _downweight_outlying_events(events: list[PastEvent], knots: np.ndarray, reference: float,
                                weights: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """Refit the slopes with Huber weights, so that one event far off the others does not set the profile.

    A final or a record crowd among ordinary matches would otherwise lift the
    forecast of every next match by its share of the mean, while the median
    next match looks like the others. The robust standard deviation is
    1.4826 times the median absolute residual at each knot and cell, and
    residuals beyond ``HUBER_THRESHOLD`` of it weigh less (iteratively
    reweighted least squares). Knots and cells with fewer than
    ``MIN_EVENTS_FOR_ROBUST_SLOPE`` events keep the least-squares slope. The
    outlying events still count in full in the event-to-event spread, so the
    band keeps room for them.
    """
    if len(events) < MIN_EVENTS_FOR_ROBUST_SLOPE:
        return beta
    excess = np.full((len(events),) + beta.shape, np.nan)
    for number, event in enumerate(events):
        excess[number, _knot_rows(knots, event.positions)] = event.excess
    scales = np.array([_scale(event, reference) for event in events])[:, None, None]
    prior = np.asarray(weights, dtype=float)[:, None, None] * ~np.isnan(excess)
    robust = np.count_nonzero(prior > 0, axis=0) >= MIN_EVENTS_FOR_ROBUST_SLOPE
    if not robust.any():
        return beta
    values = np.nan_to_num(excess)
    fitted = beta
    for _ in range(ROBUST_ITERATIONS):
        residual = np.where(prior > 0, values - fitted[None] * scales, np.nan)
        with np.errstate(invalid="ignore", divide="ignore"):
            spread = 1.4826 * np.nanmedian(np.abs(residual), axis=0)
            huber = np.where(np.abs(residual) > HUBER_THRESHOLD * spread[None],
                             HUBER_THRESHOLD * spread[None] / np.abs(residual), 1.0)
            weight = prior * np.nan_to_num(huber, nan=0.0)
            denominator = np.sum(weight * scales**2, axis=0)
            refitted = np.where(denominator > 0, np.sum(weight * values * scales, axis=0) / denominator, 0.0)
        fitted = np.where(robust & (spread > 0), refitted, beta)
    return fitted


MIN_EVENTS_FOR_TAILS = 10
"""Fewest (effective) past events whose residuals are enough to measure the shape of their spread."""


def _tail_factor(events: list[PastEvent], knots: np.ndarray, reference: float, weights: np.ndarray,
                 beta: np.ndarray, sigma: np.ndarray, *, limits: tuple[float, float] = (0.5, 1.5)) -> float:
    """Return the p10-p90 width of the events' standardised residuals over that of a normal spread.

    Each event's residual around the fitted profile, divided by the
    event-to-event standard deviation at its knot and cell, is pooled over
    knots, cells and events (with the events' weights). With fewer than
    ``MIN_EVENTS_FOR_TAILS`` effective events the factor is 1.
    """
    if weights.sum() ** 2 / np.sum(weights**2) < MIN_EVENTS_FOR_TAILS:
        return 1.0
    values, value_weights = [], []
    for event, weight in zip(events, weights):
        rows = _knot_rows(knots, event.positions)
        with np.errstate(invalid="ignore", divide="ignore"):
            standardised = (event.excess - beta[rows] * _scale(event, reference)) / sigma[rows]
        usable = np.isfinite(standardised) & (sigma[rows] > 0)
        values.append(standardised[usable])
        value_weights.append(np.full(int(usable.sum()), weight))
    values, value_weights = np.concatenate(values), np.concatenate(value_weights)
    if values.size < MIN_EVENTS_FOR_TAILS or value_weights.sum() <= 0:
        return 1.0
    low, high = _weighted_quantiles(values, value_weights, (0.1, 0.9))
    return float(np.clip((high - low) / (2 * Z_90), *limits))


def _weighted_quantiles(values: np.ndarray, weights: np.ndarray, quantiles: tuple[float, ...]) -> np.ndarray:
    order = np.argsort(values)
    values, weights = values[order], weights[order]
    cumulative = (np.cumsum(weights) - 0.5 * weights) / weights.sum()
    return np.interp(quantiles, cumulative, values)


MIN_PLACEBOS = 3
"""Minimum number of placebo windows for a usable estimate of the noise."""


def _placebo_noise_variance(placebos: dict[int, list[PastEvent]], knots: np.ndarray) -> np.ndarray | None:
    """Return the variance of one event's excess with no event, per knot and cell, from the placebos.

    Placebo windows are pooled one by one rather than fitted as sets,
    because neighbouring weeks share baselines and their errors partly
    cancel within a set.
    """
    windows = [placebo for group in placebos.values() for placebo in group]
    if len(windows) < MIN_PLACEBOS:
        return None
    cells = windows[0].excess.shape[1]
    # One bincount over every window's (knot, cell) slots: it sums in input order, as numpy.add.at
    # would window by window, with far less overhead per element.
    slots = np.concatenate([(_knot_rows(knots, placebo.positions)[:, None] * cells + np.arange(cells)).ravel()
                            for placebo in windows])
    excess = np.concatenate([placebo.excess.ravel() for placebo in windows])
    present = ~np.isnan(excess)
    squares = np.bincount(slots, np.where(present, excess**2, 0.0), len(knots) * cells).reshape(len(knots), cells)
    counts = np.bincount(slots, present, len(knots) * cells).reshape(len(knots), cells)
    with np.errstate(invalid="ignore", divide="ignore"):
        variance = np.where(counts > 0, squares / counts, np.nan)
    fallback = np.nanmean(variance, axis=0, keepdims=True) if np.isfinite(variance).any() else np.zeros((1, cells))
    return np.where(np.isnan(variance), np.nan_to_num(fallback), variance)


def _slope_variance(events: list[PastEvent], knots: np.ndarray, reference: float,
                    noise_variance: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Return the variance of the fitted slope when each event's excess varies by ``noise_variance``.

    For the weighted slope sum(w s e) / sum(w s^2) with independent errors of
    variance v, that is v sum(w^2 s^2) / sum(w s^2)^2. With the placebos'
    noise it is the slope's variance under no effect; with the events' own
    spread around the slope, the variance of the slope as an estimate.
    """
    numerator = np.zeros_like(noise_variance)
    denominator = np.zeros_like(noise_variance)
    for event, weight in zip(events, weights):
        rows = _knot_rows(knots, event.positions)
        present = ~np.isnan(event.excess)
        scale_squared = _scale(event, reference) ** 2
        np.add.at(numerator, rows, present * weight**2 * scale_squared)
        np.add.at(denominator, rows, present * weight * scale_squared)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, noise_variance * numerator / np.where(denominator > 0, denominator, 1) ** 2,
                        0.0)


def _scale(event: PastEvent, reference: float) -> float:
    if np.isnan(event.attendance) or np.isnan(reference):
        return 1.0
    return event.attendance / reference


_ROUNDING_HOURS = 1e-6
"""Tolerance that keeps a position computed as 0.9999999 h in the hour it belongs to."""


def _knot_grid(positions: np.ndarray) -> np.ndarray:
    """Return the knots of the given positions: one per hour, at half-hour offsets from the start.

    An hour of an event that starts on the hour is centred on its knot; an
    hour of an event that starts at 19:10 takes the knot nearest to the
    middle of that hour.
    """
    return np.unique(np.floor(positions + _ROUNDING_HOURS) + 0.5)


def _knot_rows(knots: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Return each position's knot row: its own knot, or the nearest one beyond the learned range."""
    wanted = np.floor(positions + _ROUNDING_HOURS) + 0.5
    index = np.clip(np.searchsorted(knots, wanted), 0, len(knots) - 1)
    previous = np.maximum(index - 1, 0)
    closer_previous = np.abs(knots[previous] - wanted) < np.abs(knots[index] - wanted)
    return np.where(closer_previous, previous, index).astype(np.int64)
