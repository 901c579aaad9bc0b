"""The self-contained ``report.html``: Jinja2 template, translated text, embedded plots.

The page has no external reference at all. CSS is in a ``<style>`` element
and every plot is a base64 PNG ``data:`` URI, so the file can be mailed or
archived alone. Autoescaping is on because event and venue names come from
the user's files.
"""

from __future__ import annotations

import base64
import logging
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd

import planner
from planner.decisions.plan import WeeklyPlan
from planner.decisions.staffing import describe_staffing_models
from planner.forecasting.model import BAND_CEILING
from planner.forecasting.timing import duration_text
from planner.reporting import i18n, maps, plots, summary

logger = logging.getLogger(__name__)

TEMPLATES_DIR = Path(__file__).parent / "templates"
TEMPLATE_NAME = "report.html.j2"
# The summary lists this many reinforcements, highest utilisation first, so that it fits one page.
MAX_SUMMARY_ACTIONS = 10
# The summary lists this many staffing changes against the usual week, in time order.
MAX_SUMMARY_CHANGES = 12
# The capacity actions table and the list of cells at risk not plotted show this many rows, most at risk first;
# capacity.csv holds every row. A national network can have thousands, which no one reads in a PDF.
MAX_LISTED_ROWS = 200
# The report draws a map for this many events of the week, in time order; each map takes about a second.
MAX_EVENT_MAPS = 8


def render_html(plan: WeeklyPlan, lang: str = "fr", generated_at: datetime | None = None,
                usual_staffing: pd.DataFrame | None = None, scenario: dict[str, Any] | None = None) -> str:
    """Render the weekly report of ``plan`` as one self-contained HTML page.

    Parameters
    ----------
    plan : WeeklyPlan
        The plan to show.
    lang : str
        ``"fr"`` (default) or ``"en"``.
    generated_at : datetime, optional
        Time printed in the header; now, in the dataset's time zone, by default.
    usual_staffing : DataFrame, optional
        The staffing table of the usual week
        (:func:`planner.reporting.summary.usual_week_plan`); the first page
        lists the shifts whose staff differs from it. Without it the first
        page says that no comparison was made.

    Raises
    ------
    ValueError
        If ``lang`` is not supported.
    """
    i18n.check_language(lang)
    timezone = plan.dataset.timezone
    if generated_at is None:
        generated_at = datetime.now(timezone)
    template = environment(lang).get_template(TEMPLATE_NAME)
    context = _context(plan, lang, generated_at, usual_staffing)
    scenario = scenario or {}
    context["scenario_name"] = scenario.get("name", "")
    context["scenario_changes"] = _records(scenario["changes"]) if "changes" in scenario else []
    context["scenario_comparison"] = _records(scenario["comparison"]) if "comparison" in scenario else []
    return template.render(context)


