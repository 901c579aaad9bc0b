"""The self-contained ``review.html`` of a post-event review, in the look of the weekly report."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pandas as pd

import planner
from planner.inputs.dataset import Dataset
from planner.inputs.weeks import Week
from planner.reporting import html, i18n

TEMPLATE_NAME = "review.html.j2"


def render_review_html(events: pd.DataFrame, dataset: Dataset, week: Week, lang: str = "fr",
                       generated_at: datetime | None = None) -> str:
    """Render the review table of one past week as one HTML page.

    Parameters
    ----------
    events : DataFrame
        One row per event and measure, with the columns of
        ``planner.review.EVENT_REVIEW_COLUMNS``.
    dataset : Dataset
    week : Week
    lang : str
        ``"fr"`` (default) or ``"en"``.
    generated_at : datetime, optional
        Time printed in the header; now, in the dataset's time zone, by default.
    """
    i18n.check_language(lang)
    if generated_at is None:
        generated_at = datetime.now(dataset.timezone)
    environment = html.environment(lang)
    gettext = i18n.translations(lang).gettext

    def verdict(value: object) -> str:
        if value is None or (isinstance(value, float) and value != value):
            return i18n.MISSING
        return gettext("yes") if bool(value) else gettext("no")

    context: dict[str, Any] = {
        "lang": lang,
        "title": i18n.settings_text(dataset.settings, dataset.settings.title, lang) or dataset.name,
        "dataset_name": dataset.name,
        "week_label": week.label,
        "week_first_day": week.start,
        "week_last_day": week.end.date() - timedelta(days=1),
        "timezone": str(dataset.timezone),
        "generated_at": generated_at,
        "version": planner.__version__,
        "measures": {measure.name: html.measure_label(i18n.localized_measure(dataset.settings, measure.name, lang))
                     for measure in dataset.settings.measures},
        "events": events.to_dict("records"),
    }
    template = environment.overlay()
    template.filters["verdict"] = verdict
    return template.get_template(TEMPLATE_NAME).render(context)
