"""Write a review's ``review.html`` and ``review.csv`` to ``<out>/<dataset>/<week>-review/`` in one swap."""

from __future__ import annotations

import logging
from pathlib import Path

from planner.messages import translatable
from planner.reporting import i18n
from planner.reporting.review_html import render_review_html
from planner.reporting.tables import round_for_csv
from planner.reporting.writer import safe_folder_name, staged_folder
from planner.review.measure import WeekReview

logger = logging.getLogger(__name__)

REVIEW_HTML = "review.html"
REVIEW_CSV = "review.csv"


def write_review(review: WeekReview, out_dir: str | Path = "reports", lang: str = "fr") -> Path:
    """Write ``review.html`` (in ``lang``) and ``review.csv`` (machine values, ISO times) for one reviewed week.

    Returns
    -------
    Path
        The review folder, ``<out_dir>/<dataset>/<week>-review``.
    """
    i18n.check_language(lang)
    plan = review.plan
    parent = Path(out_dir).resolve() / safe_folder_name(plan.dataset.name, translatable("dataset name"))
    target = parent / (safe_folder_name(plan.week.label, translatable("week label")) + "-review")
    with staged_folder(target) as staging:
        page = render_review_html(review.events, plan.dataset, plan.week, lang)
        (staging / REVIEW_HTML).write_text(page, encoding="utf-8")
        _review_csv(review).to_csv(staging / REVIEW_CSV, index=False, encoding="utf-8", lineterminator="\n")
    logger.info("review of %s %s written to %s", plan.dataset.name, plan.week.label, target)
    return target


def _review_csv(review: WeekReview):
    frame = review.events.copy()
    timezone = review.plan.dataset.timezone
    for column in ("start", "end", "forecast_peak_time", "actual_peak_time", "window_start", "window_end"):
        frame[column] = [value.tz_convert(timezone).isoformat() if hasattr(value, "tz_convert") else ""
                         for value in frame[column]]
    for column in frame.columns:
        if frame[column].dtype == float:
            frame[column] = frame[column].map(round_for_csv)
    return frame
