"""A map per event: cells coloured by p90 utilisation, the venue or route, and labels on the cells at risk.

Drawn with matplotlib on longitude and latitude, with no map tiles: nothing
is downloaded. Cells with a polygon in ``cells.geojson`` are drawn as
polygons, the others as dots. Datasets of at most ``MAX_CELLS_ALL_LABELLED``
cells get every cell labelled. The x axis is stretched by
``1 / cos(latitude)`` so that distances look the same in both directions.
"""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.cm import ScalarMappable  # noqa: E402
from matplotlib.collections import PatchCollection  # noqa: E402
from matplotlib.colors import Normalize  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Polygon as PolygonPatch  # noqa: E402
from matplotlib.ticker import Formatter, FuncFormatter  # noqa: E402

from planner.decisions.plan import WeeklyPlan, event_hours  # noqa: E402
from planner.inputs.geography import EARTH_RADIUS_M  # noqa: E402
from planner.reporting.i18n import format_date, format_number, format_percent, translations  # noqa: E402

FIGURE_SIZE_INCHES = (7.0, 5.5)
FIGURE_DPI = 100
MAX_UTILISATION_SHOWN = 1.2
"""Top of the colour scale; cells above it take its colour."""
MAP_MARGIN_M = 1500.0
"""Margin around the venue or route and the event's cells at risk that the map shows."""
MIN_MAP_SPAN_M = 1000.0
"""Minimum width and height of the map, so that a one-cell dataset shows a readable neighbourhood."""
COORDINATE_DECIMALS = 3
"""Minimum decimals of the longitude and latitude tick labels, about 100 m. Close ticks get more."""
MAX_COORDINATE_DECIMALS = 6
"""Maximum decimals of the tick labels, about 10 cm."""
MAX_CELLS_ALL_LABELLED = 10
"""Datasets with at most this many cells get every cell labelled, not only the cells at risk."""
DOT_LABEL_OFFSET_POINTS = 7.0
"""Gap between a cell's dot and its label."""
VENUE_CLEARANCE_POINTS = 60.0
"""Distance from the venue star within which a dot's label moves to the dot's side away from the star.

A little more than the width of a label such as ``glendale-ramp`` at font size 7, about 52 points.
"""


