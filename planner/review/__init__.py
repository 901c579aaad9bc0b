"""Post-event review: a past week's forecast against what happened, and the event history it records."""

from planner.review.measure import EVENT_REVIEW_COLUMNS, WeekReview, fit_attendance_uplift, review_week
from planner.review.store import HISTORY_COLUMNS, HISTORY_FILE, save_event_history
from planner.review.writer import write_review

__all__ = [
    "EVENT_REVIEW_COLUMNS",
    "HISTORY_COLUMNS",
    "HISTORY_FILE",
    "WeekReview",
    "fit_attendance_uplift",
    "review_week",
    "save_event_history",
    "write_review",
]
