"""Event maps on the Paris demo: utilisation per cell along the route, and the PNG drawn."""

from __future__ import annotations

import pytest

from planner.decisions.plan import plan_week
from planner.inputs import load_dataset
from planner.inputs.weeks import resolve_week
from planner.reporting.maps import event_utilisation, plot_event_map
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
