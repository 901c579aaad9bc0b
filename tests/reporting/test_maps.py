"""Event maps: utilisation per cell along the Paris route, the PNG drawn, and one-cell maps that read well."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from planner.decisions.plan import plan_week
from planner.inputs import load_dataset
from planner.inputs.geography import EARTH_RADIUS_M
from planner.inputs.weeks import resolve_week
from planner.reporting.maps import (
    MIN_MAP_SPAN_M,
    CoordinateFormatter,
    coordinate_decimals,
    draw_event_map,
    event_utilisation,
    plot_event_map,
)
from tests.conftest import BUNDLED_DATA

EVENT_ID = "paris-protest-2023-03-23"


@pytest.fixture(scope="module")
def paris_plan():
    dataset = load_dataset(BUNDLED_DATA / "paris-2023")
    return plan_week(dataset, resolve_week("2023-W12", dataset))


def test_event_utilisation_marks_route_cells(paris_plan):
    table = event_utilisation(paris_plan, EVENT_ID, "internet").set_index("cell_id")
    assert len(table) == len(paris_plan.dataset.cells)
    # The route starts at Place de la République, inside synthetic cell P0601, and ends at Nation in P0007.
    assert table.at["P0601", "action"] in ("add", "watch")
    assert table.at["P0007", "action"] in ("add", "watch")
    # P0000 lies 600 m south of the route's western end, beyond the 300 m footprint of a march.
    assert table.at["P0000", "action"] == "ok"
    capacity = paris_plan.capacity
    p0601 = capacity[(capacity["cell_id"] == "P0601") & capacity["event_id"].str.contains(EVENT_ID)]
    assert table.at["P0601", "utilisation_p90"] == pytest.approx(p0601["utilisation_p90"].max())


def test_plot_event_map_png(paris_plan):
    png = plot_event_map(paris_plan, EVENT_ID, "internet", "fr")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(png) > 10_000


@pytest.fixture(scope="module")
def dodgers_plan():
    dataset = load_dataset(BUNDLED_DATA / "dodgers")
    return plan_week(dataset, resolve_week("2005-W32", dataset))


def _visible_tick_labels(axis, limits) -> list[str]:
    low, high = sorted(limits)
    return [label.get_text() for tick, label in zip(axis.get_majorticklocs(), axis.get_majorticklabels())
            if low <= tick <= high]


def test_one_cell_map_ticks_distinct(dodgers_plan):
    event_id = dodgers_plan.events["event_id"].iloc[0]
    figure = draw_event_map(dodgers_plan, event_id, "cars", "fr")
    figure.draw_without_rendering()
    axes = figure.axes[0]
    for axis, limits in ((axes.xaxis, axes.get_xlim()), (axes.yaxis, axes.get_ylim())):
        labels = _visible_tick_labels(axis, limits)
        assert len(labels) >= 2, labels
        assert len(set(labels)) == len(labels), labels
    low, high = axes.get_ylim()
    assert np.radians(high - low) * EARTH_RADIUS_M == pytest.approx(MIN_MAP_SPAN_M)
    assert "glendale-ramp" in " ".join(text.get_text() for text in axes.texts)


def test_coordinate_decimals_close_ticks():
    assert coordinate_decimals([9.120, 9.125, 9.130]) == 3
    assert coordinate_decimals([9.1240, 9.1245, 9.1250]) == 4
    assert coordinate_decimals([34.07385, 34.07390]) == 5
    assert coordinate_decimals([34.07]) == 3
    labels = CoordinateFormatter("fr").format_ticks([9.1240, 9.1242, 9.1244])
    assert labels == ["9,1240", "9,1242", "9,1244"]


@pytest.fixture(scope="module")
def dodgers_three_games_plan():
    # 2005-W38 has three home games against Pittsburgh, on 23, 24 and 25 September.
    dataset = load_dataset(BUNDLED_DATA / "dodgers")
    return plan_week(dataset, resolve_week("2005-W38", dataset))


def test_event_map_titles_dated(dodgers_three_games_plan):
    events = dodgers_three_games_plan.events.drop_duplicates("event_id")
    titles = [draw_event_map(dodgers_three_games_plan, event_id, "cars", "fr").axes[0].get_title()
              for event_id in events["event_id"]]

    assert len(set(events["name"])) == 1
    assert titles == ["Dodgers – Pittsburgh, vendredi 23 septembre 2005",
                      "Dodgers – Pittsburgh, samedi 24 septembre 2005",
                      "Dodgers – Pittsburgh, dimanche 25 septembre 2005"]


def test_dot_label_clear_of_venue_star(dodgers_three_games_plan):
    event_id = dodgers_three_games_plan.events["event_id"].iloc[0]
    figure = draw_event_map(dodgers_three_games_plan, event_id, "cars", "fr")
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    axes = figure.axes[0]
    label = next(text for text in axes.texts if text.get_text().startswith("glendale-ramp"))
    box = label.get_window_extent(canvas.get_renderer())
    venue = dodgers_three_games_plan.dataset.venues.iloc[0]
    cell = dodgers_three_games_plan.dataset.cells.iloc[0]
    star_x, star_y = axes.transData.transform((venue["longitude"], venue["latitude"]))
    dot_x, dot_y = axes.transData.transform((cell["longitude"], cell["latitude"]))
    # The star is drawn with s=250 points², so it reaches about 8 points from its centre.
    star_radius = np.sqrt(250) / 2 * figure.dpi / 72

    assert not box.padded(star_radius).contains(star_x, star_y)
    assert box.x1 < star_x
    # The label stays next to its dot: the venue is east of the cell, so the label goes west of the dot.
    assert box.x1 < dot_x
    assert box.y0 < dot_y < box.y1
