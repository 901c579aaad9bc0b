"""Distances between cells and venues on the WGS84 sphere."""

from __future__ import annotations

import numpy as np

EARTH_RADIUS_M = 6_371_000.0
"""Mean Earth radius; the haversine distance with it is within 0.5 % of the ellipsoidal distance."""


def distance_m(latitude: float, longitude: float, latitudes: np.ndarray, longitudes: np.ndarray) -> np.ndarray:
    """Return the great-circle distance in metres from one point to each of many (haversine formula)."""
    phi1, phi2 = np.radians(latitude), np.radians(np.asarray(latitudes, dtype=float))
    d_phi = phi2 - phi1
    d_lambda = np.radians(np.asarray(longitudes, dtype=float) - longitude)
    a = np.sin(d_phi / 2) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(a))
