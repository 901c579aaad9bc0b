"""Clock drift: a data feed whose time of day slides steadily with the date.

A feed whose timestamps drift (a logger's clock that runs fast, a
conversion that adds a few minutes a day) moves the whole daily pattern
earlier or later, day after day. The baseline reads the same hour of past
weeks, so it then lags the pattern by the drift accumulated since each of
those weeks.

The drift is a property of the feed's clock, which every cell and measure
of a dataset shares (one timestamp per row of the traffic table). So it is
measured once per dataset, on each measure's traffic pooled over all cells
(their total over the total of their mean levels), where the daily pattern
is clearest. The hours of past events' windows are left out. Each day is
cross-correlated with the same weekday one and two weeks earlier, over
shifts of up to ``MAX_SHIFT_HOURS`` each way at sub-hour resolution (linear
interpolation between hours), and the correlations of the measures are
averaged. Comparing the same weekday keeps the difference between weekday
and weekend shapes out of the lags. The lags give each day an offset by
least squares, and a straight line in the date, with one intercept per
weekday, is fitted through the offsets.

The drift is used only when it passes the tests that
``planner.forecasting.timing`` applies to events. The line must explain at
least ``MIN_TREND_R_SQUARED`` of the offsets' variance and move the clock by
at least ``MIN_DRIFT_HOURS`` over the days measured. Lining the days up by
it must also remove at least ``MIN_IMPROVEMENT`` of their mismatch (one
minus their correlation).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.forecasting.timing import MAX_OFFSET_HOURS, MIN_DRIFT_HOURS, MIN_IMPROVEMENT, MIN_TREND_R_SQUARED
from planner.forecasting.windows import event_window
from planner.inputs.dataset import Dataset

logger = logging.getLogger(__name__)

MAX_SHIFT_HOURS = MAX_OFFSET_HOURS
"""Largest lag searched between two days, each way."""

STEP_HOURS = 0.25
"""Resolution of the lag search, before a parabola refines the best lag."""

PAIR_WEEKS = (1, 2)
"""Each day is compared with the same weekday this many weeks earlier. Three weeks of a drift of 12 minutes a day
would already lag by more than ``MAX_SHIFT_HOURS``."""

MIN_PAIRS = 7
"""Minimum number of pairs of days with a measured lag (a week of them) before a drift is estimated."""

MIN_OVERLAP_HOURS = 12.0
"""Minimum number of hours that two days must both have known for their lag to be measured."""

MIN_CELL_SHARE = 0.5
"""Share of the cells' total level that must be known at an hour for the pooled traffic to be defined there."""


@dataclass(frozen=True)
class ClockDrift:
    """A steady drift of the time of day of a dataset's traffic.

    Attributes
    ----------
    hours_per_day : float
        Change of the clock's offset per day, in hours (negative: the daily
        pattern comes earlier every day).
    r_squared : float
        Share of the daily offsets' variance that the straight line explains.
    improvement : float
        Share of the mismatch between a day and the same weekday earlier that
        lining them up by the line removes.
    pairs : int
        Pairs of days whose lag was measured.
    """

    hours_per_day: float
    r_squared: float
    improvement: float
    pairs: int

    def shift_hours(self, lag_days: float) -> float:
        """Return how much later, in hours, to read the traffic ``lag_days`` days back so that its daily
        pattern lines up with today's (``lag_days`` negative looks ahead)."""
        return -self.hours_per_day * lag_days


def feed_clock_drift(dataset: Dataset, origin: pd.Timestamp, past_events: pd.DataFrame, *, hours_before: int,
                     hours_after: int, max_weeks: int = 8) -> ClockDrift | None:
    """Estimate a steady drift of the dataset's clock from its traffic before ``origin``.

    The hours from ``hours_before`` before each past event's scheduled start
    to ``hours_after`` after its end are left out, as from the baseline.
    """
    index = pd.date_range(dataset.first_hour, origin, freq="h", inclusive="left")
    series = pooled_traffic(dataset.traffic, list(dataset.settings.measure_names), index)
    return pooled_clock_drift(series, index, past_events, hours_before=hours_before, hours_after=hours_after,
                              max_weeks=max_weeks, label=dataset.name)


