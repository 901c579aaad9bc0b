"""Arrivals to staff for, so that an interval meets its service level with a stated probability.

Staffed for its expected arrivals, an interval misses its service level
target whenever its count comes out well above the forecast.
``arrivals_at_probability`` returns the count that the interval
stays at or below with probability ``service_level_probability``. The
expected service level falls as arrivals rise, so agents that meet the target
at that count meet it with at least that probability over the count's spread.
The count is never below the expected arrivals: a quiet interval, whose most
likely count is 0, keeps the staff its expected arrivals need.

The spread is Poisson (variance equal to the mean) when ``dispersion`` is 1.
A dispersion ``φ > 1`` means a variance of ``φ × mean``, modelled by the
negative binomial distribution with that mean and variance.
``dispersion_from_counts`` measures ``φ`` from counts of the same interval
over several past weeks; ``forecast_dispersion`` adds the error of a
forecast that averages those weeks.
"""

from __future__ import annotations

import logging

import numpy as np
from scipy import stats

logger = logging.getLogger(__name__)


def arrivals_at_probability(expected_arrivals: np.ndarray | float, probability: float | None,
                            dispersion: float = 1.0) -> np.ndarray:
    """Return the arrival count that each interval stays at or below with ``probability``.

    Parameters
    ----------
    expected_arrivals : array_like of float
        Forecast arrivals of each interval (a count per interval, not a
        rate), >= 0.
    probability : float or None
        Probability in (0, 1) that the interval's count does not pass the
        returned value. ``None`` returns ``expected_arrivals`` unchanged, the
        sizing for the expected count.
    dispersion : float, default 1.0
        Variance of the count over its mean, >= 1: 1 for Poisson arrivals,
        more for over-dispersed ones (negative binomial).

    Returns
    -------
    ndarray of float
        The smallest whole count ``n`` with ``P(N <= n) >= probability``, or
        the expected arrivals where they are larger (an expected count below
        ``-log(probability)`` for Poisson arrivals, such as 0.22 at 0.8), per
        interval; 0 where the expected arrivals are 0.

    Raises
    ------
    ValueError
        If ``probability`` is outside (0, 1), ``dispersion`` is below 1 or
        not finite, or an expected count is negative or not finite.

    Examples
    --------
    Four expected arrivals (Poisson): ``P(N <= 5) = 0.785`` and
    ``P(N <= 6) = 0.889``, so 6 arrivals are met with probability 0.8.

    >>> arrivals_at_probability([4.0], 0.8).tolist()
    [6.0]
    """
    expected = np.asarray(expected_arrivals, dtype=float)
    if np.any(~np.isfinite(expected)) or np.any(expected < 0):
        bad = float(expected[~np.isfinite(expected) | (expected < 0)][0])
        raise ValueError(f"invalid expected arrivals {bad!r}; expected counts must be finite and >= 0")
    if probability is None:
        return expected.copy()
    if not 0 < probability < 1:
        raise ValueError(f"invalid service_level_probability {probability!r}; expected a probability in (0, 1), "
                         "such as 0.8")
    if not np.isfinite(dispersion) or dispersion < 1:
        raise ValueError(f"invalid arrival dispersion {dispersion!r}; expected the variance over the mean of the "
                         "interval counts, >= 1 (1 for Poisson arrivals)")

    positive = expected > 0
    counts = np.zeros_like(expected)
    means = expected[positive]
    if dispersion == 1:
        counts[positive] = stats.poisson.ppf(probability, means)
    else:
        # Negative binomial with mean m and variance φ·m: n = m / (φ − 1) successes, success probability 1 / φ.
        # A mean so small that n underflows to 0 has the quantile 0, where scipy would return NaN.
        successes = means / (dispersion - 1.0)
        quantiles = stats.nbinom.ppf(probability, np.where(successes > 0, successes, 1.0), 1.0 / dispersion)
        counts[positive] = np.where(successes > 0, quantiles, 0.0)
    return np.maximum(counts, expected)


def dispersion_from_counts(counts: np.ndarray) -> float:
    """Measure the variance over the mean of interval counts repeated over weeks.

    ``counts`` has one row per past week and one column per interval of the
    week (the same weekday and time of day in a column). Each column's
    sample variance over the weeks estimates the count's variance about that
    interval's mean, and the pooled ratio ``Σ variance / Σ mean`` over the
    columns with arrivals estimates the dispersion. A value below 1 (less
    spread than Poisson, which sampling noise can give) is raised to 1.

    Parameters
    ----------
    counts : ndarray of shape (weeks, intervals)
        Arrival counts, >= 0; at least two weeks.

    Returns
    -------
    float
        The dispersion, >= 1.

    Raises
    ------
    ValueError
        If ``counts`` is not two-dimensional, has fewer than two weeks, or has
        a negative or missing count.

    Examples
    --------
    Two weeks with counts 10 and 14 in one interval and 3 and 3 in another:
    the variances are 8 and 0 and the means 12 and 3, so ``φ = 8 / 15``,
    raised to 1. With 10 and 20, and 3 and 3: ``φ = 50 / 18``.

    >>> dispersion_from_counts([[10, 3], [14, 3]])
    1.0
    >>> round(dispersion_from_counts([[10, 3], [20, 3]]), 4)
    2.7778
    """
    table = np.asarray(counts, dtype=float)
    if table.ndim != 2 or table.shape[0] < 2:
        raise ValueError(f"need counts of at least two weeks as a (weeks, intervals) table, got shape {table.shape}")
    if np.any(~np.isfinite(table)) or np.any(table < 0):
        raise ValueError("arrival counts must be finite and >= 0")

    means = table.mean(axis=0)
    variances = table.var(axis=0, ddof=1)
    total_mean = float(means[means > 0].sum())
    if total_mean == 0:
        return 1.0
    return max(1.0, float(variances[means > 0].sum()) / total_mean)


def forecast_dispersion(dispersion: float, weeks_averaged: int) -> float:
    """Return the dispersion of a week's count about a forecast that averages ``weeks_averaged`` past weeks.

    The forecast's own error adds ``φ·m / k`` to the count's variance
    ``φ·m`` when it is the mean of ``k`` independent past weeks of the same
    interval, so the dispersion about the forecast is ``φ·(1 + 1/k)``.

    Examples
    --------
    >>> forecast_dispersion(1.0, 1)
    2.0
    >>> forecast_dispersion(1.5, 3)
    2.0
    """
    if weeks_averaged < 1:
        raise ValueError(f"invalid weeks_averaged {weeks_averaged!r}; a forecast averages at least one week")
    if not np.isfinite(dispersion) or dispersion < 1:
        raise ValueError(f"invalid dispersion {dispersion!r}; expected a value >= 1")
    return dispersion * (1.0 + 1.0 / weeks_averaged)


__all__ = ["arrivals_at_probability", "dispersion_from_counts", "forecast_dispersion"]
