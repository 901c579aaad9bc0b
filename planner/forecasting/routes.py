"""Moving events: where along its route the crowd is, hour by hour, and which cells it loads.

The head of the march follows the route's schedule: the waypoint times
when the routes file gives them, otherwise the settings' marching speed from
the event's start. The crowd stretches behind the head over
``attendance / (density * street width)`` metres; people behind the start
point are still waiting there, and people past the last waypoint have
gathered at it. The crowd is present from the event's start to its end.

A cell's weight in an hour is the share of the crowd within the footprint
kernel of the cell (see ``planner.forecasting.footprint``), averaged over
the hour: 1 when the whole crowd stands at the cell for the whole hour.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.forecasting.footprint import kernel_weights
from planner.inputs.geography import EARTH_RADIUS_M
from planner.inputs.geometry import distance_to_cells_m
from planner.inputs.settings import RouteSettings

SAMPLE_SPACING_M = 25.0
"""Spacing of the points along a route at which distances to cells are computed."""
TIME_STEP_MINUTES = 5
"""Step at which the crowd's position is sampled within each hour."""
CROWD_SAMPLES = 40
"""Number of positions along the march, head to tail, that stand for the crowd."""


@dataclass(frozen=True)
class RouteSchedule:
    """A route as distance along it against time.

    Attributes
    ----------
    distance_m : ndarray
        Distance from the first waypoint of each waypoint along the route.
    times : DatetimeIndex
        When the head of the march reaches each waypoint.
    latitudes, longitudes : ndarray
        The waypoints.
    speed_m_per_s : float
        Speed of the head after the last waypoint.
    """

    distance_m: np.ndarray
    times: pd.DatetimeIndex
    latitudes: np.ndarray
    longitudes: np.ndarray
    speed_m_per_s: float

    @property
    def length_m(self) -> float:
        return float(self.distance_m[-1])

    def head_position_m(self, moments: pd.DatetimeIndex) -> np.ndarray:
        """Return the distance along the route of the head of the march at each moment.

        Before the first waypoint time the head waits at the start; after the
        last it walks on at ``speed_m_per_s``, beyond the route's end.
        """
        seconds = _seconds(moments, self.times[0])
        knots = _seconds(self.times, self.times[0])
        position = np.interp(seconds, knots, self.distance_m)
        beyond = seconds > knots[-1]
        position[beyond] = self.length_m + (seconds[beyond] - knots[-1]) * self.speed_m_per_s
        return position


def route_schedule(waypoints: pd.DataFrame, start: pd.Timestamp, settings: RouteSettings) -> RouteSchedule:
    """Build the schedule of a route from its waypoints, sorted by ``sequence``.

    When the waypoints have times they are used, moved as a whole so that
    the first waypoint is at ``start`` if the event was moved off the day
    they describe. Otherwise the head leaves the first waypoint at ``start``
    at ``settings.speed_m_per_s``.
    """
    waypoints = waypoints.sort_values("sequence")
    latitudes = waypoints["latitude"].to_numpy(float)
    longitudes = waypoints["longitude"].to_numpy(float)
    legs = _leg_lengths_m(latitudes, longitudes)
    distance = np.concatenate([[0.0], np.cumsum(legs)])
    given = pd.DatetimeIndex(waypoints["time"])
    if given.notna().all():
        times = given.tz_convert(start.tz)
        if abs(times[0] - start) > pd.Timedelta(hours=12):
            times = times + (start - times[0])
    else:
        times = pd.DatetimeIndex([start + pd.Timedelta(seconds=d / settings.speed_m_per_s) for d in distance])
    return RouteSchedule(distance_m=distance, times=times, latitudes=latitudes, longitudes=longitudes,
                         speed_m_per_s=settings.speed_m_per_s)


def march_length_m(attendance: float, settings: RouteSettings) -> float:
    """Return the length from head to tail of a march of ``attendance`` people (0 when unknown)."""
    if not np.isfinite(attendance) or attendance <= 0:
        return 0.0
    return float(attendance / (settings.density_people_per_m2 * settings.street_width_m))


def route_cell_weights(schedule: RouteSchedule, start: pd.Timestamp, end: pd.Timestamp, march_m: float,
                       hours: pd.DatetimeIndex, cells: pd.DataFrame, shapes: dict | None,
                       radius_m: float) -> np.ndarray:
    """Return, per hour of ``hours`` and cell of ``cells``, the share of the crowd near the cell.

    Shape (hours, cells), values in [0, 1]: the mean over the hour's
    ``TIME_STEP_MINUTES`` steps of the crowd's kernel weight at the cell,
    zero at steps outside ``[start, end)``.
    """
    points = _sample_points(schedule)
    point_distance = points["distance_m"]
    kernel = np.stack([kernel_weights(distance_to_cells_m(latitude, longitude, cells, shapes), radius_m)
                       for latitude, longitude in zip(points["latitude"], points["longitude"])])

    steps_per_hour = 60 // TIME_STEP_MINUTES
    offsets = (np.arange(steps_per_hour) + 0.5) * TIME_STEP_MINUTES
    moments = pd.DatetimeIndex(np.repeat(hours, steps_per_hour)) + pd.to_timedelta(
        np.tile(offsets, len(hours)), unit="min")
    present = np.asarray((moments >= start) & (moments < end))
    head = schedule.head_position_m(moments)
    shares = np.linspace(0.0, 1.0, CROWD_SAMPLES) if march_m > 0 else np.zeros(1)
    positions = np.clip(head[:, None] - shares[None, :] * march_m, 0.0, schedule.length_m)
    spacing = point_distance[1] - point_distance[0] if len(point_distance) > 1 else 1.0
    nearest = np.clip(np.rint(positions / spacing).astype(int), 0, len(point_distance) - 1)
    step_weights = kernel[nearest].mean(axis=1)
    step_weights[~present] = 0.0
    return step_weights.reshape(len(hours), steps_per_hour, -1).mean(axis=1)


def _sample_points(schedule: RouteSchedule) -> dict[str, np.ndarray]:
    """Return points every ``SAMPLE_SPACING_M`` along the route, with their distance from its start."""
    count = max(2, int(np.ceil(schedule.length_m / SAMPLE_SPACING_M)) + 1)
    distance = np.linspace(0.0, schedule.length_m, count)
    return {"distance_m": distance,
            "latitude": np.interp(distance, schedule.distance_m, schedule.latitudes),
            "longitude": np.interp(distance, schedule.distance_m, schedule.longitudes)}


def _leg_lengths_m(latitudes: np.ndarray, longitudes: np.ndarray) -> np.ndarray:
    phi1, phi2 = np.radians(latitudes[:-1]), np.radians(latitudes[1:])
    d_lambda = np.radians(longitudes[1:] - longitudes[:-1])
    a = np.sin((phi2 - phi1) / 2) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(a))


def _seconds(moments: pd.DatetimeIndex, origin: pd.Timestamp) -> np.ndarray:
    return np.asarray((moments - origin) / pd.Timedelta(seconds=1), dtype=float)