def pooled_clock_drift(series: list[np.ndarray], index: pd.DatetimeIndex, past_events: pd.DataFrame, *,
                       hours_before: int, hours_after: int, max_weeks: int = 8, label: str = "") -> ClockDrift | None:
    """Estimate a steady clock drift from pooled traffic (see ``pooled_traffic``), past events' windows left out."""
    excluded = np.zeros(len(index), dtype=bool)
    # NOTE: a response that the drift moved out of its scheduled window stays in. Windows widened by the largest
    # lag left so few hours on the San Siro data that no drift was found before its last backtest week.
    for event in past_events.itertuples(index=False):
        excluded[event_window(event.start, event.end, index, hours_before=hours_before,
                              hours_after=hours_after).rows] = True
    return estimate_clock_drift([np.where(excluded, np.nan, pooled) for pooled in series], index,
                                max_weeks=max_weeks, label=label)


def pooled_traffic(traffic: pd.DataFrame, measures: list[str], index: pd.DatetimeIndex) -> list[np.ndarray]:
    """Return, per measure, the cells' known traffic at each hour of ``index`` over the mean level of those cells.

    Weighing each cell by its level makes the pooled series the network's
    total, relative to its usual size, and keeps it steady when a quiet cell
    misses an hour. An hour where cells of less than ``MIN_CELL_SHARE`` of
    the total level are known is NaN. The result is that of
    ``pooled_from_sums`` on the ``pooled_sums`` of any split of the cells.
    """
    return pooled_from_sums([pooled_sums(traffic, measures, index)], index)


@dataclass(frozen=True)
class PooledSums:
    """Sums over a set of cells behind ``pooled_traffic``, which add up across disjoint sets of cells.

    Every sum is kept as its ``SPLIT_EXPONENTS`` parts, each exact (see
    ``split_parts``), so that adding the parts of several sets and then the
    parts together gives the same float whatever the split of the cells.

    Attributes
    ----------
    index : DatetimeIndex
        The hours of the arrays, from the first hour of these cells' traffic.
    totals : dict of str to ndarray, each of shape (parts, hours)
        Per measure, the sum of the cells' known values at each hour.
    known_levels : dict of str to ndarray, each of shape (parts, hours)
        Per measure, the sum of the levels of the cells known at each hour.
    levels : dict of str to ndarray, each of shape (parts,)
        Per measure, the sum of the cells' levels.
    """

    index: pd.DatetimeIndex
    totals: dict[str, np.ndarray]
    known_levels: dict[str, np.ndarray]
    levels: dict[str, np.ndarray]


SPLIT_EXPONENTS = (30, 0, -30, -60)
"""Powers of two to whose multiples ``split_parts`` rounds each value, one part each. A part below the first is at
most 2**29 times its power of two, so a float64 adds up 2**24 (16.7 million) of them exactly. Bits below 2**-61
are dropped, which are below the last bit of any value over 2**-8."""


def split_parts(values: np.ndarray):
    """Yield, for each of the ``SPLIT_EXPONENTS`` powers of two, largest first, the multiple of it in each value.

    The parts of a value add up to it but for the bits below 2**-61. Sums of
    parts are exact while they add fewer than 2**24 values, none reaching
    2**80, so they do not depend on the order of the values nor on how the
    values are split between calls. The array yielded is reused for the
    next part.
    """
    rest = np.array(values, dtype=float)
    part = np.empty_like(rest)
    for exponent in SPLIT_EXPONENTS:
        # Adding 1.5 * 2**(exponent + 52) rounds a rest under 2**(exponent + 51) to a multiple of 2**exponent.
        # Subtracting the shifter back and taking the remainder rest - part are both exact.
        shifter = 1.5 * 2.0 ** (exponent + 52)
        np.add(rest, shifter, out=part)
        np.subtract(part, shifter, out=part)
        np.subtract(rest, part, out=rest)
        yield part


def collapse_parts(parts: np.ndarray) -> np.ndarray:
    """Return the float sum of the parts along the first axis, adding them from the largest power of two down."""
    result = parts[0].copy()
    for part in parts[1:]:
        result = result + part
    return result


