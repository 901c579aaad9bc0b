"""Timing offsets: when the traffic response to events comes earlier or later than scheduled.

A data feed's clock may drift, so that the response to events slides away
from their scheduled times week after week. For each past event at a venue,
the offset is the shift that best lines its excess up with the others' (a
cross-correlation at the venue's most responsive cell), relative to the
median event. When those offsets move steadily with the date, past events
are learned at their offsets and a new event is placed by the straight-line
trend extended to its date.

Offsets that scatter around zero are not used, because lining up noisy
events would make the learned shape sharper than the next event will be. A
steady offset that every event shares is already part of the shape learned
at the scheduled times. Lining events up must also explain clearly more of their
excess than the scheduled times do.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.messages import Message, translatable

logger = logging.getLogger(__name__)

MAX_OFFSET_HOURS = 4.0
"""Largest offset searched, each way."""

STEP_HOURS = 0.25
"""Resolution of the offset search."""

MIN_IMPROVEMENT = 0.2
"""Share of the unexplained excess that lining events up must remove before offsets are used."""

MIN_TREND_R_SQUARED = 0.8
"""Share of the offsets' variance a straight line in the date must explain to be called a drift."""

MIN_DRIFT_HOURS = 1.0
"""Smallest change of offset, over the span of the past events, that counts as a drift."""


@dataclass(frozen=True)
class TimingModel:
    """Learned timing offsets of a venue's past events, and the rule for a new one.

    Attributes
    ----------
    offsets_hours : dict of str to float
        Offset of each past event's response from its scheduled times, in
        hours (negative: earlier than scheduled).
    reference_time : Timestamp
        The start of the latest past event, where ``intercept_hours`` applies.
    intercept_hours : float
    drift_hours_per_day : float
        Slope of the offsets against the date.
    """

    offsets_hours: dict[str, float]
    reference_time: pd.Timestamp
    intercept_hours: float
    drift_hours_per_day: float

    def offset_for(self, start: pd.Timestamp) -> float:
        """Return the expected offset of an event starting at ``start``, in hours."""
        days = (start - self.reference_time) / pd.Timedelta(days=1)
        offset = self.intercept_hours + self.drift_hours_per_day * days
        return round(float(np.clip(offset, -MAX_OFFSET_HOURS, MAX_OFFSET_HOURS)) * 60) / 60

    def describe(self, start: pd.Timestamp, *, scheduled: bool = True) -> Message:
        """Return where an event starting at ``start`` is placed, and the drift, as words for the report's notes.

        Such as ``3 h 17 min earlier than scheduled, following a drift of
        10.4 min earlier each day``. An event written with a date only has
        no scheduled time, so with ``scheduled=False`` the offset is only
        ``3 h 17 min earlier``: the caller names the times it moves.
        """
        minutes = round(self.offset_for(start) * 60)
        duration = duration_text(abs(minutes))
        if minutes < 0:
            shift = (translatable("{duration} earlier than scheduled", duration=duration) if scheduled
                     else translatable("{duration} earlier", duration=duration))
        elif minutes > 0:
            shift = (translatable("{duration} later than scheduled", duration=duration) if scheduled
                     else translatable("{duration} later", duration=duration))
        else:
            shift = (translatable("at its scheduled times") if scheduled
                     else translatable("by less than a minute"))
        drift_minutes = self.drift_hours_per_day * 60
        drift = (translatable("{minutes:.1f} min earlier each day", minutes=-drift_minutes) if drift_minutes < 0
                 else translatable("{minutes:.1f} min later each day", minutes=drift_minutes))
        return translatable("{shift}, following a drift of {drift}", shift=shift, drift=drift)