class CoordinateFormatter(Formatter):
    """Format longitude or latitude ticks in the locale's style with enough decimals to tell them apart."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.decimals = COORDINATE_DECIMALS

    def set_locs(self, locs) -> None:
        super().set_locs(locs)
        self.decimals = coordinate_decimals(locs)

    def __call__(self, value: float, position: int | None = None) -> str:
        return format_number(value, self.lang, self.decimals)


def coordinate_decimals(locs) -> int:
    """Return the decimals that give distinct labels to ticks ``locs`` degrees apart.

    At least ``COORDINATE_DECIMALS``, at most ``MAX_COORDINATE_DECIMALS``.
    """
    steps = np.diff(np.unique(np.asarray(locs, dtype=float)))
    steps = steps[steps > 0]
    if steps.size == 0:
        return COORDINATE_DECIMALS
    needed = int(np.ceil(-np.log10(steps.min()) - 1e-9))
    return int(np.clip(needed, COORDINATE_DECIMALS, MAX_COORDINATE_DECIMALS))


def event_utilisation(plan: WeeklyPlan, event_id: str, measure: str) -> pd.DataFrame:
    """Return each cell's peak p90 utilisation over an event's hours, and whether it is at risk from it.

    One row per cell of the dataset. Columns ``cell_id``,
    ``utilisation_p90`` (p90 forecast over the cell's capacity, maximum from
    one hour before to two hours after where the plan placed the event:
    :func:`planner.decisions.plan.event_hours`) and ``action`` (``add``, ``watch``
    or ``ok``: the worst action of the hours the capacity table ties to the
    event, ``ok`` for cells the event does not reach).
    """
    hours = event_hours(plan, event_id, measure)
    forecast = plan.forecast[(plan.forecast["measure"] == measure) & plan.forecast["timestamp"].isin(hours)]
    capacity_of_cell = plan.dataset.cells.set_index("cell_id")[f"capacity_{measure}"]
    peak = forecast.groupby("cell_id")["p90"].max() / capacity_of_cell
    capacity = plan.capacity[(plan.capacity["measure"] == measure) & plan.capacity["timestamp"].isin(hours)]
    # An empty object mask would select columns, not rows, so the mask is made boolean.
    tied = capacity[capacity["event_id"].str.split(";").map(lambda ids: event_id in ids).astype(bool)]
    worst = tied.groupby("cell_id")["action"].agg(_worst_action)
    peak = peak.reindex(plan.dataset.cells["cell_id"])
    table = pd.DataFrame({"cell_id": peak.index, "utilisation_p90": peak.to_numpy()})
    table["action"] = table["cell_id"].map(worst).astype(object).fillna("ok")
    return table


def _worst_action(actions: pd.Series) -> str:
    for action in ("add", "watch"):
        if (actions == action).any():
            return action
    return "ok"


def plot_event_map(plan: WeeklyPlan, event_id: str, measure: str, lang: str = "fr") -> bytes:
    """Draw the map of one event of a plan for one measure, as PNG bytes."""
    figure = draw_event_map(plan, event_id, measure, lang)
    buffer = BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def draw_event_map(plan: WeeklyPlan, event_id: str, measure: str, lang: str = "fr") -> Figure:
    """Draw the map of one event of a plan for one measure on a new figure."""
    _ = translations(lang).gettext
    dataset = plan.dataset
    event = plan.events[plan.events["event_id"] == event_id].iloc[0]
    cells = dataset.cells.set_index("cell_id")
    utilisation = event_utilisation(plan, event_id, measure).set_index("cell_id").reindex(cells.index)
    values = utilisation["utilisation_p90"].to_numpy(float)
    norm = Normalize(vmin=0.0, vmax=MAX_UTILISATION_SHOWN)
    colour_map = matplotlib.colormaps["RdYlGn_r"]

    figure = Figure(figsize=FIGURE_SIZE_INCHES, dpi=FIGURE_DPI)
    axes = figure.add_subplot()
    patches, patch_values, dots = [], [], []
    for row, cell_id in enumerate(cells.index):
        polygons = dataset.cell_shapes.get(str(cell_id))
        if polygons:
            for polygon in polygons:
                patches.append(PolygonPatch(polygon[0], closed=True))
                patch_values.append(values[row])
        else:
            dots.append(row)
    if patches:
        collection = PatchCollection(patches, cmap=colour_map, norm=norm, edgecolor="white", linewidth=0.5)
        collection.set_array(np.nan_to_num(np.asarray(patch_values), nan=0.0))
        axes.add_collection(collection)
    if dots:
        # Above the venue star and the route (zorder 3), so that a cell at the venue still shows its colour.
        axes.scatter(cells["longitude"].to_numpy(float)[dots], cells["latitude"].to_numpy(float)[dots],
                     c=np.nan_to_num(values[dots]), cmap=colour_map, norm=norm, s=60, edgecolors="grey",
                     linewidths=0.5, zorder=3.5)

    anchors, venue_point = _draw_venue_or_route(axes, plan, event, _)
    at_risk = utilisation["action"].isin(("add", "watch"))
    labelled = utilisation if len(cells) <= MAX_CELLS_ALL_LABELLED else utilisation[at_risk]
    anchors.extend((cells.at[cell_id, "longitude"], cells.at[cell_id, "latitude"])
                   for cell_id in labelled.index if at_risk[cell_id])

    axes.autoscale_view()
    middle_latitude = float(np.nanmean(cells["latitude"].to_numpy(float)))
    if anchors:
        _zoom(axes, np.asarray(anchors, dtype=float), middle_latitude)
    _widen(axes, middle_latitude)
    axes.set_aspect(1.0 / np.cos(np.radians(middle_latitude)))
    axes.xaxis.set_major_formatter(CoordinateFormatter(lang))
    axes.yaxis.set_major_formatter(CoordinateFormatter(lang))
    axes.set_xlabel(_("Longitude"))
    axes.set_ylabel(_("Latitude"))
    # Several events of a week may share a name, such as three games against the same team, so the title has the date.
    axes.set_title(f"{event['name']}, {format_date(event['start'], lang)}", fontsize=10)
    colour_bar = figure.colorbar(ScalarMappable(norm=norm, cmap=colour_map), ax=axes, shrink=0.8,
                                 format=FuncFormatter(lambda value, _position: format_percent(value, lang)))
    colour_bar.set_label(_("Peak p90 utilisation, 1 h before to 2 h after the event"))
    figure.tight_layout()

    # The labels come last, once the axes have their final size, because a dot's label avoids the venue star.
    _label_cells(axes, labelled, dataset, venue_point, lang)
    return figure


def _label_cells(axes, labelled: pd.DataFrame, dataset, venue: tuple[float, float] | None, lang: str) -> None:
    """Label each cell of ``labelled`` (indexed by cell id) with its id and peak utilisation, in bold for ``add``."""
    cells = dataset.cells.set_index("cell_id")
    axes.apply_aspect()
    for cell_id, row in labelled.iterrows():
        position = (cells.at[cell_id, "longitude"], cells.at[cell_id, "latitude"])
        # A polygon has room for its label inside, but a dot's label goes beside it so as not to hide its colour.
        drawn_as_dot = not dataset.cell_shapes.get(str(cell_id))
        placement = _dot_label_placement(axes, position, venue) if drawn_as_dot else _INSIDE
        axes.annotate(f"{cell_id}\n{format_percent(row['utilisation_p90'], lang)}", position, fontsize=7,
                      ha=placement.ha, va=placement.va, multialignment="center", xytext=placement.offset,
                      textcoords="offset points", zorder=4,
                      fontweight="bold" if row["action"] == "add" else "normal",
                      bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "alpha": 0.6, "linewidth": 0})


@dataclass(frozen=True)
class LabelPlacement:
    """Alignment of a cell's label and its offset from the cell, in points, as ``Axes.annotate`` takes them."""

    ha: str
    va: str
    offset: tuple[float, float]