def pooled_sums(traffic: pd.DataFrame, measures: list[str], index: pd.DatetimeIndex) -> PooledSums:
    """Return the ``PooledSums`` of the cells of ``traffic`` over the hours of ``index``.

    A cell's level is the mean of its known values in ``index``, so every
    row of a cell must be in ``traffic`` for the sums to add up across sets
    of cells.
    """
    time_codes, times = pd.factorize(traffic["timestamp"])
    cell_codes, cells = pd.factorize(traffic["cell_id"])
    rows = index.get_indexer(times)[time_codes]
    parts = len(SPLIT_EXPONENTS)
    totals, known_levels, levels = {}, {}, {}
    for measure in measures:
        values = traffic[measure].to_numpy(dtype=float)
        known = (rows >= 0) & ~np.isnan(values)
        known_cells, known_rows = cell_codes[known], rows[known]

        # One split of the values gives both each cell's sum (for its level) and each hour's total.
        cell_sums, total = np.empty((parts, len(cells))), np.empty((parts, len(index)))
        for number, part in enumerate(split_parts(values[known])):
            cell_sums[number] = np.bincount(known_cells, part, minlength=len(cells))
            total[number] = np.bincount(known_rows, part, minlength=len(index))
        counts = np.bincount(known_cells, minlength=len(cells))
        level = collapse_parts(cell_sums) / np.maximum(counts, 1)
        level = np.where(level > 0, level, 0.0)

        level_parts = np.array([part.copy() for part in split_parts(level)]).reshape(parts, len(cells))
        known_levels[measure] = np.array([np.bincount(known_rows, part[known_cells], minlength=len(index))
                                          for part in level_parts]).reshape(parts, len(index))
        totals[measure] = total
        levels[measure] = level_parts.sum(axis=1)
    return PooledSums(index=index, totals=totals, known_levels=known_levels, levels=levels)


def pooled_from_sums(sums: list[PooledSums], index: pd.DatetimeIndex) -> list[np.ndarray]:
    """Combine the ``PooledSums`` of disjoint sets of cells into ``pooled_traffic`` over ``index``.

    Each set's hours must lie in ``index``, on the same hourly grid.
    """
    measures = list(sums[0].totals) if sums else []
    result = []
    for measure in measures:
        total = np.zeros((len(SPLIT_EXPONENTS), len(index)))
        known_level = np.zeros_like(total)
        level_sum = np.zeros(len(SPLIT_EXPONENTS))
        for part in sums:
            positions = index.get_indexer(part.index)
            if np.any(positions < 0):
                raise ValueError(f"pooled sums from {part.index[0]} to {part.index[-1]} are not on the hours of "
                                 f"{index[0]} to {index[-1]}; pass the index that spans every set of cells")
            total[:, positions] += part.totals[measure]
            known_level[:, positions] += part.known_levels[measure]
            level_sum += part.levels[measure]
        total, known_level = collapse_parts(total), collapse_parts(known_level)
        level_total = float(collapse_parts(level_sum[:, None])[0])
        enough = (known_level > 0) & (known_level >= MIN_CELL_SHARE * level_total)
        result.append(np.where(enough, total / np.where(enough, known_level, 1.0), np.nan))
    return result