def png_data_uri(png: bytes) -> str:
    """Return a ``data:image/png;base64,...`` URI containing ``png``."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _context(plan: WeeklyPlan, lang: str, generated_at: datetime,
             usual_staffing: pd.DataFrame | None) -> dict[str, Any]:
    settings = plan.dataset.settings
    cells_at_risk = summary.cells_at_risk(plan)
    plotted, plot_reason = _cells_to_plot(plan, cells_at_risk)
    plots_data = []
    for row in plotted.itertuples(index=False):
        png = plots.plot_plan_cell(plan, row.cell_id, row.measure, lang)
        plots_data.append({"cell_id": row.cell_id, "measure": row.measure, "uri": png_data_uri(png)})
    logger.debug("rendered %d plots for %s %s", len(plots_data), plan.dataset.name, plan.week.label)

    actions = summary.capacity_actions(plan)
    events = summary.week_events(plan)
    # A cell counts once, under its worst action over all its measures.
    needs_unit = (cells_at_risk["action"] == "add").groupby(cells_at_risk["cell_id"]).any()
    worst_action = needs_unit.map({True: "add", False: "watch"})
    return {
        "lang": lang,
        "title": i18n.settings_text(settings, settings.title, lang) or plan.dataset.name,
        "setting_text": lambda text: i18n.settings_text(settings, text, lang),
        "note": lambda text: i18n.render_message(i18n.label_message(text, settings, lang), lang),
        "dataset_name": plan.dataset.name,
        "measures": {measure.name: measure_label(i18n.localized_measure(settings, measure.name, lang))
                     for measure in settings.measures},
        "week_label": plan.week.label,
        "week_first_day": plan.week.start,
        "week_last_day": plan.week.end.date() - timedelta(days=1),
        "timezone": str(plan.dataset.timezone),
        "generated_at": generated_at,
        "version": planner.__version__,
        "events": _records(events),
        "event_measures": _event_measures(plan.events),
        "event_actions": _event_actions(plan.event_actions),
        "actions": _records(actions.head(MAX_LISTED_ROWS)),
        "flat_p90_cells": _flat_p90_cells(plan, lang),
        "band_ceiling": BAND_CEILING,
        "actions_not_listed": max(0, len(actions) - MAX_LISTED_ROWS),
        "actions_add": _records(actions[actions["action"] == "add"]),
        "max_summary_actions": MAX_SUMMARY_ACTIONS,
        "cells_add": int((worst_action == "add").sum()),
        "cells_watch": int((worst_action == "watch").sum()),
        "staffing_peaks": _records(summary.staffing_peaks(plan)),
        "has_usual_week": usual_staffing is not None,
        "staffing_changes": ([] if usual_staffing is None
                             else _records(summary.staffing_changes(plan, usual_staffing))),
        "max_summary_changes": MAX_SUMMARY_CHANGES,
        "plots": plots_data,
        "plot_reason": plot_reason,
        "cells_not_plotted": _records(cells_at_risk.iloc[summary.MAX_PLOTTED_CELLS:][:MAX_LISTED_ROWS]),
        "cells_not_listed": max(0, len(cells_at_risk) - summary.MAX_PLOTTED_CELLS - MAX_LISTED_ROWS),
        "staffing": _records(_ordered_staffing(plan)),
        "staffing_models": _records(describe_staffing_models(settings)),
        "voice_channels": _records(plan.voice_channels.head(MAX_LISTED_ROWS)),
        "voice_channels_not_listed": max(0, len(plan.voice_channels) - MAX_LISTED_ROWS),
        "grade_of_service": settings.capacity.grade_of_service,
        "assumptions": sorted(plan.assumptions.items()),
        "quality_tables": plan.dataset.quality.tables,
        "quality_notes": plan.dataset.quality.notes,
        "notes": plan.notes,
        "has_actuals": plan.has_actuals,
        "forecast_error": _records(summary.forecast_error(plan)) if plan.has_actuals else [],
        "event_peaks": _records(summary.event_peaks(plan)) if plan.has_actuals else [],
        "event_maps": _event_maps(plan, lang),
    }


def _flat_p90_cells(plan: WeeklyPlan, lang: str) -> dict[tuple[str, str], dict[str, Any]]:
    """Return the cells whose p90 is held flat, keyed by cell and measure, each with the text that lists it."""
    settings = plan.dataset.settings
    gettext = i18n.translations(lang).gettext
    cells = {}
    for row in summary.flat_p90_cells(plan).to_dict("records"):
        label = i18n.localized_measure(settings, row["measure"], lang).label or row["measure"]
        row["text"] = gettext("%(cell)s, %(measure)s (%(flat_hours)s of %(hours)s hours)") % {
            "cell": row["cell_id"], "measure": label, "flat_hours": i18n.format_number(row["flat_hours"], lang),
            "hours": i18n.format_number(row["hours"], lang)}
        cells[(row["cell_id"], row["measure"])] = row
    return cells


def _event_maps(plan: WeeklyPlan, lang: str) -> dict[str, dict[str, Any]]:
    """Return a map per event with a venue or a route, keyed by event id, for the first measure."""
    measure = plan.dataset.settings.measures[0].name
    routes = plan.dataset.routes
    routed = set(routes["event_id"]) if not routes.empty else set()
    drawn: dict[str, dict[str, Any]] = {}
    events = plan.events.drop_duplicates("event_id")
    for event in events.itertuples(index=False):
        if len(drawn) == MAX_EVENT_MAPS:
            logger.info("%s %s: maps drawn for the first %d events only", plan.dataset.name, plan.week.label,
                        MAX_EVENT_MAPS)
            break
        if event.venue_id or event.event_id in routed:
            png = maps.plot_event_map(plan, event.event_id, measure, lang)
            drawn[event.event_id] = {"uri": png_data_uri(png), "measure": measure}
    return drawn


def _cells_to_plot(plan: WeeklyPlan, cells_at_risk: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """Return the cells and measures to plot and why: ``at_risk``, ``uplift`` or ``none``."""
    if not cells_at_risk.empty:
        return cells_at_risk.head(summary.MAX_PLOTTED_CELLS), "at_risk"
    by_uplift = summary.cells_by_uplift(plan)
    if not by_uplift.empty:
        return by_uplift, "uplift"
    return by_uplift, "none"


def _event_measures(events: pd.DataFrame) -> dict[str, list[dict[str, Any]]]:
    """Return the per-measure uplift rows of each event, keyed by event id."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for record in _records(events):
        grouped.setdefault(record["event_id"], []).append(record)
    return grouped


