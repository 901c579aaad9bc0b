"""Learn event effects from past events: each one's excess over the baseline, its placebos and the group profiles.

A past event's excess is its traffic minus the in-sample baseline, divided
by the cell's local level, over the hours of its window. Its placebos are
the same window moved by whole weeks to event-free hours. The events are
grouped by venue (and kind), and one ``EffectProfile`` is learned per group
by :func:`planner.forecasting.uplift.learn_profile`. An event at a venue is
learned only on the cells within reach of it (:class:`VenueReach`), so that
the work and the memory grow with the cells around each venue, not with the
network.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from planner.forecasting.footprint import distance_to_venue_m
from planner.forecasting.history import history_to_past_events
from planner.forecasting.uplift import EffectProfile, PastEvent, between_venue_variance, learn_profile
from planner.forecasting.windows import EventWindow, occurrence_window, time_of_day_known
from planner.inputs.dataset import Dataset
from planner.inputs.timestamps import floor_hour
from planner.messages import translatable

PLACEBO_SHIFTS_WEEKS = (-4, -3, -2, -1, 1, 2, 3, 4)
"""Whole-week moves of an event's window that give its placebos, when those hours are event-free."""


class VenueReach:
    """Cells within ``reach_m`` of each venue, the only cells on which the effect of its past events is learned.

    Cells farther than this from a venue are never counted as affected by
    its events, whatever their traffic did on event days.
    """

    def __init__(self, dataset: Dataset, reach_m: float) -> None:
        self.dataset = dataset
        self.reach_m = reach_m
        self._distances: dict[str, np.ndarray] = {}
        self._cells: list[str] | None = None
        self._masks: dict[str, np.ndarray] = {}

    def mask(self, venue_id: str) -> np.ndarray:
        """Return, per cell of the dataset, whether its centre lies within ``reach_m`` of the venue."""
        if venue_id not in self._masks:
            self._masks[venue_id] = self._distance(venue_id) <= self.reach_m
        return self._masks[venue_id]

    def columns(self, venue_id: str) -> np.ndarray | None:
        """Return the columns of the cells within reach of a venue, which its past events are learned on.

        None for an event without a venue, learned on every cell. A venue
        with no cell within reach (or no known location) gets column 0, whose
        learned effect :func:`learn_profiles` then removes.
        """
        if not venue_id:
            return None
        reachable = self.mask(venue_id)
        return np.flatnonzero(reachable) if reachable.any() else np.array([0])

    def blanked_columns(self, venue_id: str) -> np.ndarray | None:
        """Return the columns where a past event's window is kept out of the baseline (None: every cell).

        Those are the cells within reach of its venue, where its effect is
        learned. The other cells keep those hours, because in a national
        network the windows of all venues' events would otherwise cover most
        of every cell's history. An event without a venue (a public holiday),
        or at a venue without a location, is kept out at every cell.
        """
        if not venue_id:
            return None
        distance = self._distance(venue_id)
        return None if np.isnan(distance).all() else np.flatnonzero(distance <= self.reach_m)

    def _distance(self, venue_id: str) -> np.ndarray:
        """Return each cell centre's distance to the venue in metres (NaN when unknown), cached per venue.

        Every past event at the venue and every event that overlaps one needs
        it, and computing it measures the distance to every cell of the
        network. It is measured to cell centres, polygons or not, so that
        adding ``cells.geojson`` leaves the per-cell profiles learned from
        history unchanged.
        """
        if venue_id not in self._distances:
            if self._cells is None:
                self._cells = self.dataset.cells["cell_id"].tolist()
            self._distances[venue_id] = distance_to_venue_m(self.dataset, venue_id, self._cells, to_polygons=False)
        return self._distances[venue_id]