def estimate_clock_drift(series: list[np.ndarray], index: pd.DatetimeIndex, *, max_weeks: int = 8,
                         label: str = "") -> ClockDrift | None:
    """Estimate a steady drift of the time of day from the last ``max_weeks`` weeks of pooled traffic.

    Parameters
    ----------
    series : list of ndarray, each of shape (hours,)
        Hourly traffic of one feed, one array per measure (see
        ``pooled_traffic``), NaN wherever an hour must not be learned from.
    index : DatetimeIndex
        The tz-aware hourly index of the series, in the dataset's time zone.
    label : str
        Named in the log messages, such as the dataset.

    Returns
    -------
    ClockDrift or None
        None when the history is too short, or the offsets show no steady
        drift that clearly explains more than no drift.
    """
    measured = np.flatnonzero(np.any([~np.isnan(values) for values in series], axis=0))
    if measured.size == 0:
        return None
    span = slice(max(0, measured[-1] + 1 - (max_weeks * 7 + 1) * 24), measured[-1] + 1)
    series = [values[span] for values in series]
    midnights = _day_starts(index[span])

    # Each day's first 24 hours on a grid of fractional rows from its local midnight.
    grid = np.arange(0.0, 24.0, STEP_HOURS)
    candidates = np.arange(-MAX_SHIFT_HOURS, MAX_SHIFT_HOURS + STEP_HOURS / 2, STEP_HOURS)

    def correlation(later: pd.Timestamp, earlier: pd.Timestamp, shifts: np.ndarray) -> np.ndarray:
        """Return the measures' mean correlation of ``later`` with ``earlier`` read ``shifts`` hours later."""
        scores = np.array([_correlations(_read(values, midnights[later] + grid),
                                         _read(values, midnights[earlier] + grid[None, :] + shifts[:, None]))
                           for values in series])
        finite = np.isfinite(scores)
        total = np.where(finite, scores, 0.0).sum(axis=0)
        return np.where(finite.any(axis=0), total / np.maximum(finite.sum(axis=0), 1), np.nan)

    unshifted = int(np.argmin(np.abs(candidates)))
    days = sorted(midnights)
    pairs = []
    for later in days:
        for weeks in PAIR_WEEKS:
            earlier = later - pd.Timedelta(days=7 * weeks)
            if earlier not in midnights:
                continue
            scores = correlation(later, earlier, candidates)
            if np.isfinite(scores).any():
                pairs.append((later, earlier, _refined_lag(candidates, scores), scores[unshifted]))
    if len(pairs) < MIN_PAIRS:
        logger.debug("clock drift of %s: %d pairs of days one or two weeks apart, too few to measure", label,
                     len(pairs))
        return None

    # Each pair's lag is how much later the earlier day's pattern sits, so offset(later) - offset(earlier) = -lag.
    used_days = sorted({day for pair in pairs for day in pair[:2]})
    column = {day: number for number, day in enumerate(used_days)}
    design = np.zeros((len(pairs), len(used_days)))
    for row, (later, earlier, _lag, _score) in enumerate(pairs):
        design[row, column[later]] = 1.0
        design[row, column[earlier]] = -1.0
    lags = np.array([pair[2] for pair in pairs])
    offsets = np.linalg.lstsq(design, -lags, rcond=None)[0]

    # A straight line with one intercept per weekday: only pairs of the same weekday tie offsets together.
    day_numbers = np.array([(day - used_days[0]) / pd.Timedelta(days=1) for day in used_days])
    weekdays = np.array([day.weekday() for day in used_days])
    centred_days, centred_offsets = day_numbers.copy(), offsets.copy()
    for weekday in np.unique(weekdays):
        same = weekdays == weekday
        centred_days[same] -= centred_days[same].mean()
        centred_offsets[same] -= centred_offsets[same].mean()
    spread_days = np.sum(centred_days ** 2)
    total = np.sum(centred_offsets ** 2)
    if spread_days <= 0 or total <= 0:
        return None
    drift = float(np.sum(centred_days * centred_offsets) / spread_days)
    r_squared = float(1 - np.sum((centred_offsets - drift * centred_days) ** 2) / total)

    # Lining each pair up by the line must clearly beat reading it at the same clock time.
    unaligned, aligned = [], []
    for later, earlier, _lag, score in pairs:
        shift = -drift * (later - earlier) / pd.Timedelta(days=1)
        unaligned.append(1 - score)
        aligned.append(1 - correlation(later, earlier, np.array([shift]))[0])
    # Only the pairs measured both ways count, so that a pair lost at one of the two times does not tip the balance.
    both = np.isfinite(unaligned) & np.isfinite(aligned)
    unaligned_total, aligned_total = np.sum(np.asarray(unaligned)[both]), np.sum(np.asarray(aligned)[both])
    improvement = float(1 - aligned_total / unaligned_total) if unaligned_total > 0 else 0.0
    measured_days = float(np.ptp(day_numbers))
    moved = abs(drift) * measured_days
    if r_squared < MIN_TREND_R_SQUARED or moved < MIN_DRIFT_HOURS or improvement < MIN_IMPROVEMENT:
        logger.debug("clock drift of %s: none used (%+.1f min a day, R² %.2f, lining days up removes %.0f%% of "
                     "their mismatch, %.1f h over %.0f days; %d pairs)", label, drift * 60, r_squared,
                     improvement * 100, moved, measured_days, len(pairs))
        return None
    logger.info("clock drift of %s: %+.1f min a day (R² %.2f, lining days up removes %.0f%% of their mismatch; "
                "%d pairs of days); the baseline reads past weeks at the drifted time", label, drift * 60,
                r_squared, improvement * 100, len(pairs))
    return ClockDrift(hours_per_day=drift, r_squared=r_squared, improvement=improvement, pairs=len(pairs))