_INSIDE = LabelPlacement("center", "center", (0.0, 0.0))
_ABOVE = LabelPlacement("center", "bottom", (0.0, DOT_LABEL_OFFSET_POINTS))
_BELOW = LabelPlacement("center", "top", (0.0, -DOT_LABEL_OFFSET_POINTS))
_LEFT = LabelPlacement("right", "center", (-DOT_LABEL_OFFSET_POINTS, 0.0))
_RIGHT = LabelPlacement("left", "center", (DOT_LABEL_OFFSET_POINTS, 0.0))


def _dot_label_placement(axes, cell: tuple[float, float], venue: tuple[float, float] | None) -> LabelPlacement:
    """Return where a dot's label goes: above the dot, or on its side away from a venue star close to it.

    ``cell`` and ``venue`` are (longitude, latitude). The distance is measured
    on the page, so ``axes`` must have its final limits and aspect.
    """
    if venue is None:
        return _ABOVE
    cell_pixels, venue_pixels = axes.transData.transform([cell, venue])
    dx, dy = (venue_pixels - cell_pixels) * 72.0 / axes.figure.dpi
    if np.hypot(dx, dy) > VENUE_CLEARANCE_POINTS or (dx == 0 and dy == 0):
        return _ABOVE
    if abs(dx) >= abs(dy):
        return _LEFT if dx > 0 else _RIGHT
    return _BELOW if dy > 0 else _ABOVE


def _zoom(axes, anchors: np.ndarray, latitude: float) -> None:
    """Limit the axes to the anchors plus ``MAP_MARGIN_M``, within the extent of the cells."""
    margin_latitude = np.degrees(MAP_MARGIN_M / EARTH_RADIUS_M)
    margin_longitude = margin_latitude / np.cos(np.radians(latitude))
    x_low, x_high = axes.get_xlim()
    y_low, y_high = axes.get_ylim()
    axes.set_xlim(max(x_low, anchors[:, 0].min() - margin_longitude), min(x_high, anchors[:, 0].max() + margin_longitude))
    axes.set_ylim(max(y_low, anchors[:, 1].min() - margin_latitude), min(y_high, anchors[:, 1].max() + margin_latitude))


def _widen(axes, latitude: float) -> None:
    """Widen each axis to at least ``MIN_MAP_SPAN_M`` about its centre.

    Without it the map of one cell next to its venue spans a few metres.
    """
    span_latitude = np.degrees(MIN_MAP_SPAN_M / EARTH_RADIUS_M)
    span_longitude = span_latitude / np.cos(np.radians(latitude))
    for get_limits, set_limits, least_span in ((axes.get_xlim, axes.set_xlim, span_longitude),
                                               (axes.get_ylim, axes.set_ylim, span_latitude)):
        low, high = get_limits()
        if high - low < least_span:
            centre = (low + high) / 2
            set_limits(centre - least_span / 2, centre + least_span / 2)


def _draw_venue_or_route(axes, plan: WeeklyPlan, event: pd.Series,
                         _) -> tuple[list[tuple[float, float]], tuple[float, float] | None]:
    """Draw the event's route, else its venue.

    Return the points drawn and the venue's star, if drawn, as (longitude, latitude).
    """
    routes = plan.dataset.routes
    route = routes[routes["event_id"] == event["event_id"]] if not routes.empty else routes
    if len(route) >= 2:
        route = route.sort_values("sequence")
        axes.plot(route["longitude"], route["latitude"], color="navy", linewidth=2.5, zorder=3,
                  label=_("Route"))
        axes.annotate("", xy=(route["longitude"].iloc[-1], route["latitude"].iloc[-1]),
                      xytext=(route["longitude"].iloc[-2], route["latitude"].iloc[-2]),
                      arrowprops={"arrowstyle": "->", "color": "navy", "lw": 2.5}, zorder=3)
        axes.legend(loc="lower right", fontsize=8)
        return list(zip(route["longitude"], route["latitude"])), None
    venues = plan.dataset.venues.set_index("venue_id")
    if event["venue_id"] in venues.index:
        venue = venues.loc[event["venue_id"]]
        axes.scatter([venue["longitude"]], [venue["latitude"]], marker="*", s=250, color="navy", zorder=3,
                     label=str(venue["name"]))
        axes.legend(loc="lower right", fontsize=8)
        star = (float(venue["longitude"]), float(venue["latitude"]))
        return [star], star
    return [], None