def past_events_with_placebos(calendar: pd.DataFrame, times: list[tuple[pd.Timestamp, pd.Timestamp]],
                              index: pd.DatetimeIndex, observed: np.ndarray, in_sample: np.ndarray,
                              clean: np.ndarray, reach: VenueReach, *, hours_before: int,
                              hours_after: int) -> list[tuple[PastEvent, dict[int, PastEvent]]]:
    """Return each past event's excess, with its placebos: the same window moved by whole weeks.

    ``calendar`` contains the past events, and ``times`` each one's start and
    end, moved by its timing offset. ``observed`` is the traffic,
    ``in_sample`` the baseline fitted on it and ``clean`` the traffic with
    each event window blanked at the cells the event can reach, all as
    (hours of ``index``, cells). The excess of an event at a venue spans
    only the cells within the venue's reach (see :meth:`VenueReach.columns`).
    """
    event_free = ~np.isnan(clean) | np.isnan(observed)
    event_free_row = event_free.all(axis=1)
    events = list(calendar.itertuples(index=False))
    # A multi-day event is learned day by day, as it is forecast.
    windows = [occurrence_window(start, end, index, hours_before=hours_before, hours_after=hours_after)
               for start, end in times]
    # Hours where some cell has an excess, so that a window whose excess is all NaN at every cell is skipped
    # whatever cells it spans (the local level is always finite).
    measured_row = (~np.isnan(observed) & ~np.isnan(in_sample)).any(axis=1)
    spans = _WindowSpans.of(calendar, windows)
    past = []
    for number, (event, window) in enumerate(zip(events, windows)):
        start = times[number][0]
        columns = reach.columns(event.venue_id or "")
        if len(window.rows) == 0 or floor_hour(start) < index[0] or not time_of_day_known(event):
            continue
        if not measured_row[window.rows].any():
            continue
        excess = window_excess(window.rows, observed, in_sample, columns)
        _leave_out_shorter_events(excess, columns, number, events, windows, spans, reach)
        if np.isnan(excess).all():
            continue
        attendance = event_attendance(event)
        start_hour = hour_of_day(event.start, index.tz)
        placebos = {}
        for shift in PLACEBO_SHIFTS_WEEKS:
            rows = window.rows + 168 * shift
            if rows.min() < 0 or rows.max() >= len(index):
                continue
            # The placebo hours must be free of events at the cells the excess spans.
            if not (event_free_row[rows].all() if columns is None else event_free[np.ix_(rows, columns)].all()):
                continue
            if measured_row[rows].any():
                placebo_excess = window_excess(rows, observed, in_sample, columns)
                placebos[shift] = PastEvent(event.event_id, event.kind, event.venue_id or "", attendance,
                                            window.positions, placebo_excess, start_hour)
        past.append((PastEvent(event_id=event.event_id, kind=event.kind, venue_id=event.venue_id or "",
                               attendance=attendance, positions=window.positions, excess=excess,
                               start_hour=start_hour, duration_hours=duration_hours(event.end - event.start)),
                     placebos))
    return past


def stored_past_events(stored: pd.DataFrame, seen: set[str], cells: list[str], measure: str, timezone,
                       reach: VenueReach) -> list[tuple[PastEvent, dict[int, PastEvent]]]:
    """Return reviewed events that the traffic no longer covers, as past events without placebos.

    ``stored`` is the event history of post-event reviews
    (:func:`planner.forecasting.history.load_event_history`), and ``seen``
    the ids of the events learned from the traffic, which are left out.
    """
    if stored.empty:
        return []
    rows = stored[(stored["measure"] == measure) & ~stored["event_id"].isin(seen)]
    events = history_to_past_events(rows, cells, measure, timezone)
    narrowed = []
    for event in events:
        columns = reach.columns(event.venue_id)
        narrowed.append((event if columns is None else _select_cells(event, list(columns)), {}))
    return narrowed


MIN_POOLED_VENUES = 3
"""Minimum number of venues of a kind for each venue's own profile to be drawn towards the kind's shape."""


