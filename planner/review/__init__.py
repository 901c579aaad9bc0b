"""Post-event review: a past week's forecast against what happened, and the event history it records."""

from planner.review.measure import EVENT_REVIEW_COLUMNS, WeekReview, fit_attendance_uplift, review_week
from planner.review.past_events import (
    ATTENDANCE_FIT_COLUMNS,
    PastEventsReview,
    attendance_fits,
    event_traffic_windows,
    past_event_weeks,
    review_past_events,
)
from planner.review.store import HISTORY_COLUMNS, HISTORY_FILE, save_event_history
from planner.review.writer import write_review

__all__ = [
    "ATTENDANCE_FIT_COLUMNS",
    "EVENT_REVIEW_COLUMNS",
    "HISTORY_COLUMNS",
    "HISTORY_FILE",
    "PastEventsReview",
    "WeekReview",
    "attendance_fits",
    "event_traffic_windows",
    "fit_attendance_uplift",
    "past_event_weeks",
    "review_past_events",
    "review_week",
    "save_event_history",
    "write_review",
]
