"""The baseline: what each cell would carry in an hour without events.

The baseline of an hour is a weighted mean of the same local hour in earlier
weeks (recent weeks weigh more), computed from event-free hours only, then
corrected for the trend of the cell's weekly level. All cells are computed
at once on a matrix with one row per hour and one column per cell, so the
cost grows linearly with the number of cells and no Python loop runs over
cells or rows.

When a week-ago twin is missing for every past week (a short history, a
holiday on the same weekday every week), the estimate falls back, in order,
to the same hour on recent days, to the cell's mean at that hour of the day,
and to the cell's mean.

When the dataset's clock drifts steadily (``planner.forecasting.clock_drift``),
each earlier day is read at the time where its daily pattern sat, so that
the estimate lines up with the clock of the target hour.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.forecasting.clock_drift import ClockDrift, read_shifted
from planner.forecasting.lags import lagged_rows, take_rows
from planner.messages import translatable

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProfileEstimate:
    """A baseline estimate for some rows of the hourly matrix.

    Attributes
    ----------
    values : ndarray, shape (rows, cells)
        The estimate, NaN only where a cell has no usable history at all.
    mean_lag_weeks : ndarray, shape (rows, cells)
        The weighted mean age, in weeks, of the hours the estimate was taken
        from; the trend correction moves the estimate forward by that much.
    """

    values: np.ndarray
    mean_lag_weeks: np.ndarray


CELLS_PER_BLOCK = 256
"""Cells processed together in the same-hour lookups: a few megabytes of temporaries per block."""


def seasonal_profile(
    clean: np.ndarray,
    index: pd.DatetimeIndex,
    target_rows: np.ndarray,
    *,
    max_weeks: int = 8,
    halflife_weeks: float = 2.0,
    symmetric: bool = False,
    drift: ClockDrift | None = None,
) -> ProfileEstimate:
    """Estimate each target hour from the same local hour in other weeks.

    Parameters
    ----------
    clean : ndarray, shape (hours, cells)
        Traffic with NaN wherever an hour must not be learned from (missing,
        inside an event window, after the forecast origin).
    index : DatetimeIndex
        The tz-aware hourly index of ``clean``, in the dataset's time zone.
    target_rows : ndarray of int
        The rows of ``index`` to estimate.
    max_weeks : int, default 8
        How many weeks back (and forward when ``symmetric``) to look.
    halflife_weeks : float, default 2.0
        The weight of a week halves every ``halflife_weeks`` weeks of age.
    symmetric : bool, default False
        Look both ways, for an in-sample baseline under past events; the
        forecast itself only looks back.
    drift : ClockDrift, optional
        A steady drift of the time of day: each earlier day is then read at
        the time where its daily pattern sat, interpolated between hours.
    """
    week_lags = list(range(1, max_weeks + 1))
    if symmetric:
        week_lags += [-lag for lag in week_lags]
    estimate, lag = _weighted_lag_mean(clean, index, target_rows, [7 * k for k in week_lags],
                                       [0.5 ** ((abs(k) - 1) / halflife_weeks) for k in week_lags], drift)

    # Fall back to the same hour on nearby days where no week-ago twin exists.
    missing = np.isnan(estimate)
    if missing.any():
        day_lags = list(range(1, 21))
        if symmetric:
            day_lags += [-d for d in day_lags]
        # Only the target rows and cells with a gap are looked up again.
        rows, cells = missing.any(axis=1), missing.any(axis=0)
        day_estimate, day_lag = _weighted_lag_mean(clean[:, cells], index, target_rows[rows], day_lags,
                                                   [0.5 ** ((abs(d) - 1) / 3.0) for d in day_lags], drift)
        gaps = missing[np.ix_(rows, cells)]
        estimate[np.ix_(rows, cells)] = np.where(gaps, day_estimate, estimate[np.ix_(rows, cells)])
        lag[np.ix_(rows, cells)] = np.where(gaps, day_lag, lag[np.ix_(rows, cells)])

    # Then to the cell's mean at that hour of the day, and to the cell's mean.
    missing = np.isnan(estimate)
    if missing.any():
        hour_of_day = index.hour.to_numpy()
        means_by_hour = _nanmean_by_group(clean, hour_of_day, 24)
        estimate = np.where(missing, means_by_hour[hour_of_day[target_rows]], estimate)
        lag = np.where(missing, 0.0, lag)
    missing = np.isnan(estimate)
    if missing.any():
        cell_mean = _nanmean_columns(clean)
        estimate = np.where(missing, np.broadcast_to(cell_mean, estimate.shape), estimate)
    return ProfileEstimate(values=estimate, mean_lag_weeks=lag)


def weekly_growth(filled: np.ndarray, index: pd.DatetimeIndex, origin_row: int, *, weeks: int = 6,
                  damping: float = 0.5, max_growth_per_week: float = 0.1) -> np.ndarray:
    """Estimate each cell's damped growth rate per week, as a log ratio.

    A least-squares line through the log of the last ``weeks`` weekly means
    before the origin gives the slope. The slope is multiplied by ``damping``
    and clipped to ``max_growth_per_week``, so that a noisy slope cannot run away.
    Fewer than two complete weeks give no trend (zero); two give the log
    ratio of their means.
    """
    complete_weeks = min(weeks, origin_row // 168)
    cells = filled.shape[1]
    if complete_weeks < 2:
        return np.zeros(cells)
    blocks = filled[origin_row - 168 * complete_weeks:origin_row].reshape(complete_weeks, 168, cells)
    with np.errstate(invalid="ignore", divide="ignore"):
        weekly_mean = np.nanmean(blocks, axis=1)
        log_mean = np.log(np.where(weekly_mean > 0, weekly_mean, np.nan))
    age = np.arange(complete_weeks, dtype=float)[:, None]  # 0 is the oldest week
    usable = np.isfinite(log_mean)
    count = usable.sum(axis=0)
    age_mean = np.where(usable, age, 0).sum(axis=0) / np.maximum(count, 1)
    log_centre = np.where(usable, log_mean, 0).sum(axis=0) / np.maximum(count, 1)
    covariance = np.where(usable, (age - age_mean) * (np.nan_to_num(log_mean) - log_centre), 0).sum(axis=0)
    variance = np.where(usable, (age - age_mean) ** 2, 0).sum(axis=0)
    slope = np.where((count >= 2) & (variance > 0), covariance / np.where(variance > 0, variance, 1), 0.0)
    return np.clip(damping * slope, -max_growth_per_week, max_growth_per_week)


def relative_error_quantiles(actual: np.ndarray, estimate: np.ndarray, quantiles: tuple[float, ...],
                             *, min_samples: int = 48) -> np.ndarray:
    """Return the quantiles of the relative error ``actual / estimate - 1`` per cell.

    A cell with fewer than ``min_samples`` usable hours takes the quantiles
    pooled over all cells, so that a short history still gets a band.

    Returns
    -------
    ndarray, shape (len(quantiles), cells)
    """
    ratio = _relative_errors(actual, estimate)
    per_cell = np.full((len(quantiles), ratio.shape[1]), np.nan)
    enough = np.sum(~np.isnan(ratio), axis=0) >= min_samples
    if enough.any():
        per_cell[:, enough] = _column_quantiles(ratio[:, enough], quantiles, min_samples)
    if (~enough).any():
        pooled_values = ratio[~np.isnan(ratio)]
        if pooled_values.size >= min_samples:
            pooled = np.quantile(pooled_values, quantiles)
        else:
            # NOTE: with under two days of event-free history there is no error sample to learn from,
            # so the band falls back to +-30 %, a wide guess that the report's notes flag.
            pooled = np.sign(np.asarray(quantiles) - 0.5) * 0.3
            logger.warning(translatable("too little event-free history to measure forecast errors; the band is "
                                        "set to ±30 %"))
        per_cell[:, ~enough] = pooled[:, None]
    return per_cell


def _weighted_lag_mean(clean: np.ndarray, index: pd.DatetimeIndex, target_rows: np.ndarray,
                       lags_days: list[int], weights: list[float],
                       drift: ClockDrift | None = None) -> tuple[np.ndarray, np.ndarray]:
    numerator = np.zeros((len(target_rows), clean.shape[1]))
    denominator = np.zeros_like(numerator)
    lag_sum = np.zeros_like(numerator)
    # Row -1 (no twin hour) picks the appended row of NaN.
    lag_rows = [lagged_rows(index, days)[target_rows] for days in lags_days]
    # Blocks of cells keep the temporaries in the processor cache; each cell's arithmetic is unchanged.
    for first in range(0, clean.shape[1], CELLS_PER_BLOCK):
        block = slice(first, first + CELLS_PER_BLOCK)
        padded = np.vstack([clean[:, block], np.full((1, clean[:, block].shape[1]), np.nan)]).astype(float, copy=False)
        shape = (len(target_rows), padded.shape[1])
        block_numerator, block_denominator, block_lag = np.zeros(shape), np.zeros(shape), np.zeros(shape)
        taken, known = np.empty(shape), np.empty(shape, dtype=bool)
        for rows, days, weight in zip(lag_rows, lags_days, weights):
            if drift is None:
                np.take(padded, rows, axis=0, out=taken)
            else:
                taken[:] = read_shifted(clean[:, block], rows, drift.shift_hours(days))
            np.isnan(taken, out=known)
            np.logical_not(known, out=known)
            # Masked in-place sums: where a twin is unknown nothing is added, the same bits as adding 0.0.
            np.multiply(taken, weight, out=taken)
            np.add(block_numerator, taken, out=block_numerator, where=known)
            np.add(block_denominator, weight, out=block_denominator, where=known)
            np.add(block_lag, weight * abs(days) / 7.0, out=block_lag, where=known)
        numerator[:, block] = block_numerator
        denominator[:, block] = block_denominator
        lag_sum[:, block] = block_lag
    with np.errstate(invalid="ignore", divide="ignore"):
        estimate = np.where(denominator > 0, numerator / denominator, np.nan)
        lag = np.where(denominator > 0, lag_sum / denominator, 0.0)
    return estimate, lag


def _nanmean_by_group(values: np.ndarray, groups: np.ndarray, group_count: int) -> np.ndarray:
    means = np.full((group_count, values.shape[1]), np.nan)
    for group in range(group_count):
        members = values[groups == group]
        if len(members):
            means[group] = _nanmean_columns(members)
    return means


def _nanmean_columns(values: np.ndarray) -> np.ndarray:
    present = ~np.isnan(values)
    counts = present.sum(axis=0)
    sums = np.where(present, values, 0.0).sum(axis=0)
    return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def recent_level_shift(actual: np.ndarray, estimate: np.ndarray, *, min_hours: int = 12,
                       max_ratio: float = 4.0) -> np.ndarray:
    """Return each cell's log ratio of observed traffic to the baseline's estimate over recent hours.

    The ratio of sums runs over the hours where both are known, so busy hours
    weigh more than quiet ones. A cell with fewer than ``min_hours`` such
    hours, or no traffic, gets 0 (no shift); the ratio is clipped to
    ``1 / max_ratio`` to ``max_ratio``.

    Parameters
    ----------
    actual, estimate : ndarray, shape (hours, cells)
        The last hours before the origin, and the baseline's forecast of them
        made from the weeks before (so it has not seen them).
    """
    shift, usable, count = _log_ratio_of_sums(actual, estimate, max_ratio)
    return np.where(usable & (count >= min_hours), shift, 0.0)


def hourly_level_shift(actual: np.ndarray, estimate: np.ndarray, hour_of_day: np.ndarray, *,
                       prior_hours: float = 3.0, min_hours: int = 12, max_ratio: float = 4.0) -> np.ndarray:
    """Return the recent level shift of each cell at each local hour of the day, as a log ratio.

    A change can reach some hours of the day more than others: a shop that
    closes earlier, a daily pattern that moves with a clock. Each hour's own
    shift is the ratio of sums over that hour and its two neighbours, so
    that a shape that slides by an hour is seen on both of its edges. It is
    shrunk towards the cell's shift over all hours (``recent_level_shift``)
    with the weight of ``prior_hours`` hours: with three days before the
    origin, nine hours against three. A cell without a usable shift over
    all hours gets 0 at every hour.

    Parameters
    ----------
    actual, estimate : ndarray, shape (hours, cells)
        As for ``recent_level_shift``.
    hour_of_day : ndarray of int, shape (hours,)
        The local hour of the day of each row, 0 to 23.

    Returns
    -------
    ndarray, shape (24, cells)
    """
    whole, whole_usable, count = _log_ratio_of_sums(actual, estimate, max_ratio)
    whole_usable &= count >= min_hours
    whole = np.where(whole_usable, whole, 0.0)
    shifts = np.repeat(whole[None, :], 24, axis=0)
    for hour in range(24):
        rows = np.isin(hour_of_day, [(hour - 1) % 24, hour, (hour + 1) % 24])
        own, usable, known = _log_ratio_of_sums(actual[rows], estimate[rows], max_ratio)
        weight = known / (known + prior_hours)
        shifts[hour] = np.where(whole_usable & usable, weight * own + (1 - weight) * whole, whole)
    return shifts


def _log_ratio_of_sums(actual: np.ndarray, estimate: np.ndarray,
                       max_ratio: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return per column the clipped log ratio of sums where both are known, whether both sums are positive,
    and the count of such rows."""
    known = ~np.isnan(actual) & ~np.isnan(estimate)
    observed_sum = np.where(known, actual, 0.0).sum(axis=0)
    estimate_sum = np.where(known, estimate, 0.0).sum(axis=0)
    usable = (observed_sum > 0) & (estimate_sum > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(usable, observed_sum / np.where(usable, estimate_sum, 1.0), 1.0)
    return np.log(np.clip(ratio, 1.0 / max_ratio, max_ratio)), usable, known.sum(axis=0)


def hour_of_day_spread(actual: np.ndarray, estimate: np.ndarray, hour_of_day: np.ndarray, *,
                       prior_hours: float = 14.0) -> np.ndarray:
    """Return, per local hour of the day and cell, the size of the baseline's error relative to the cell's average.

    The size is the mean absolute relative error ``|actual / estimate - 1|``
    at that hour of the day over the mean at all hours, so 1.5 means errors
    half as large again as usual. Each hour's mean is shrunk towards the
    cell's with the weight of ``prior_hours`` hours, so that a few samples
    do not give an hour its own band.

    Returns
    -------
    ndarray, shape (24, cells)
    """
    level = np.nanmean(estimate, axis=0) if estimate.size else np.zeros(estimate.shape[1])
    floor = 0.05 * np.where(np.isfinite(level), level, 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        error = np.abs(actual - estimate) / np.maximum(estimate, floor)
    error[~np.isfinite(error)] = np.nan
    known = ~np.isnan(error)
    overall = _nanmean_columns(error)
    spread = np.ones((24, error.shape[1]))
    usable = np.isfinite(overall) & (overall > 0)
    for hour in range(24):
        rows = hour_of_day == hour
        count = known[rows].sum(axis=0)
        total = np.where(known[rows], error[rows], 0.0).sum(axis=0)
        shrunk = (total + prior_hours * np.nan_to_num(overall)) / (count + prior_hours)
        spread[hour] = np.where(usable, shrunk / np.where(usable, overall, 1.0), 1.0)
    return spread


def pooled_error_cells(actual: np.ndarray, estimate: np.ndarray, *, min_samples: int = 48) -> np.ndarray:
    """Return whether each cell has too few relative errors of its own and takes the quantiles pooled over all cells.

    The same test as :func:`relative_error_quantiles` with the same ``min_samples``.
    """
    return np.sum(~np.isnan(_relative_errors(actual, estimate)), axis=0) < min_samples


def _relative_errors(actual: np.ndarray, estimate: np.ndarray) -> np.ndarray:
    """Return ``(actual - estimate) / estimate``, the estimate floored at 5 % of its column mean, NaN where undefined."""
    level = np.nanmean(estimate, axis=0)
    floor = 0.05 * np.where(np.isfinite(level), level, 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = (actual - estimate) / np.maximum(estimate, floor)
    ratio[~np.isfinite(ratio)] = np.nan
    return ratio


def band_scale(actual: np.ndarray, estimate: np.ndarray, spread: np.ndarray, week_of_row: np.ndarray,
               quantiles: tuple[float, float, float], *, max_scale: float = 3.0,
               min_samples: int = 48) -> np.ndarray:
    """Return, per cell, the factor that makes the error band cover its share of a week it was not measured on.

    Each week of the error sample is held out in turn. The band measured on
    the other weeks (per-cell quantiles of the relative error, times the
    hour-of-day ``spread``) is scaled to just cover each of its errors. A
    cell's factor is the ``quantiles[2] - quantiles[0]`` quantile of those
    scales (0.8 for a p10-p90 band). Errors within a week move
    together (a holiday, a level shift), so a band measured on the same
    weeks it is checked on is narrower than the next week needs. With fewer
    than two weeks, or fewer than ``min_samples`` held-out errors, a cell's
    factor is 1.

    Parameters
    ----------
    actual, estimate, spread : ndarray, shape (hours, cells)
        The error sample, and each hour's hour-of-day factor of the band.
    week_of_row : ndarray of int, shape (hours,)
        Which week each hour belongs to.
    """
    cells = actual.shape[1]
    weeks = np.unique(week_of_row)
    if len(weeks) < 2:
        return np.ones(cells)
    level = np.nanmean(estimate, axis=0) if len(estimate) else np.zeros(cells)
    floor = 0.05 * np.where(np.isfinite(level), level, 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        relative = (actual - estimate) / np.maximum(estimate, floor)
    relative[~np.isfinite(relative)] = np.nan
    needed = np.full(actual.shape, np.nan)
    for week in weeks:
        held_out = week_of_row == week
        if np.isnan(relative[held_out]).all():
            continue
        # The band of the other weeks, for the cells with enough of them.
        band = _column_quantiles(relative[~held_out], (quantiles[0], quantiles[2]), min_samples)
        low = np.abs(band[0])[None, :] * spread[held_out]
        high = np.abs(band[1])[None, :] * spread[held_out]
        errors = relative[held_out]
        with np.errstate(invalid="ignore", divide="ignore"):
            scale = np.where(errors < 0, -errors / low, errors / high)
        # An error outside a zero-width band needs the largest scale; NaN errors and bands stay NaN.
        scale = np.minimum(np.where((low == 0) & (high == 0) & (errors != 0), max_scale, scale), max_scale)
        needed[held_out] = np.where(np.isnan(errors), np.nan, scale)
    factor = _column_quantiles(needed, (quantiles[2] - quantiles[0],), min_samples)[0]
    return np.clip(np.where(np.isnan(factor), 1.0, factor), 1.0 / max_scale, max_scale)


def _column_quantiles(values: np.ndarray, quantiles: tuple[float, ...], min_samples: int) -> np.ndarray:
    """Return the quantiles of each column's known values (linear interpolation), NaN for too few values.

    The same as ``numpy.nanquantile`` along the rows, from a single sort,
    which is much faster on a matrix of thousands of cells.
    """
    ordered = np.sort(values, axis=0)  # NaN sorts last
    count = np.sum(~np.isnan(values), axis=0)
    result = np.full((len(quantiles), values.shape[1]), np.nan)
    enough = count >= max(min_samples, 1)
    if not enough.any():
        return result
    columns = np.flatnonzero(enough)
    for number, quantile in enumerate(quantiles):
        position = quantile * (count[columns] - 1)
        below = np.floor(position).astype(int)
        above = np.minimum(below + 1, count[columns] - 1)
        fraction = position - below
        result[number, columns] = (ordered[below, columns] * (1 - fraction)
                                   + ordered[above, columns] * fraction)
    return result