def duration_text(minutes: int) -> str:
    """Return a whole number of minutes as hours and minutes, such as ``3 h 17 min``, ``3 h`` or ``45 min``."""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def estimate_timing(series: list[np.ndarray], positions: list[np.ndarray], starts: list[pd.Timestamp],
                    event_ids: list[str]) -> TimingModel | None:
    """Estimate each past event's timing offset from its excess at one cell.

    Parameters
    ----------
    series : list of ndarray
        Each event's excess at the venue's most responsive cell, hour by hour
        over a window wide enough to hold the largest offset.
    positions : list of ndarray
        The time in hours from each event's scheduled start to the middle of
        each of those hours.
    starts : list of Timestamp
        Scheduled starts, for the drift over time.

    Returns
    -------
    TimingModel or None
        None when fewer than two events have data, when lining them up does
        not explain clearly more of their excess than the scheduled times, or
        when the offsets show no drift (every offset is then taken as zero).
        Two events are enough: a drift of at least ``MIN_DRIFT_HOURS``
        between them that lining them up confirms is followed from the
        second past event on, when it matters most, rather than from the
        third.
    """
    usable = [index for index, values in enumerate(series) if np.isfinite(values).sum() >= 3]
    if len(usable) < 2:
        return None
    grid = np.arange(-MAX_OFFSET_HOURS - 4.0, max(p.max() for p in positions) + 0.01, STEP_HOURS)
    curves = np.array([_on_grid(series[i], positions[i], grid) for i in usable])
    candidates = np.arange(-MAX_OFFSET_HOURS, MAX_OFFSET_HOURS + 0.01, STEP_HOURS)

    # The lag of every pair of events, then the offsets that best explain all pairwise lags
    # (least squares: each event's offset is its mean lag against all events).
    shifted = [np.array([_shifted(curve, grid, candidate) for candidate in candidates]) for curve in curves]
    lags = np.zeros((len(usable), len(usable)))
    for first in range(len(usable)):
        for second in range(first + 1, len(usable)):
            scores = [_match(candidate_curve, curves[second]) for candidate_curve in shifted[first]]
            if np.isfinite(scores).any():
                lags[first, second] = candidates[int(np.nanargmax(scores))]
                lags[second, first] = -lags[first, second]
    offsets = lags.mean(axis=1)
    offsets = np.clip(offsets - np.median(offsets), -MAX_OFFSET_HOURS, MAX_OFFSET_HOURS)

    # The offsets are relative to the median event, whose response stays where its schedule puts it.
    aligned = np.array([_shifted(curve, grid, offset) for curve, offset in zip(curves, offsets)])
    if not _spread(aligned) < (1 - MIN_IMPROVEMENT) * _spread(curves):
        return None

    # Only a steady drift with the date is worth following: offsets that scatter around zero are noise
    # that lining events up would fit, and the shape learned at the scheduled times already spreads them.
    times = [starts[i] for i in usable]
    reference = times[-1]
    days = np.array([(time - reference) / pd.Timedelta(days=1) for time in times])
    if np.ptp(days) <= 0:
        return None
    drift, intercept = np.polyfit(days, offsets, 1)
    fitted = intercept + drift * days
    total = np.sum((offsets - offsets.mean()) ** 2)
    r_squared = 1 - np.sum((offsets - fitted) ** 2) / total if total > 0 else 0.0
    if r_squared < MIN_TREND_R_SQUARED or abs(drift) * np.ptp(days) < MIN_DRIFT_HOURS:
        return None
    model = TimingModel(offsets_hours={event_ids[i]: float(o) for i, o in zip(usable, offsets)},
                        reference_time=reference, intercept_hours=float(intercept),
                        drift_hours_per_day=float(drift))
    logger.info("timing offsets learned from %d events: %s", len(usable),
                ", ".join(f"{event_ids[i]} {o * 60:+.0f} min" for i, o in zip(usable, offsets)))
    return model


def _on_grid(values: np.ndarray, positions: np.ndarray, grid: np.ndarray) -> np.ndarray:
    present = np.isfinite(values)
    curve = np.interp(grid, positions[present], values[present], left=np.nan, right=np.nan)
    return curve


def _shifted(curve: np.ndarray, grid: np.ndarray, offset: float) -> np.ndarray:
    """Return the curve moved so that a response ``offset`` hours late lines up with time zero."""
    present = np.isfinite(curve)
    if present.sum() < 2:
        return np.full_like(curve, np.nan)
    return np.interp(grid + offset, grid[present], curve[present], left=np.nan, right=np.nan)


def _match(curve: np.ndarray, template: np.ndarray) -> float:
    both = np.isfinite(curve) & np.isfinite(template)
    if both.sum() < 3:
        return -np.inf
    return float(np.dot(curve[both], template[both]) / both.sum())


def _spread(curves: np.ndarray) -> float:
    """Return the mean squared difference of the curves from their mean, where all are defined."""
    defined = np.isfinite(curves).all(axis=0)
    if not defined.any():
        return np.inf
    part = curves[:, defined]
    return float(np.mean((part - part.mean(axis=0)) ** 2))
