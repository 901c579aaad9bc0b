"""Cell shapes: optional polygons from ``cells.geojson``, and distances to them.

A cell given as a polygon is at distance 0 from any point inside it and
otherwise at the distance to its nearest edge. A cell given only by its
``latitude`` and ``longitude`` in ``cells.csv`` is a point. Distances to
polygons are measured on a local equirectangular projection centred on the
query point, which stays within 0.1 % of the great-circle distance over a
few kilometres.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd

from planner.inputs.errors import InputError, Problem
from planner.inputs.geography import EARTH_RADIUS_M, distance_m
from planner.messages import translatable

logger = logging.getLogger(__name__)

Polygon = list[np.ndarray]
"""One polygon: its exterior ring then its holes, each an (N, 2) array of longitude, latitude."""


def read_cell_shapes(path: str | Path, known_cells: pd.Series | None = None) -> dict[str, list[Polygon]]:
    """Read ``cells.geojson``: Polygon or MultiPolygon features with a ``cell_id`` property.

    Returns each cell's polygons, keyed by ``cell_id`` as text.

    Raises
    ------
    InputError
        Listing every feature without a ``cell_id``, with a geometry that is
        not a polygon, with a repeated ``cell_id``, or naming a cell absent
        from ``cells.csv``. Features are numbered from 1 in the file's order.
    """
    path = Path(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError([Problem(str(path), None, None, None,
                                  translatable("invalid GeoJSON: {error}; write a FeatureCollection of Polygon "
                                               "features", error=str(error)))]) from None
    features = document.get("features") if isinstance(document, dict) else None
    if not isinstance(features, list):
        raise InputError([Problem(str(path), None, "features", None,
                                  translatable("missing features; expected a GeoJSON FeatureCollection"))])

    known = set(known_cells.astype(str)) if known_cells is not None else None
    shapes: dict[str, list[Polygon]] = {}
    problems: list[Problem] = []
    for number, feature in enumerate(features, start=1):
        properties = (feature or {}).get("properties") or {}
        cell_id = properties.get("cell_id")
        if cell_id is None or str(cell_id) == "":
            problems.append(Problem(str(path), number, "cell_id", None,
                                    translatable("missing cell_id property; give every feature the cell_id of "
                                                 "cells.csv")))
            continue
        cell_id = str(cell_id)
        geometry = (feature or {}).get("geometry") or {}
        polygons = _polygons(geometry)
        if polygons is None:
            problems.append(Problem(str(path), number, "geometry", geometry.get("type"),
                                    translatable("invalid geometry; expected a Polygon or MultiPolygon with "
                                                 "longitude, latitude rings of at least 3 points")))
        elif cell_id in shapes:
            problems.append(Problem(str(path), number, "cell_id", cell_id,
                                    translatable("repeated cell_id; merge the shapes into one MultiPolygon "
                                                 "feature")))
        elif known is not None and cell_id not in known:
            problems.append(Problem(str(path), number, "cell_id", cell_id,
                                    translatable("cell not found in cells.csv; add it there or remove the "
                                                 "feature")))
        else:
            shapes[cell_id] = polygons
    if problems:
        raise InputError(problems)
    return shapes


def distance_to_cells_m(latitude: float, longitude: float, cells: pd.DataFrame,
                        shapes: dict[str, list[Polygon]] | None = None) -> np.ndarray:
    """Return the distance in metres from a point to each cell of ``cells``, in its row order.

    A cell with a shape in ``shapes`` is at 0 m when the point lies inside
    it, else at the distance to its nearest edge. Other cells are points at
    their ``latitude`` and ``longitude``. NaN coordinates give NaN.
    """
    distances = distance_m(latitude, longitude, cells["latitude"].to_numpy(float),
                           cells["longitude"].to_numpy(float))
    if not shapes:
        return distances
    for row, cell_id in enumerate(cells["cell_id"].astype(str)):
        polygons = shapes.get(cell_id)
        if polygons:
            distances[row] = min(_distance_to_polygon_m(latitude, longitude, polygon) for polygon in polygons)
    return distances


def _polygons(geometry: dict) -> list[Polygon] | None:
    kind = geometry.get("type")
    coordinates = geometry.get("coordinates")
    if kind == "Polygon":
        groups = [coordinates]
    elif kind == "MultiPolygon":
        groups = coordinates
    else:
        return None
    polygons = []
    try:
        for rings in groups:
            arrays = [np.asarray(ring, dtype=float)[:, :2] for ring in rings]
            if not arrays or any(len(ring) < 3 for ring in arrays):
                return None
            polygons.append(arrays)
    except (TypeError, ValueError, IndexError):
        return None
    return polygons or None


def _distance_to_polygon_m(latitude: float, longitude: float, polygon: Polygon) -> float:
    """Return 0 inside the polygon (outside its holes), else the distance to its nearest edge."""
    projected = [_project(ring, latitude, longitude) for ring in polygon]
    inside = _inside(projected[0]) and not any(_inside(hole) for hole in projected[1:])
    if inside:
        return 0.0
    return min(_distance_to_ring(ring) for ring in projected)


def _project(ring: np.ndarray, latitude: float, longitude: float) -> np.ndarray:
    """Project longitude, latitude onto metres east and north of the query point."""
    x = np.radians(ring[:, 0] - longitude) * EARTH_RADIUS_M * np.cos(np.radians(latitude))
    y = np.radians(ring[:, 1] - latitude) * EARTH_RADIUS_M
    return np.column_stack([x, y])


def _inside(ring: np.ndarray) -> bool:
    """Return whether the origin lies inside a ring (even-odd rule, ray cast along +x)."""
    x0, y0 = ring[:, 0], ring[:, 1]
    x1, y1 = np.roll(x0, -1), np.roll(y0, -1)
    crosses = (y0 > 0) != (y1 > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        x_at_zero = x0 + (0 - y0) * (x1 - x0) / (y1 - y0)
    return bool(np.sum(crosses & (x_at_zero > 0)) % 2 == 1)


def _distance_to_ring(ring: np.ndarray) -> float:
    """Return the distance from the origin to the nearest edge of a ring."""
    start = ring
    end = np.roll(ring, -1, axis=0)
    edge = end - start
    length_squared = (edge**2).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(length_squared > 0, -(start * edge).sum(axis=1) / length_squared, 0.0)
    t = np.clip(t, 0.0, 1.0)
    nearest = start + t[:, None] * edge
    return float(np.sqrt((nearest**2).sum(axis=1)).min())
