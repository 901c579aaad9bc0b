"""The report looks at an event where the plan placed it, on the bundled San Siro data with its drifting clock.

The plan places the Inter – Sampdoria match of 1 December 2013 about 3 h 23 min
before its 15:00 kick-off (internet), after the drift that past matches showed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from planner.decisions.plan import WeeklyPlan, event_hours, plan_week
from planner.inputs import load_dataset, parse_week
from planner.reporting import plots, summary
from planner.reporting.html import render_html
from planner.reporting.maps import event_utilisation
from tests.conftest import BUNDLED_DATA

MATCH_ID = "san-siro-2013-12-01"


@pytest.fixture(scope="module")
def drifted_plan() -> WeeklyPlan:
    dataset = load_dataset(BUNDLED_DATA / "san-siro")
    return plan_week(dataset, parse_week("2013-W48", dataset.timezone))


def _marked(plan: WeeklyPlan, measure: str) -> pd.DataFrame:
    forecast = plan.forecast
    return forecast[(forecast["measure"] == measure) & (forecast["event_id"] == MATCH_ID)]


def test_plan_moves_match_before_kick_off(drifted_plan):
    event = drifted_plan.events.set_index("measure").loc["internet"]
    marked = _marked(drifted_plan, "internet")

    assert event["offset_hours"] == pytest.approx(-(3 + 23 / 60))
    assert list(event_hours(drifted_plan, MATCH_ID, "internet")) == sorted(marked["timestamp"].unique())
    # One hour before the moved 11:37 start: hours before the calendar's window, which opens at 14:00.
    assert marked["timestamp"].min() == event["start"] - pd.Timedelta(hours=5)


def test_event_peaks_over_placed_hours(drifted_plan):
    peaks = summary.event_peaks(drifted_plan).set_index("measure")

    for measure in ("internet", "calls_sms"):
        marked = _marked(drifted_plan, measure)
        assert peaks.loc[measure, "peak_actual"] == pytest.approx(marked["actual"].max())
        assert peaks.loc[measure, "peak_p50"] == pytest.approx(marked["p50"].max())
        assert peaks.loc[measure, "peak_p90"] == pytest.approx(marked["p90"].max())
    # The spike before kick-off, not the quiet hours of the calendar's 15:00-16:55.
    assert peaks.loc["internet", "peak_actual"] == pytest.approx(438.73)
    assert peaks.loc["internet", "offset_hours"] == pytest.approx(-(3 + 23 / 60))


@pytest.mark.parametrize(("lang", "text"), [("en", "placed 3 h 23 min earlier by the forecast"),
                                            ("fr", "placé 3 h 23 min plus tôt par la prévision")])
def test_report_says_where_match_placed(drifted_plan, lang, text):
    page = render_html(drifted_plan, lang=lang)
    peaks = page[page.index('<h3>' + ("Event-window peaks" if lang == "en" else "Pointes pendant les événements")):]

    assert text in peaks
    assert ("Placed by the forecast" if lang == "en" else "Placé par la prévision") in page


def test_event_map_over_placed_hours(drifted_plan):
    table = event_utilisation(drifted_plan, MATCH_ID, "internet").set_index("cell_id")
    marked = _marked(drifted_plan, "internet")
    capacity = drifted_plan.dataset.cells.set_index("cell_id")["capacity_internet"]

    for cell_id, rows in marked.groupby("cell_id"):
        assert table.loc[cell_id, "utilisation_p90"] == pytest.approx(rows["p90"].max() / capacity[cell_id])


def test_plot_shades_placed_event(drifted_plan):
    event = drifted_plan.events.set_index("measure").loc["internet"]
    [window] = plots._event_windows(drifted_plan, "5738", "internet")
    shift = pd.Timedelta(hours=event["offset_hours"])

    assert window.start == event["start"] + shift
    assert window.end == event["end"] + shift
    assert window.start.strftime("%H:%M") == "11:37"


def test_event_peaks_on_venue_cells():
    # In the Milan grid the forecast gives the San Siro match no affected cell: the peaks are those of the cell
    # nearest the stadium, not of the busiest of the city's 100 cells.
    dataset = load_dataset(BUNDLED_DATA / "milan")
    plan = plan_week(dataset, parse_week("2013-W48", dataset.timezone))
    venue = dataset.venues.set_index("venue_id").loc["san-siro"]
    cells = dataset.cells
    scale = np.cos(np.radians(venue["latitude"]))
    squared = (cells["latitude"] - venue["latitude"]) ** 2 + ((cells["longitude"] - venue["longitude"]) * scale) ** 2
    nearest = cells.loc[squared.idxmin(), "cell_id"]
    peaks = summary.event_peaks(plan).set_index(["event_id", "measure"])
    event = plan.events[(plan.events["event_id"] == MATCH_ID) & (plan.events["measure"] == "internet")].iloc[0]
    forecast = plan.forecast[(plan.forecast["measure"] == "internet")
                             & (plan.forecast["cell_id"].astype(str) == str(nearest))]
    hours = forecast[(forecast["timestamp"] + pd.Timedelta(hours=1) > event["start"] - pd.Timedelta(hours=1))
                     & (forecast["timestamp"] < event["end"] + pd.Timedelta(hours=2))]

    assert plan.events["cells_affected"].max() == 0
    assert peaks.loc[(MATCH_ID, "internet"), "peak_actual"] == pytest.approx(hours["actual"].max())
    forecast = plan.forecast
    network = forecast[(forecast["measure"] == "internet") & forecast["timestamp"].isin(hours["timestamp"])]
    assert peaks.loc[(MATCH_ID, "internet"), "peak_actual"] < network["actual"].max()
