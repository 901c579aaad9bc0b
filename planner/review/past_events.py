"""Review a dataset's recent past events together: which weeks, their traffic windows, attendance fits.

These are the steps of the ``past_events`` notebook, kept here so that the
notebook only calls the package and the steps are tested. Nothing is written
to the event history; ``planner review`` does that.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pandas as pd

from planner.inputs.dataset import Dataset
from planner.inputs.weeks import Week, week_of
from planner.review.measure import EVENT_REVIEW_COLUMNS, WeekReview, fit_attendance_uplift, review_week

logger = logging.getLogger(__name__)

ATTENDANCE_FIT_COLUMNS: tuple[str, ...] = ("measure", "slope", "intercept", "r_squared", "events")


@dataclass(frozen=True)
class PastEventsReview:
    """The reviews of a dataset's most recent weeks with events.

    Attributes
    ----------
    reviews : list of WeekReview
        One per week, oldest first.
    events : DataFrame
        The reviews' event rows, one per event and measure, with the
        columns of :data:`planner.review.EVENT_REVIEW_COLUMNS`.
    """

    reviews: list[WeekReview]
    events: pd.DataFrame


def past_event_weeks(dataset: Dataset, max_weeks: int = 3, warm_up_weeks: int = 2) -> list[Week]:
    """Return the most recent ISO weeks with an event that the data covers, oldest first.

    An event counts when it starts at least ``warm_up_weeks`` weeks after
    the first hour of traffic, so that its week has history to be forecast
    from, and ends before the last hour of traffic. Public holidays count as
    events, as in the plan.
    """
    events = dataset.events
    first_start = dataset.first_hour + pd.Timedelta(weeks=warm_up_weeks)
    covered = events[(events["start"] >= first_start) & (events["end"] <= dataset.last_hour)]
    weeks = {week_of(start.tz_convert(dataset.timezone)) for start in covered["start"]}
    ordered = sorted(weeks, key=lambda week: week.start)
    return ordered[-max_weeks:] if max_weeks > 0 else []


def review_past_events(dataset: Dataset, max_weeks: int = 3, warm_up_weeks: int = 2) -> PastEventsReview:
    """Review each of the most recent weeks with events (:func:`past_event_weeks`).

    Each week is planned from the history before it and compared with what
    happened (:func:`planner.review.review_week`), with the expected
    attendance of its events.
    """
    weeks = past_event_weeks(dataset, max_weeks, warm_up_weeks)
    logger.info("%s: reviewing %d past weeks with events: %s", dataset.name, len(weeks),
                ", ".join(week.label for week in weeks))
    reviews = [review_week(dataset, week) for week in weeks]
    frames = [review.events for review in reviews if not review.events.empty]
    events = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(EVENT_REVIEW_COLUMNS))
    return PastEventsReview(reviews=reviews, events=events)


def event_traffic_windows(review: WeekReview, margin_hours: float = 6.0) -> dict[tuple[str, str], pd.DataFrame]:
    """Return the observed traffic and the baseline around each reviewed event, summed over its cells.

    Returns
    -------
    dict
        ``(event_id, measure)`` to a frame indexed by hour, with columns
        ``baseline`` (the event-free forecast) and ``actual``, from
        ``margin_hours`` before the event's start to as long after its end.
    """
    forecast = review.plan.forecast
    margin = pd.Timedelta(hours=margin_hours)
    windows = {}
    for row in review.events.itertuples(index=False):
        cells = str(row.cells).split(";")
        rows = forecast[(forecast["measure"] == row.measure) & forecast["cell_id"].isin(cells)]
        totals = rows.groupby("timestamp")[["baseline", "actual"]].sum(min_count=1)
        windows[(row.event_id, row.measure)] = totals.loc[row.start - margin: row.end + margin]
    return windows


def attendance_fits(events: pd.DataFrame) -> pd.DataFrame:
    """Fit peak uplift against attendance per measure (:func:`planner.review.fit_attendance_uplift`).

    Returns
    -------
    DataFrame
        One row per measure with the columns of ``ATTENDANCE_FIT_COLUMNS``:
        ``slope`` and ``intercept`` of ``uplift ratio − 1`` against
        attendance in people, ``r_squared``, and the number of events. The
        fit values are NaN when fewer than two events differ in attendance.
    """
    rows = []
    for measure, group in events.groupby("measure", sort=True):
        slope, intercept, r_squared = fit_attendance_uplift(group)
        rows.append({"measure": measure, "slope": slope, "intercept": intercept, "r_squared": r_squared,
                     "events": len(group)})
    return pd.DataFrame(rows, columns=list(ATTENDANCE_FIT_COLUMNS))
