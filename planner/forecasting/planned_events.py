"""Choose the effect profile of each planned event, and summarise its forecast peak.

An event at a venue with history takes the profile learned there, for its
kind if the venue has seen it, re-learned with more weight on the past
events of a similar start time and duration. When its kind was seen at
three venues or more, that profile is drawn towards the kind's, by as much
as the venue's own few events leave it uncertain. An event at a venue
without history borrows the travelling profile of its kind (else of all
kinds), spread over the cells near the venue by the footprint kernel
(``planner.forecasting.footprint``). A moving event takes the peak of a
travelling profile along its route (``planner.forecasting.routes``): that
of its starting venue's past events when it has some, else its kind's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pandas as pd

from planner.forecasting.footprint import venue_footprint
from planner.forecasting.past_events import (VenueReach, duration_hours, event_attendance, event_number, hour_of_day,
                                             learn_at_venue_cell, learn_on, network_columns)
from planner.forecasting.routes import march_length_m, route_cell_weights, route_schedule
from planner.forecasting.uplift import Z_90, EffectProfile, uplift_for_event
from planner.forecasting.windows import EventWindow, time_of_day_known
from planner.inputs.dataset import Dataset
from planner.messages import Message, translatable


class PlannedEvents:
    """Profile choice, and uplift of moving events, for the events planned in one forecast.

    Parameters
    ----------
    dataset : Dataset
        The dataset the forecaster was fitted on, for its cells, venues and settings.
    routes : DataFrame
        Waypoints of moving events, with the columns of ``Dataset.routes``.
    reach : VenueReach
        The cells within reach of each venue, which the venue's profiles span.
    footprint_radius_m, time_of_day_bandwidth_hours, duration_bandwidth_hours : float
        As in ``planner.forecasting.model.EventForecaster``.
    """

    def __init__(self, dataset: Dataset, routes: pd.DataFrame | None, reach: VenueReach, *,
                 footprint_radius_m: float | None, time_of_day_bandwidth_hours: float,
                 duration_bandwidth_hours: float) -> None:
        self.dataset = dataset
        self.routes = routes
        self.reach = reach
        self.footprint_radius_m = footprint_radius_m
        self.time_of_day_bandwidth_hours = time_of_day_bandwidth_hours
        self.duration_bandwidth_hours = duration_bandwidth_hours

    def route_of(self, event_id: str) -> pd.DataFrame | None:
        """Return the waypoints of a moving event, or None when it has fewer than two."""
        if self.routes is None or self.routes.empty:
            return None
        route = self.routes[self.routes["event_id"] == event_id]
        return route if len(route) >= 2 else None

    def profile_for(self, event, profiles: dict, groups: dict, cells: list[str], measure: str,
                    notes: list[str]) -> tuple[EffectProfile | None, str, np.ndarray | None]:
        """Return the profile of a planned event, its pooling and, for a borrowed profile, the weight of each cell.

        ``profiles`` and ``groups`` are those of
        :func:`planner.forecasting.past_events.learn_profiles`. The pooling is
        ``venue``, ``kind``, ``all`` or ``none`` (no profile). The choices made
        are appended to ``notes``.
        """
        venue = event.venue_id or ""
        for key, pooling in ((("venue", venue, event.kind), "venue"), (("venue", venue, "*"), "venue")):
            profile = profiles.get(key)
            if profile is not None:
                if key[2] == "*" and venue:
                    notes.append(translatable("{event}: no past {kind} event at venue {venue!r}; its uplift on "
                                              "{measure} is learned from the venue's past events of other kinds",
                                              event=event.event_id, kind=event.kind, venue=venue, measure=measure))
                if not profile.tested:
                    notes.append(translatable("{event}: no event-free week lies around the past events it is "
                                              "learned from, so its effect on {measure} could not be told apart "
                                              "from noise and is used as measured", event=event.event_id,
                                              measure=measure))
                if profile.affected.any():
                    profile = self._weighted_by_similarity(profile, groups[key], event,
                                                           _kind_shape(profiles, event.kind))
                if profile.pooled_venues:
                    notes.append(translatable("{event}: its uplift on {measure} is learned at its venue and drawn "
                                              "towards the response of past {kind} events at {venues} venues, the "
                                              "more so as its venue's own events leave it uncertain",
                                              event=event.event_id, measure=measure, kind=event.kind,
                                              venues=profile.pooled_venues))
                return profile, pooling, None
        if not venue:
            notes.append(translatable("{event}: no past {kind} event in the history of {measure}; no uplift is "
                                      "forecast for it", event=event.event_id, kind=event.kind, measure=measure))
            return None, "none", None
        footprint = venue_footprint(self.dataset, venue, event.kind, cells, self.footprint_radius_m)
        for key, pooling, text in ((("kind", event.kind), "kind",
                                    translatable("past {kind} events at other venues", kind=event.kind)),
                                   (("all",), "all", translatable("all past events at other venues"))):
            profile = profiles.get(key)
            if profile is not None and footprint is not None:
                weights, description = footprint
                notes.append(translatable("{event}: no history at venue {venue!r}; its uplift on {measure} is "
                                          "borrowed from {source} and {footprint} (an assumed footprint)",
                                          event=event.event_id, venue=venue, measure=measure, source=text,
                                          footprint=description))
                return profile, pooling, weights
        notes.append(translatable("{event}: no past event to learn from for {measure}; no uplift is forecast for it",
                                  event=event.event_id, measure=measure))
        return None, "none", None

    def route_uplift(self, event, route: pd.DataFrame, profiles: dict, groups: dict, cells: list[str],
                     measure: str, hours: pd.DatetimeIndex, level: np.ndarray,
                     totals: tuple[np.ndarray, np.ndarray, np.ndarray], notes: list[str],
                     summarise: Callable[..., dict]) -> dict:
        """Add a moving event's uplift to ``totals`` (uplift, variance, event ids) and return its summary row.

        The size of the effect is the peak of a travelling profile: the
        relative uplift at a cell with the whole crowd of the reference
        attendance present. It is learned from the past events of the
        event's kind at its starting venue, at the venue's most responsive
        cell, else from those of its kind at every venue, else from all past
        events. The route sets where and when it applies. ``summarise(pooling,
        profile, window, mean, sd, affected, columns)`` returns the summary
        row of an event that affects some cells.
        """
        uplift, variance, event_ids = totals
        profile, pooling, source = self._travelling_profile(event, profiles, groups)
        if profile is None:
            notes.append(translatable("{event}: no past event moved {measure} measurably at any venue; no uplift "
                                      "is forecast along its route", event=event.event_id, measure=measure))
            return empty_summary(event.event_id, measure, "none", None, 0)

        settings = self.dataset.settings
        attendance = float(event_number(event, "expected_attendance"))
        low, high = float(event_number(event, "attendance_low")), float(event_number(event, "attendance_high"))
        crowd = event_attendance(event)
        schedule = route_schedule(route, event.start, settings.routes)
        march_m = march_length_m(crowd, settings.routes)
        radius = settings.footprint.radius_for(event.kind) if self.footprint_radius_m is None else self.footprint_radius_m
        cell_table = self.dataset.cells.set_index("cell_id").reindex(cells).reset_index()
        weights = route_cell_weights(schedule, event.start, event.end, march_m, hours, cell_table,
                                     self.dataset.cell_shapes, radius)

        peak = int(np.argmax(np.abs(profile.beta).sum(axis=1)))
        mean, sd = uplift_for_event(profile, profile.positions[[peak]], np.ones(1), attendance, low, high)
        rows = np.flatnonzero(weights.any(axis=1))
        cell_mean = float(mean[0, 0]) * weights[rows] * level[None, :]
        cell_sd = float(sd[0, 0]) * weights[rows] * level[None, :]
        uplift[rows] += cell_mean
        variance[rows] += cell_sd**2
        marked = np.zeros(weights.shape, dtype=bool)
        marked[rows] = weights[rows] > 0
        event_ids[marked] = np.where(event_ids[marked] == "", event.event_id, event_ids[marked] + ";" + event.event_id)
        notes.append(translatable("{event}: moves along a {length_km:,.1f} km route; the march is {march_m:,.0f} m "
                                  "from head to tail (an assumed {density:g} people per m² over {width_m:g} m), "
                                  "each cell within {radius:,.0f} m loaded while it passes, with the peak effect of "
                                  "{source}", event=event.event_id, length_km=schedule.length_m / 1000,
                                  march_m=march_m, density=settings.routes.density_people_per_m2,
                                  width_m=settings.routes.street_width_m, radius=radius, source=source))
        if len(rows) == 0:
            return empty_summary(event.event_id, measure, pooling, profile, 0, venue_id=event.venue_id or "")
        window = EventWindow(rows=rows, positions=np.zeros(len(rows)))
        return summarise(pooling, profile, window, cell_mean, cell_sd, weights.max(axis=0) > 0, np.arange(len(cells)))

    def _travelling_profile(self, event, profiles: dict, groups: dict) -> tuple[EffectProfile | None, str, Message]:
        """Return the one-cell profile a moving event takes, its pooling and the words for its source."""
        venue = event.venue_id or ""
        members = groups.get(("venue", venue, event.kind)) if venue else None
        venue_profile = profiles.get(("venue", venue, "*"))
        if members and venue_profile is not None and venue_profile.affected.any():
            profile = learn_at_venue_cell(members, venue_profile)
            if profile.affected.any():
                return profile, "venue", translatable("past {kind} events at its venue", kind=event.kind)
        for key, pooling, source in ((("kind", event.kind), "kind", translatable("past {kind} events", kind=event.kind)),
                                     (("all",), "all", translatable("all past events"))):
            profile = profiles.get(key)
            if profile is not None and profile.affected.any():
                return profile, pooling, source
        return None, "none", translatable("no past event")

    def _weighted_by_similarity(self, profile: EffectProfile, members: list, event,
                                kind_shape: EffectProfile | None) -> EffectProfile:
        """Re-learn a group's profile for one event, weighting the past events that resemble it.

        Past events weigh by how close their duration and their start time of
        day are to the new event's (Gaussian kernels). Events of the same
        duration line up at their end as well as at their start, and a crowd
        leaving at 16:00 meets other background traffic than one leaving at
        23:00. An event whose time of day is not known weighs them equally.
        The estimate is drawn towards ``kind_shape``, the response of the
        event's kind pooled over venues, when there is one. The cells stay
        those the whole group showed as affected.
        """
        weights = None
        if time_of_day_known(event):
            past_hours = np.array([past.start_hour for past, _ in members])
            past_durations = np.array([past.duration_hours for past, _ in members])
            time_of_day = np.abs(past_hours - hour_of_day(event.start, self.dataset.timezone))
            time_of_day = np.minimum(time_of_day, 24 - time_of_day)
            duration = past_durations - duration_hours(event.end - event.start)
            weights = (_kernel(time_of_day, self.time_of_day_bandwidth_hours)
                       * _kernel(duration, self.duration_bandwidth_hours))
        elif kind_shape is None:
            return profile
        columns = network_columns(profile, len(profile.affected))[profile.affected]
        weighted = learn_on(members, columns, spanned=self.reach.columns(event.venue_id or ""), weights=weights,
                            towards=kind_shape)
        return replace(weighted, affected=np.ones(len(columns), dtype=bool))


def _kind_shape(profiles: dict, kind: str) -> EffectProfile | None:
    """Return the travelling profile of ``kind`` when it measured how far its venues differ from it, else None."""
    profile = profiles.get(("kind", kind))
    if profile is None or not profile.affected.any() or np.isnan(profile.between_venue_variance):
        return None
    return profile


def summarise_event(event_id: str, measure: str, pooling: str, profile: EffectProfile, cells: list[str],
                    hours: pd.DatetimeIndex, window: EventWindow, baseline: np.ndarray, mean: np.ndarray,
                    sd: np.ndarray, affected: np.ndarray, columns: np.ndarray, venue_id: str = "") -> dict:
    """Return an event's summary row: its peak ratio to the baseline, with a p10-p90 range, and where and when.

    The peak is at the cell with the largest total uplift, at the hour where
    the uplift is largest relative to the baseline. So ``peak_time`` is the
    hour of the ``peak_uplift_ratio`` reported, which can come after the
    hour of the largest uplift in traffic when the baseline falls.
    ``mean``, ``sd`` and ``affected`` span the network columns ``columns``;
    ``baseline`` spans the whole network. ``venue_id`` is the event's
    venue, for the count of past events learned there.
    """
    base = baseline[np.ix_(window.rows, columns)]
    if not affected.any() or not (base > 0).any():
        return empty_summary(event_id, measure, pooling, profile, 0, venue_id=venue_id)
    column = int(np.argmax(np.where(affected, np.abs(mean).sum(axis=0), -np.inf)))
    positive = base[:, column] > 0
    relative = np.abs(mean[:, column]) / np.where(positive, base[:, column], 1.0)
    row = int(np.argmax(np.where(positive, relative, -np.inf)))
    peak = base[:, column] + mean[:, column]
    ratio = peak[row] / base[row, column]
    low = (peak[row] - Z_90 * sd[row, column]) / base[row, column]
    high = (peak[row] + Z_90 * sd[row, column]) / base[row, column]
    return {
        "event_id": event_id, "measure": measure, "peak_uplift_ratio": float(ratio),
        "uplift_ratio_p10": float(max(low, 0.0)), "uplift_ratio_p90": float(high),
        "peak_time": hours[window.rows[row]], "peak_cell_id": cells[columns[column]],
        "cells_affected": int(affected.sum()), "pooling": pooling, **_sources(profile, venue_id),
    }


def empty_summary(event_id: str, measure: str, pooling: str, profile: EffectProfile | None, cells: int,
                  venue_id: str = "") -> dict:
    """Return the summary row of an event with no forecast uplift: ratios of 1 and no peak.

    ``profile`` is the profile it would have taken, for the past events it
    names, or None when the forecast learned from none.
    """
    return {"event_id": event_id, "measure": measure, "peak_uplift_ratio": 1.0, "uplift_ratio_p10": 1.0,
            "uplift_ratio_p90": 1.0, "peak_time": pd.NaT, "peak_cell_id": "", "cells_affected": cells,
            "pooling": pooling, **_sources(profile, venue_id)}


def _sources(profile: EffectProfile | None, venue_id: str) -> dict:
    """Return the summary columns on the past events a profile was learned from.

    ``learned_events`` counts them and ``learned_at_venue`` counts those at
    ``venue_id``. ``pooled_venues`` counts the venues of the event's kind
    whose shape the profile was drawn towards (0 when it was not). A
    profile of the event's kind can contain past events at its own venue,
    when a moving event falls back on its kind's profile.
    """
    event_ids = profile.event_ids if profile is not None else ()
    venue_ids = profile.venue_ids if profile is not None else ()
    at_venue = sum(1 for past_venue in venue_ids if venue_id and past_venue == venue_id)
    return {"learned_from": _describe_sources(event_ids), "learned_events": len(event_ids),
            "learned_at_venue": at_venue, "pooled_venues": profile.pooled_venues if profile is not None else 0}


def _describe_sources(event_ids: tuple[str, ...]) -> str:
    if not event_ids:
        return ""
    if len(event_ids) <= 4:
        return ", ".join(event_ids)
    return f"{len(event_ids)} events: {event_ids[0]} ... {event_ids[-1]}"


def _kernel(distance: np.ndarray, bandwidth: float) -> np.ndarray:
    """Return Gaussian kernel weights, all ones when ``bandwidth`` is 0."""
    if not bandwidth:
        return np.ones_like(distance, dtype=float)
    return np.exp(-0.5 * (distance / bandwidth) ** 2)