def learn_profiles(past_events: list[tuple[PastEvent, dict[int, PastEvent]]],
                   reach: VenueReach) -> tuple[dict, dict]:
    """Learn one profile per group of past events; return the profiles and each venue group's members.

    The groups are ``("venue", venue_id, kind)`` and ``("venue", venue_id,
    "*")`` for every venue (``""`` for events without one). For effects
    that travel to a new venue, ``("kind", kind)`` and ``("all",)`` are
    learned at the most responsive cell of each event's venue. A kind seen
    at ``MIN_POOLED_VENUES`` venues or more also measures how far its venues
    truly differ from its shape (``between_venue_variance``), so that a
    planned event's venue profile can be drawn towards it.
    """
    profiles: dict[tuple, EffectProfile] = {}
    groups: dict[tuple, list] = {}
    for event, placebos in past_events:
        groups.setdefault(("venue", event.venue_id, event.kind), []).append((event, placebos))
        groups.setdefault(("venue", event.venue_id, "*"), []).append((event, placebos))
    for key, members in groups.items():
        if key[1]:
            # Only cells within reach of the venue can be affected, so only they are learned: the cost
            # then grows with the cells around each venue, not with the whole network.
            columns = reach.columns(key[1])
            profile = _limit_to(learn_on(members, columns, spanned=columns), reach.mask(key[1])[columns])
        else:
            profile = learn_profile(*_split(members))
        profiles[key] = profile

    # Effects that travel to a new venue: each past event seen at its venue's most responsive cell.
    travelling: dict[tuple, list] = {}
    for event, placebos in past_events:
        if not event.venue_id:
            continue
        venue_profile = profiles[("venue", event.venue_id, "*")]
        if not venue_profile.affected.any():
            continue
        single = _at_cell((event, placebos), strongest_cell(venue_profile))
        travelling.setdefault(("kind", event.kind), []).append(single)
        travelling.setdefault(("all",), []).append(single)
    for key, members in travelling.items():
        profiles[key] = learn_profile(*_split(members))
    # How far the venues of a kind truly differ from its shape, which decides how far each is drawn to it.
    for key, profile in list(profiles.items()):
        if key[0] == "kind" and len(set(profile.venue_ids)) >= MIN_POOLED_VENUES:
            venue_profiles = [profiles[group] for group in groups if group[1] and group[2] == key[1]]
            profiles[key] = replace(profile, between_venue_variance=between_venue_variance(profile, venue_profiles))
    return profiles, groups


def learn_at_venue_cell(members: list[tuple[PastEvent, dict[int, PastEvent]]],
                        venue_profile: EffectProfile) -> EffectProfile:
    """Learn a one-cell profile from a venue's past events, at the most responsive cell of ``venue_profile``.

    It is learned as the travelling profile of a kind is, from this venue's
    events alone, so that a moving event that starts at a venue with
    history learns from the events held there.
    """
    cell = strongest_cell(venue_profile)
    return learn_profile(*_split([_at_cell(member, cell) for member in members]))


def learn_on(members: list[tuple[PastEvent, dict[int, PastEvent]]], columns: np.ndarray,
             spanned: np.ndarray | None = None, **options) -> EffectProfile:
    """Learn a profile from the given network columns only; the profile spans just them.

    ``spanned`` lists the network columns that the members' excess spans
    (None: every column of the network); ``columns`` must be among them.
    Every quantity of ``learn_profile`` is computed cell by cell, so the
    learned columns are the same as from the whole matrix. ``options`` go
    to ``learn_profile``.
    """
    positions = columns if spanned is None else np.searchsorted(spanned, columns)
    if spanned is not None and len(positions) == len(spanned):
        selected = members
    else:
        selected = [(_select_cells(event, list(positions)),
                     {shift: _select_cells(placebo, list(positions)) for shift, placebo in placebos.items()})
                    for event, placebos in members]
    return replace(learn_profile(*_split(selected), **options), columns=np.asarray(columns))


