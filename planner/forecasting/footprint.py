"""Spread an event's uplift over the cells near its venue with a distance kernel.

The kernel is ``w(d) = max(0, 1 - (d / r)^2)`` (Epanechnikov): a cell at the
venue (``d = 0``, or the venue inside the cell's polygon) receives the full
uplift, a cell at or beyond the radius ``r`` none, and the weight falls
smoothly in between. The radius per event kind comes from ``[footprint]`` in
the settings. Where a venue has history the per-cell effects are learned
instead (see ``planner.forecasting.past_events``); the kernel is the assumption
used for a venue or a route without history.
"""

from __future__ import annotations

import numpy as np

from planner.inputs.dataset import Dataset
from planner.inputs.geometry import distance_to_cells_m
from planner.messages import translatable


def kernel_weights(distance_m: np.ndarray, radius_m: float) -> np.ndarray:
    """Return the share of the uplift each cell receives at ``distance_m`` metres from the crowd.

    1 at distance 0, 0 at ``radius_m`` and beyond; NaN distances give 0. A
    radius of 0 gives 1 only at distance 0.
    """
    distance = np.asarray(distance_m, dtype=float)
    if radius_m <= 0:
        return np.where(distance == 0, 1.0, 0.0)
    with np.errstate(invalid="ignore"):
        weights = 1.0 - (distance / radius_m) ** 2
    return np.where(np.isfinite(weights), np.clip(weights, 0.0, 1.0), 0.0)


def venue_footprint(dataset: Dataset, venue_id: str, kind: str, cells: list[str],
                    radius_m: float | None = None) -> tuple[np.ndarray, str] | None:
    """Return each cell's kernel weight around a venue, and a sentence that describes it.

    The cells are taken in the order of ``cells``. The radius is
    ``radius_m`` when given, else the settings' radius of ``kind``. When no cell lies within
    the radius of the event's kind, the nearest cell, which is the one
    serving the venue, receives the full uplift. Returns None when the
    venue is unknown or no cell has coordinates.
    """
    distance = distance_to_venue_m(dataset, venue_id, cells)
    if not np.isfinite(distance).any():
        return None
    radius = dataset.settings.footprint.radius_for(kind) if radius_m is None else radius_m
    weights = kernel_weights(distance, radius)
    if weights.any():
        return weights, translatable("spread over the {count} cells within {radius:,.0f} m of the venue, weighted by "
                                     "1 - (distance / {radius:,.0f} m)^2", count=int((weights > 0).sum()),
                                     radius=radius)
    nearest = int(np.nanargmin(distance))
    weights[nearest] = 1.0
    return weights, translatable("placed on the nearest cell {cell}, {distance:,.0f} m away, because no cell lies "
                                 "within the {radius:,.0f} m footprint of a {kind}", cell=cells[nearest],
                                 distance=distance[nearest], radius=radius, kind=kind)


def distance_to_venue_m(dataset: Dataset, venue_id: str, cells: list[str], *, to_polygons: bool = True) -> np.ndarray:
    """Return each cell's distance in metres to a venue, NaN when the venue is unknown.

    With ``to_polygons`` a cell that has a polygon is measured to its edge
    (0 inside it); otherwise, and for cells without one, to its centre.
    """
    venues = dataset.venues.set_index("venue_id")
    if venue_id not in venues.index:
        return np.full(len(cells), np.nan)
    table = dataset.cells.set_index("cell_id").reindex(cells).reset_index()
    return distance_to_cells_m(float(venues.at[venue_id, "latitude"]), float(venues.at[venue_id, "longitude"]),
                               table, dataset.cell_shapes if to_polygons else None)