EVENT_ACTIONS_SHOWN = 15
"""Cells listed per event in the report; the full table is in capacity.csv and report.xlsx."""


def _event_actions(actions: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Return, per event, the cells at risk with the least margin first, and how many more there are."""
    grouped: dict[str, dict[str, Any]] = {}
    if actions.empty:
        return grouped
    for event_id, rows in actions.groupby("event_id", sort=False):
        grouped[event_id] = {"rows": _records(rows.head(EVENT_ACTIONS_SHOWN)),
                             "hidden": max(0, len(rows) - EVENT_ACTIONS_SHOWN)}
    return grouped


def _ordered_staffing(plan: WeeklyPlan) -> pd.DataFrame:
    """Return the staffing rows by day, then shift by start time, then role."""
    staffing = plan.staffing
    if staffing.empty:
        return staffing
    shifts = sorted(plan.dataset.settings.staffing.shifts, key=lambda shift: shift.start)
    shift_order = {shift.name: index for index, shift in enumerate(shifts)}
    ordered = staffing.assign(_day=[_as_date(value) for value in staffing["date"]],
                              _shift=staffing["shift"].map(shift_order).fillna(len(shift_order)))
    return ordered.sort_values(["_day", "_shift", "role"]).drop(columns=["_day", "_shift"])


def measure_label(measure) -> str:
    """Return a measure's label with its unit, such as ``Data traffic (MB)``."""
    name = measure.label or measure.name
    return f"{name} ({measure.unit})" if measure.unit else name


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return frame.to_dict("records")


@lru_cache(maxsize=None)
def environment(lang: str) -> jinja2.Environment:
    """Return the Jinja2 environment of the report templates in ``lang``, with the formatting filters."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.install_gettext_translations(i18n.translations(lang), newstyle=True)

    def value_filter(category: str):
        return lambda value: i18n.translate_value(category, value, lang)

    environment.filters.update({
        "number": lambda value, decimals=None: i18n.format_number(value, lang, decimals),
        "percent": lambda value, decimals=0: i18n.format_percent(value, lang, decimals),
        "day": lambda value, format="full": i18n.format_date(_as_date(value), lang, format),
        "time": lambda value, format="EEE d MMM HH:mm": i18n.format_datetime(value, lang, format),
        "role": value_filter("role"),
        "action": value_filter("action"),
        "shift": value_filter("shift"),
        "event_kind": value_filter("event_kind"),
        "pooling": value_filter("pooling"),
        "table": value_filter("table"),
        "message": lambda value: i18n.render_message(value, lang),
        "localize_text": lambda value: i18n.localize_text(value, lang),
        "sources": lambda value: i18n.translate_sources(value, lang),
        "duration": lambda hours: duration_text(round(abs(float(hours)) * 60)),
    })
    environment.tests["missing"] = _is_missing
    return environment


def _is_missing(value: object) -> bool:
    return value is None or value is pd.NaT or value == "" or (isinstance(value, float) and value != value)


def _as_date(value: object) -> date | None:
    if _is_missing(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))