def window_excess(rows: np.ndarray, observed: np.ndarray, in_sample: np.ndarray,
                  columns: np.ndarray | None = None) -> np.ndarray:
    """Return (traffic - baseline) / local level at ``rows``, for the cell ``columns`` (None: every cell).

    The local level is the mean baseline over the week centred on the
    window, so that events at busy and quiet cells, and before and after
    years of growth, can be compared.
    """
    centre = rows[len(rows) // 2]
    nearby = slice(max(0, centre - 84), min(len(observed), centre + 84))
    if columns is None or len(columns) == observed.shape[1]:
        local_level = positive_levels(np.nanmean(in_sample[nearby], axis=0))
        return (observed[rows] - in_sample[rows]) / local_level[None, :]
    local_level = positive_levels(_nanmean_rows(in_sample[nearby][:, columns]))
    return (observed[np.ix_(rows, columns)] - in_sample[np.ix_(rows, columns)]) / local_level[None, :]


def network_columns(profile: EffectProfile, width: int) -> np.ndarray:
    """Return the network column of each of the profile's cells, the first ``width`` when it spans them all."""
    return np.arange(width) if profile.columns is None else profile.columns


def strongest_cell(profile: EffectProfile) -> int:
    """Return the position, among the profile's cells, of the affected cell with the largest total effect."""
    return int(np.argmax(np.where(profile.affected, np.abs(profile.beta).sum(axis=0), -np.inf)))


def event_number(event, name: str) -> float:
    """Return an optional numeric field of an event row (a named tuple), NaN when absent or missing."""
    value = getattr(event, name, np.nan)
    return np.nan if value is None or pd.isna(value) else value


def event_attendance(event) -> float:
    """Return an event's expected attendance, else the middle of its low-high range, else NaN."""
    attendance = float(event_number(event, "expected_attendance"))
    low, high = float(event_number(event, "attendance_low")), float(event_number(event, "attendance_high"))
    if np.isnan(attendance) and not (np.isnan(low) or np.isnan(high)):
        attendance = 0.5 * (low + high)
    return attendance


ATTENDANCE_COLUMNS: tuple[str, ...] = ("expected_attendance", "attendance_low", "attendance_high")


def cap_attendance_at_capacity(events: pd.DataFrame, venues: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Cap the attendance figures of events at their venue's ``capacity_people`` for scaling the uplift.

    The uplift grows in proportion to the attendance, but a venue's crowd
    cannot grow past its capacity, so a figure above it would forecast an
    effect no crowd there could cause. Events without a venue, and venues
    with an empty ``capacity_people``, are left as they are.

    Returns
    -------
    events : DataFrame
        A copy with ``expected_attendance``, ``attendance_low`` and
        ``attendance_high`` (those present) capped; the input when nothing
        is above a capacity.
    notes : list of str
        One note per capped event, naming the event, its attendance and the capacity.
    """
    above = _above_capacity(events, venues)
    if above is None:
        return events, []
    columns, figures, capacity, above = above

    capped = events.copy()
    capped[columns] = figures.where(~above, pd.concat([capacity] * len(columns), axis=1, keys=columns))
    notes = []
    for index in events.index[above.any(axis=1)]:
        attendance = figures.loc[index, columns].max()
        notes.append(translatable("{event}: attendance {attendance:,.0f} is above the venue's capacity of "
                                  "{capacity:,.0f} people (capacity_people in venues.csv), so the uplift is scaled "
                                  "as if {capacity:,.0f} people attend", event=events.at[index, "event_id"],
                                  attendance=float(attendance), capacity=float(capacity[index])))
    return capped, notes


def attendance_caps(events: pd.DataFrame, venues: pd.DataFrame) -> dict[str, float]:
    """Return, by event id, the venue capacity that :func:`cap_attendance_at_capacity` puts in place of attendance.

    Only the events with an attendance figure above their venue's
    ``capacity_people`` are listed.
    """
    above = _above_capacity(events, venues)
    if above is None:
        return {}
    _columns, _figures, capacity, above = above
    capped = above.any(axis=1)
    return dict(zip(events.loc[capped, "event_id"], capacity[capped].astype(float)))


def _above_capacity(events: pd.DataFrame, venues: pd.DataFrame):
    """Return the attendance columns, their values, each event's venue capacity and which values exceed it.

    None when no attendance figure is above a capacity.
    """
    columns = [column for column in ATTENDANCE_COLUMNS if column in events.columns]
    if events.empty or not columns or "venue_id" not in events.columns or venues is None or venues.empty:
        return None
    capacity_by_venue = venues.set_index("venue_id")["capacity_people"]
    capacity = events["venue_id"].map(capacity_by_venue).astype(float)
    figures = events[columns].astype(float)
    above = figures.gt(capacity, axis=0)
    if not above.to_numpy().any():
        return None
    return columns, figures, capacity, above


def hour_of_day(timestamp: pd.Timestamp, timezone) -> float:
    """Return the local time of day of ``timestamp`` in ``timezone``, in hours."""
    local = timestamp.tz_convert(timezone)
    return local.hour + local.minute / 60.0


def duration_hours(duration: pd.Timedelta) -> float:
    return duration / pd.Timedelta(hours=1)


def positive_levels(values: np.ndarray) -> np.ndarray:
    """Replace non-positive or missing levels by 1 so that dividing by them is safe."""
    return np.where(np.isfinite(values) & (values > 0), values, 1.0)


@dataclass(frozen=True)
class _WindowSpans:
    """Durations and first and last rows of the past events' windows, to find the overlaps of each one at once."""

    durations: np.ndarray
    first_rows: np.ndarray
    last_rows: np.ndarray

    @classmethod
    def of(cls, events: pd.DataFrame, windows: list[EventWindow]) -> _WindowSpans:
        """Return the spans of ``events`` (rows in the order of ``windows``). An empty window overlaps nothing."""
        empty = np.array([len(window.rows) == 0 for window in windows], dtype=bool)
        first = np.array([window.rows[0] if len(window.rows) else 0 for window in windows], dtype=np.int64)
        last = np.array([window.rows[-1] if len(window.rows) else 0 for window in windows], dtype=np.int64)
        return cls(durations=(events["end"] - events["start"]).to_numpy(),
                   first_rows=np.where(empty, np.iinfo(np.int64).max, first), last_rows=np.where(empty, -1, last))

    def shorter_overlapping(self, number: int, window: EventWindow) -> np.ndarray:
        """Return the events shorter than event ``number`` whose window rows reach into ``window``'s span."""
        return np.flatnonzero((self.durations < self.durations[number]) & (self.last_rows >= window.rows[0])
                              & (self.first_rows <= window.rows[-1]))


def _leave_out_shorter_events(excess: np.ndarray, columns: np.ndarray | None, number: int, events: list,
                              windows: list, spans: _WindowSpans, reach: VenueReach) -> None:
    """Blank, in a past event's excess, the hours and cells of the shorter events that overlap it.

    A match on a public holiday would otherwise be learned twice, as the
    match and as part of the holiday, and both would be added to the next
    match on a holiday. The shorter event keeps those hours; the longer
    one is learned from its other hours (the same hours of its other
    occurrences). The cells left out are those within reach of the
    shorter event's venue, or all cells when it has none. ``columns``
    are the cells that ``excess`` spans (None: every cell).
    """
    window = windows[number]
    if len(window.rows) == 0:
        return
    for other_number in spans.shorter_overlapping(number, window):
        other, other_window = events[other_number], windows[other_number]
        overlap = np.isin(window.rows, other_window.rows)
        if not overlap.any():
            continue
        if other.venue_id:
            within = reach.mask(other.venue_id)
            if columns is not None:
                within = within[columns]
            excess[np.ix_(overlap, within)] = np.nan
        else:
            excess[overlap] = np.nan


def _limit_to(profile: EffectProfile, reachable: np.ndarray) -> EffectProfile:
    """Return the profile with every cell outside ``reachable`` (one flag per cell of the profile) set to no effect."""
    affected = profile.affected & reachable
    return replace(profile, affected=affected, beta=np.where(affected[None, :], profile.beta, 0.0),
                   sigma=np.where(affected[None, :], profile.sigma, 0.0))


def _nanmean_rows(values: np.ndarray) -> np.ndarray:
    """Return the mean of each column over its non-NaN rows, as ``np.nanmean(values, axis=0)`` on the whole network.

    numpy sums the columns of a row-major matrix of two or more columns row
    by row, but a single column or a column-major matrix (such as a column
    selection) pairwise, which rounds differently. So the columns are copied
    row-major, and a lone column is averaged as two copies of itself: a
    cell's mean is then the same bits as in the network-wide matrix.
    """
    if values.shape[1] == 1:
        return np.nanmean(np.repeat(values, 2, axis=1), axis=0)[:1]
    return np.nanmean(np.ascontiguousarray(values), axis=0)


def _split(members: list[tuple[PastEvent, dict[int, PastEvent]]]) -> tuple[list[PastEvent], dict[int, list[PastEvent]]]:
    """Separate past events from their placebos, which are grouped by week shift, as ``learn_profile`` takes them."""
    events = [event for event, _ in members]
    placebos: dict[int, list[PastEvent]] = {}
    for _, event_placebos in members:
        for shift, placebo in event_placebos.items():
            placebos.setdefault(shift, []).append(placebo)
    return events, placebos


def _at_cell(member: tuple[PastEvent, dict[int, PastEvent]], cell: int) -> tuple[PastEvent, dict[int, PastEvent]]:
    """Return a past event and its placebos at one cell of the venue's reach, which their excess spans."""
    event, placebos = member
    return _select_cells(event, [cell]), {shift: _select_cells(placebo, [cell]) for shift, placebo in placebos.items()}


def _select_cells(event: PastEvent, cells: list[int]) -> PastEvent:
    return PastEvent(event.event_id, event.kind, event.venue_id, event.attendance, event.positions,
                     event.excess[:, cells])