def read_shifted(values: np.ndarray, rows: np.ndarray, shift_hours: float) -> np.ndarray:
    """Return ``values`` read ``shift_hours`` hours after ``rows``, linearly interpolated between rows.

    Row -1 and rows read outside ``values`` give NaN, and so does an hour
    whose interpolation involves a NaN.
    """
    whole = int(np.floor(shift_hours))
    fraction = shift_hours - whole
    result = _rows_moved_by(values, rows, whole)
    if fraction > 0:
        result = result * (1 - fraction) + _rows_moved_by(values, rows, whole + 1) * fraction
    return result


def _rows_moved_by(values: np.ndarray, rows: np.ndarray, step: int) -> np.ndarray:
    """Return ``values[rows + step]`` as floats, NaN where ``rows`` is -1 or the moved row is outside ``values``."""
    moved = rows + step
    inside = (rows >= 0) & (moved >= 0) & (moved < len(values))
    result = values[np.where(inside, moved, 0)].astype(float)
    result[~inside] = np.nan
    return result


def _day_starts(index: pd.DatetimeIndex) -> dict[pd.Timestamp, float]:
    """Return the row of each local midnight of ``index`` (a naive wall-clock time), for the days that end inside it."""
    wall_clock = index.tz_localize(None)
    rows = np.flatnonzero((wall_clock.hour == 0))
    return {wall_clock[row]: float(row) for row in rows if row + 24 <= len(index)}


def _read(series: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Return ``series`` at fractional row ``positions``, linearly interpolated; NaN outside or next to a NaN."""
    below = np.floor(positions).astype(int)
    fraction = positions - below
    inside = (below >= 0) & (below + 1 < len(series))
    safe = np.where(inside, below, 0)
    value = series[safe] * (1 - fraction) + series[np.minimum(safe + 1, len(series) - 1)] * fraction
    exact = inside & (fraction == 0)
    value = np.where(exact, series[safe], value)
    return np.where(inside, value, np.nan)


def _correlations(first: np.ndarray, shifted: np.ndarray) -> np.ndarray:
    """Return the Pearson correlation of ``first`` with each row of ``shifted``, over the points both have.

    A row that shares fewer than ``MIN_OVERLAP_HOURS`` hours of points with
    ``first``, or is flat there, gives NaN.
    """
    both = np.isfinite(first)[None, :] & np.isfinite(shifted)
    count = both.sum(axis=1)
    a = np.where(both, first[None, :], 0.0)
    b = np.where(both, shifted, 0.0)
    a = np.where(both, a - a.sum(axis=1, keepdims=True) / np.maximum(count, 1)[:, None], 0.0)
    b = np.where(both, b - b.sum(axis=1, keepdims=True) / np.maximum(count, 1)[:, None], 0.0)
    norm = np.sqrt(np.sum(a ** 2, axis=1) * np.sum(b ** 2, axis=1))
    usable = (count * STEP_HOURS >= MIN_OVERLAP_HOURS) & (norm > 0)
    return np.where(usable, np.sum(a * b, axis=1) / np.where(usable, norm, 1.0), np.nan)


def _refined_lag(candidates: np.ndarray, scores: np.ndarray) -> float:
    """Return the lag of the best score, refined by a parabola through it and its neighbours."""
    best = int(np.nanargmax(scores))
    if 0 < best < len(scores) - 1 and np.isfinite(scores[best - 1]) and np.isfinite(scores[best + 1]):
        left, centre, right = scores[best - 1], scores[best], scores[best + 1]
        curvature = left - 2 * centre + right
        if curvature < 0:
            return float(candidates[best] + 0.5 * (left - right) / curvature * STEP_HOURS)
    return float(candidates[best])
