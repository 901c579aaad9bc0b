"""The event forecaster: baseline plus learned event uplift, with quantiles.

``EventForecaster.fit`` learns from a dataset's history strictly before an
origin; ``predict`` forecasts any hours after it, for the events given.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from planner.forecasting.baseline import (band_scale, hour_of_day_spread, hourly_level_shift, relative_error_quantiles,
                                          seasonal_profile, weekly_growth)
from planner.forecasting.clock_drift import feed_clock_drift
from planner.forecasting.footprint import distance_to_venue_m, venue_footprint
from planner.forecasting.history import history_to_past_events, load_event_history
from planner.forecasting.lags import lagged_rows, take_rows
from planner.forecasting.timing import MAX_OFFSET_HOURS, estimate_timing
from planner.forecasting.uplift import Z_90, EffectProfile, PastEvent, learn_profile, uplift_for_event
from planner.forecasting.routes import march_length_m, route_cell_weights, route_schedule
from planner.forecasting.windows import HOUR, EventWindow, event_window, metric_window_mask, occurrence_window, occurrences
from planner.inputs.dataset import Dataset
from planner.messages import translatable

logger = logging.getLogger(__name__)

QUANTILES = (0.1, 0.5, 0.9)
MIN_HISTORY_HOURS = 24
"""Fewest hours with traffic before the origin that a forecast is made from."""
MIN_ERROR_SAMPLES = 48
"""Minimum number of a cell's event-free hours that measure the baseline's error; below it, day-to-day change does."""
BAND_CEILING = 1.5
"""Highest event-free hour of the error sample's weeks, times this, caps a cell's p90 outside events; 1.5 leaves
room for months of fast growth while a single odd week cannot push the band to several times the cell's record."""
PLACEBO_SHIFTS_WEEKS = (-4, -3, -2, -1, 1, 2, 3, 4)
"""Whole-week moves of an event's window that give its placebos, when those hours are event-free."""
FORECAST_COLUMNS = ["cell_id", "measure", "timestamp", "baseline", "p10", "p50", "p90", "event_id"]
EVENT_COLUMNS = ["event_id", "measure", "peak_uplift_ratio", "uplift_ratio_p10", "uplift_ratio_p90",
                 "peak_time", "peak_cell_id", "cells_affected", "pooling", "learned_from"]


@dataclass(frozen=True)
class ForecastResult:
    """A forecast for a span of hours.

    Attributes
    ----------
    table : DataFrame
        Columns ``FORECAST_COLUMNS``: one row per cell, measure and hour.
        ``event_id`` lists, joined by ";", the events whose scoring window
        (start - 1 h to end + 2 h) covers that hour at a cell they affect.
    events : DataFrame
        Columns ``EVENT_COLUMNS``: one row per event and measure.
    notes : list of str
        Choices made for the user (borrowed effects, missing history).
    """

    table: pd.DataFrame
    events: pd.DataFrame
    notes: list[str] = field(default_factory=list)


class EventForecaster:
    """Forecast hourly traffic per cell with event uplifts learned from history.

    Parameters
    ----------
    history_weeks : int, default 8
        Weeks of history the baseline looks back over.
    halflife_weeks : float, default 2.0
        Age, in weeks, at which a past week's weight in the baseline halves.
    hours_before_event, hours_after_event : int, default 3 and 4
        Hours before the start and after the end that belong to an event's
        window, both for learning and for forecasting.
    trend_damping : float, default 0.5
        Share of the measured weekly growth carried into the forecast.
    footprint_radius_m : float, optional
        At a venue with no history, the effect borrowed from other venues is
        spread over the cells within this distance of the venue by the
        kernel of ``planner.forecasting.footprint``. By default the radius of
        the event's kind in the settings' ``[footprint]``.
    time_of_day_bandwidth_hours : float, default 3.0
        Past events at the same venue weigh less the further their start time
        of day is from the new event's (a Gaussian kernel of this width);
        0 gives every past event the same weight.
    duration_bandwidth_hours : float, default 0.5
        Likewise for the difference in duration, so that the end of the event
        is matched too; 0 turns it off.
    learn_timing : bool, default True
        Learn, per venue, whether the response to events comes earlier or
        later than their scheduled times (see ``planner.forecasting.timing``)
        and place new events accordingly.
    venue_reach_m : float, default 3000.0
        Cells farther than this from a venue are never counted as affected by
        its events, whatever their traffic did on event days. A crowd does not
        load a cell across town, and among many cells a few pass any
        significance test by chance.
    level_window_hours : int, optional
        The last hours before the origin that measure a recent shift of each
        cell's level: the ratio of their traffic to what the baseline, from
        the weeks before, expected of them, at each hour of the day and
        shrunk towards the ratio over all hours. Three days average out one
        odd day and still see a shift within the week. 0 turns the correction
        off.
        By default the dataset's ``[forecast]`` setting (72).
    level_decay_days : float, optional
        Time constant of the fading of that shift over the forecast horizon:
        the correction is ``ratio ** exp(-lead / level_decay_days)``, so it is
        whole at the origin and down to a tenth after a week. A level that
        moved and stays is followed at the start of the week, when it is
        best known, while a short burst before the origin fades out. By
        default the dataset's ``[forecast]`` setting (3.0).
    """

    def __init__(self, *, history_weeks: int = 8, halflife_weeks: float = 2.0, hours_before_event: int = 3,
                 hours_after_event: int = 4, trend_damping: float = 0.5,
                 footprint_radius_m: float | None = None, venue_reach_m: float = 3000.0,
                 time_of_day_bandwidth_hours: float = 3.0, duration_bandwidth_hours: float = 0.5,
                 learn_timing: bool = True, level_window_hours: int | None = None,
                 level_decay_days: float | None = None) -> None:
        self.history_weeks = history_weeks
        self.halflife_weeks = halflife_weeks
        self.hours_before_event = hours_before_event
        self.hours_after_event = hours_after_event
        self.trend_damping = trend_damping
        self.footprint_radius_m = footprint_radius_m
        self.venue_reach_m = venue_reach_m
        self.time_of_day_bandwidth_hours = time_of_day_bandwidth_hours
        self.duration_bandwidth_hours = duration_bandwidth_hours
        self.learn_timing = learn_timing
        self.level_window_hours = level_window_hours
        self.level_decay_days = level_decay_days

    def fit(self, dataset: Dataset, origin: pd.Timestamp) -> EventForecaster:
        """Learn baselines and event effects from the history strictly before ``origin``."""
        origin = pd.Timestamp(origin).tz_convert(dataset.timezone)
        # Masks rather than a copy of the history: the long table of a national network has tens of millions of rows.
        traffic = dataset.traffic
        before_origin = (traffic["timestamp"] < origin).to_numpy()
        measured = traffic[list(dataset.settings.measure_names)].notna().any(axis=1).to_numpy()
        measured_hours = np.count_nonzero(before_origin & measured)
        if measured_hours < MIN_HISTORY_HOURS:
            raise ValueError(translatable("only {count} hours of traffic before {origin} in dataset {dataset!r}, and "
                                          "planning needs at least {minimum}; the data runs from {first} to {last}: "
                                          "plan a later week", count=int(measured_hours),
                                          origin=origin.isoformat(), dataset=dataset.name, minimum=MIN_HISTORY_HOURS,
                                          first=dataset.first_hour.isoformat(), last=dataset.last_hour.isoformat()))
        self.dataset_ = dataset
        self.origin_ = origin
        settings = dataset.settings.forecast
        self.level_window_hours_ = (settings.level_window_hours if self.level_window_hours is None
                                    else self.level_window_hours)
        self.level_decay_days_ = settings.level_decay_days if self.level_decay_days is None else self.level_decay_days
        self.past_events_ = dataset.events[dataset.events["start"] < origin].copy()
        self.clock_drift_ = (feed_clock_drift(dataset, origin, self.past_events_, hours_before=self.hours_before_event,
                                              hours_after=self.hours_after_event, max_weeks=self.history_weeks)
                             if settings.follow_clock_drift else None)
        self._within_reach_cache: dict[str, np.ndarray] = {}

        # Post-event reviews stored in the dataset folder: actual attendances, and events older than the traffic.
        stored = load_event_history(dataset.path) if dataset.path is not None else None
        self.stored_events_ = pd.DataFrame()
        if stored is not None and not stored.empty:
            stored = stored[pd.to_datetime(stored["start"], utc=True) < origin]
            actual = stored.groupby("event_id")["attendance"].first().astype(float).dropna()
            known = self.past_events_["event_id"].isin(actual.index)
            self.past_events_.loc[known, "expected_attendance"] = self.past_events_.loc[known, "event_id"].map(actual)
            self.stored_events_ = stored
            logger.info("event history of %s: %d reviewed events, %d with their actual attendance", dataset.name,
                        stored["event_id"].nunique(), int(known.sum()))
        self.measures_ = {}
        for measure in dataset.settings.measure_names:
            self.measures_[measure] = self._fit_measure(dataset, measure, origin)
        return self

    def predict(self, start: pd.Timestamp, end: pd.Timestamp, events: pd.DataFrame | None = None,
                routes: pd.DataFrame | None = None) -> ForecastResult:
        """Forecast every hour from ``start`` (included) to ``end`` (excluded).

        Parameters
        ----------
        events : DataFrame, optional
            The events to plan for, with the columns of ``Dataset.events``;
            by default the dataset's events that overlap the span. An event
            longer than 24 hours runs daily (see
            ``planner.forecasting.windows.occurrences``).
        routes : DataFrame, optional
            Waypoints of moving events, with the columns of
            ``Dataset.routes``; by default the dataset's. An event with a
            route loads the cells along it as the march passes (see
            ``planner.forecasting.routes``) in place of its venue's cells.
        """
        if not hasattr(self, "measures_"):
            raise RuntimeError("this EventForecaster is not fitted yet; call fit(dataset, origin) before predict")
        timezone = self.dataset_.timezone
        start, end = pd.Timestamp(start).tz_convert(timezone), pd.Timestamp(end).tz_convert(timezone)
        if start < self.origin_:
            raise ValueError(f"cannot forecast from {start.isoformat()}: it is before the origin "
                             f"{self.origin_.isoformat()} the model was fitted at")
        if events is None:
            events = self.dataset_.events
        events = events[(events["end"] > start - self.hours_after_event * HOUR)
                        & (events["start"] < end + self.hours_before_event * HOUR)]

        self.routes_ = self.dataset_.routes if routes is None else routes

        tables, summaries, notes = [], [], []
        for measure, fit in self.measures_.items():
            table, summary, measure_notes = self._predict_measure(fit, measure, start, end, events)
            tables.append(table)
            summaries.append(summary)
            notes.extend(measure_notes)
        events_table = pd.concat(summaries, ignore_index=True) if summaries else pd.DataFrame(columns=EVENT_COLUMNS)
        return ForecastResult(table=pd.concat(tables, ignore_index=True), events=events_table,
                              notes=list(dict.fromkeys(notes)))

    # -- fitting ---------------------------------------------------------------------------------

    def _fit_measure(self, dataset: Dataset, measure: str, origin: pd.Timestamp) -> _MeasureFit:
        cells = list(dataset.cells["cell_id"])
        # The hours from the first one of the data to the origin; the rows from the origin on are left out.
        index = pd.date_range(dataset.first_hour, origin, freq="h", inclusive="left")
        observed = _hours_by_cells(dataset.traffic, measure, index, cells)

        # Learn at the scheduled times, then again with the timing offsets, if past events show any.
        # The second round measures the offsets against a baseline that no longer holds the moved responses.
        fit = self._fit_with_offsets(observed, index, cells, {}, measure)
        for _round in range(2 if self.learn_timing else 0):
            timings = self._learn_timings(fit, observed, index)
            if not timings:
                break
            offsets = {event_id: offset for timing in timings.values()
                       for event_id, offset in timing.offsets_hours.items()}
            fit = self._fit_with_offsets(observed, index, cells, offsets, measure)
            fit.timings = timings
        logger.info("measure %s: learned from %d hours and %d past events before %s", measure, len(index),
                    fit.past_event_count, origin.isoformat())
        return fit

    def _fit_with_offsets(self, observed: np.ndarray, index: pd.DatetimeIndex, cells: list[str],
                          offsets: dict[str, float], measure: str) -> _MeasureFit:
        """Fit the baseline and the event profiles, with each past event moved by its timing offset in hours."""
        # Hours inside any event window are kept out of the baseline.
        clean = observed.copy()
        for event in self.past_events_.itertuples(index=False):
            start, end = _moved(event, offsets)
            window = event_window(start, end, index, hours_before=self.hours_before_event,
                                  hours_after=self.hours_after_event)
            clean[window.rows] = np.nan

        all_rows = np.arange(len(index))
        in_sample = seasonal_profile(clean, index, all_rows, max_weeks=4, halflife_weeks=self.halflife_weeks,
                                     symmetric=True).values
        recent = slice(max(0, len(index) - 4 * 168), len(index))
        level = _positive(np.nanmean(in_sample[recent], axis=0))

        # The baseline's own error, measured as a forecast over the last weeks of history.
        filled = np.where(np.isnan(clean), in_sample, clean)
        growth = weekly_growth(filled, index, len(index), damping=self.trend_damping)
        # The last four weeks that have data, so that a week planned after a gap still has an error sample.
        measured_rows = np.flatnonzero(~np.isnan(observed).all(axis=1))
        data_end = measured_rows[-1] + 1 if measured_rows.size else len(index)
        error_rows = np.arange(max(168, data_end - 4 * 168), data_end) if data_end > 168 else all_rows[:data_end]
        error_estimate = self._baseline(clean, index, error_rows, growth)
        error_actual = clean[error_rows]
        short = np.sum(~np.isnan(error_actual) & ~np.isnan(error_estimate), axis=0) < MIN_ERROR_SAMPLES
        if short.any():
            # Too few event-free hours (a history of a few days around a holiday or an event): the spread of
            # the traffic from one day to the next, events included, stands for the baseline's error.
            error_actual[:, short] = observed[np.ix_(error_rows, short)]
            error_estimate[:, short] = take_rows(observed[:, short], lagged_rows(index, 1)[error_rows])
            logger.info("%d cells have too few event-free hours of %s to measure the baseline's error; their band "
                        "uses the change from the same hour of the day before", int(short.sum()), measure)
        error_quantiles = relative_error_quantiles(error_actual, error_estimate, QUANTILES)
        # Errors are larger at some hours of the day (a ramp, a quiet night): the band widens there.
        error_spread = hour_of_day_spread(error_actual, error_estimate, index.hour.to_numpy()[error_rows])
        # Widened or narrowed so that, measured on some weeks, it covers its share of another.
        scale = band_scale(error_actual, error_estimate, error_spread[index.hour.to_numpy()[error_rows]],
                           (error_rows - error_rows[0]) // 168, QUANTILES)
        logger.debug("measure %s: error band scaled by %.3f (median over cells) after holding out each week",
                     measure, float(np.median(scale)) if scale.size else 1.0)
        error_spread = error_spread * scale[None, :]
        event_free = clean[error_rows]
        record = np.max(np.where(np.isnan(event_free), -np.inf, event_free), axis=0, initial=-np.inf)
        # A cell with no event-free traffic in the sample has no record, so its band is not capped.
        ceiling = np.where(np.isfinite(record) & (record > 0), BAND_CEILING * record, np.inf)
        # How far each cell's last days sit, at each hour of the day, from what the baseline expected of them.
        recent_rows = np.arange(max(0, data_end - self.level_window_hours_), data_end)
        level_shift = hourly_level_shift(clean[recent_rows], self._baseline(clean, index, recent_rows, growth),
                                         index.hour.to_numpy()[recent_rows])

        past_events = self._past_events(index, observed, in_sample, clean, offsets)
        past_events += self._stored_past_events({event.event_id for event, _ in past_events}, cells, measure)
        profiles, groups = self._learn_profiles(past_events)
        return _MeasureFit(cells=cells, index=index, clean=clean, growth=growth, error_quantiles=error_quantiles,
                           profiles=profiles, groups=groups, level=level, in_sample=in_sample,
                           past_event_count=len(past_events), level_shift=level_shift,
                           error_spread=error_spread, band_ceiling=ceiling)

    def _learn_timings(self, fit: _MeasureFit, observed: np.ndarray, index: pd.DatetimeIndex) -> dict:
        """Learn, per venue, how far the response to past events sits from their scheduled times."""
        timings = {}
        calendar = self.past_events_.set_index("event_id")
        for key, profile in fit.profiles.items():
            if key[0] != "venue" or key[2] != "*" or not key[1] or not profile.affected.any():
                continue
            main_cell = int(_network_columns(profile, len(fit.cells))[_strongest_cell(profile)])
            series, positions, starts, event_ids = [], [], [], []
            for past, _ in fit.groups[key]:
                if past.event_id not in calendar.index:
                    continue
                event = calendar.loc[past.event_id]
                window = event_window(event["start"], event["end"], index,
                                      hours_before=self.hours_before_event + int(MAX_OFFSET_HOURS),
                                      hours_after=self.hours_after_event + int(MAX_OFFSET_HOURS))
                excess = self._excess(window.rows, observed, fit.in_sample, np.array([main_cell]))[:, 0]
                series.append(excess)
                positions.append(window.positions)
                starts.append(event["start"])
                event_ids.append(past.event_id)
            timing = estimate_timing(series, positions, starts, event_ids)
            if timing is not None:
                timings[key[1]] = timing
        return timings

    def _baseline(self, clean: np.ndarray, index: pd.DatetimeIndex, rows: np.ndarray, growth: np.ndarray) -> np.ndarray:
        profile = seasonal_profile(clean, index, rows, max_weeks=self.history_weeks,
                                   halflife_weeks=self.halflife_weeks, drift=self.clock_drift_)
        return profile.values * np.exp(growth[None, :] * profile.mean_lag_weeks)

    def _level_correction(self, fit: _MeasureFit, hours: pd.DatetimeIndex) -> np.ndarray:
        """Return the factor, per hour and cell, that carries the recent level shift into the forecast.

        Each hour takes the shift measured at its local hour of the day. The
        shift applies in full at the origin and fades exponentially with the
        lead time. So a lasting change is followed at once, while a few odd
        days before the origin weigh little on the end of the week.
        """
        if fit.level_shift is None or not self.level_window_hours_ or not self.level_decay_days_:
            return np.ones((len(hours), len(fit.cells)))
        lead_days = np.maximum((hours - self.origin_) / pd.Timedelta(days=1), 0.0)
        weight = np.exp(-np.asarray(lead_days, dtype=float) / self.level_decay_days_)
        return np.exp(weight[:, None] * fit.level_shift[hours.hour.to_numpy()])

    def _past_events(self, index: pd.DatetimeIndex, observed: np.ndarray, in_sample: np.ndarray,
                     clean: np.ndarray, offsets: dict[str, float]) -> list[tuple[PastEvent, dict[int, PastEvent]]]:
        """Return each past event's excess, with its placebos: the same window moved by whole weeks.

        The excess of an event at a venue spans only the cells within the
        venue's reach (see :meth:`_reach_columns`), so that the work and the
        memory grow with the cells around each venue, not with the network.
        """
        event_free = ~np.isnan(clean) | np.isnan(observed)
        event_free_row = event_free.all(axis=1)
        events = list(self.past_events_.itertuples(index=False))
        # A multi-day event is learned day by day, as it is forecast.
        windows = [occurrence_window(*_moved(event, offsets), index, hours_before=self.hours_before_event,
                                     hours_after=self.hours_after_event) for event in events]
        # Hours where some cell has an excess, so that a window whose excess is all NaN at every cell is skipped
        # whatever cells it spans (the local level is always finite).
        measured_row = (~np.isnan(observed) & ~np.isnan(in_sample)).any(axis=1)
        spans = _WindowSpans.of(self.past_events_, windows)
        past = []
        for number, (event, window) in enumerate(zip(events, windows)):
            start, end = _moved(event, offsets)
            columns = self._reach_columns(event.venue_id or "")
            if len(window.rows) == 0 or start.floor("h") < index[0]:
                continue
            if not measured_row[window.rows].any():
                continue
            excess = self._excess(window.rows, observed, in_sample, columns)
            self._leave_out_shorter_events(excess, columns, number, events, windows, spans)
            if np.isnan(excess).all():
                continue
            attendance = _attendance(event)
            start_hour = _hour_of_day(event.start, index.tz)
            placebos = {}
            for shift in PLACEBO_SHIFTS_WEEKS:
                rows = window.rows + 168 * shift
                if rows.min() < 0 or rows.max() >= len(index) or not event_free_row[rows].all():
                    continue
                if measured_row[rows].any():
                    placebo_excess = self._excess(rows, observed, in_sample, columns)
                    placebos[shift] = PastEvent(event.event_id, event.kind, event.venue_id or "", attendance,
                                                window.positions, placebo_excess, start_hour)
            past.append((PastEvent(event_id=event.event_id, kind=event.kind, venue_id=event.venue_id or "",
                                   attendance=attendance, positions=window.positions, excess=excess,
                                   start_hour=start_hour, duration_hours=_hours(event.end - event.start)),
                         placebos))
        return past

    def _leave_out_shorter_events(self, excess: np.ndarray, columns: np.ndarray | None, number: int, events: list,
                                  windows: list, spans: _WindowSpans) -> None:
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
                within = self._within_reach(other.venue_id)
                if columns is not None:
                    within = within[columns]
                excess[np.ix_(overlap, within)] = np.nan
            else:
                excess[overlap] = np.nan

    def _stored_past_events(self, seen: set[str], cells: list[str], measure: str) -> list:
        """Return reviewed events that the traffic no longer covers, as past events without placebos."""
        if self.stored_events_.empty:
            return []
        rows = self.stored_events_[(self.stored_events_["measure"] == measure)
                                   & ~self.stored_events_["event_id"].isin(seen)]
        events = history_to_past_events(rows, cells, measure, self.dataset_.timezone)
        narrowed = []
        for event in events:
            columns = self._reach_columns(event.venue_id)
            narrowed.append((event if columns is None else _select_cells(event, list(columns)), {}))
        return narrowed

    @staticmethod
    def _excess(rows: np.ndarray, observed: np.ndarray, in_sample: np.ndarray,
                columns: np.ndarray | None = None) -> np.ndarray:
        """Return (traffic - baseline) / local level at ``rows``, for the cell ``columns`` (None: every cell)."""
        centre = rows[len(rows) // 2]
        nearby = slice(max(0, centre - 84), min(len(observed), centre + 84))
        if columns is None or len(columns) == observed.shape[1]:
            local_level = _positive(np.nanmean(in_sample[nearby], axis=0))
            return (observed[rows] - in_sample[rows]) / local_level[None, :]
        local_level = _positive(_nanmean_rows(in_sample[nearby][:, columns]))
        return (observed[np.ix_(rows, columns)] - in_sample[np.ix_(rows, columns)]) / local_level[None, :]

    def _reach_columns(self, venue_id: str) -> np.ndarray | None:
        """Return the columns of the cells within reach of a venue, which its past events are learned on.

        None for an event without a venue, learned on every cell. A venue
        with no cell within reach (or no known location) gets column 0, whose
        learned effect :func:`_limit_to` then removes.
        """
        if not venue_id:
            return None
        reachable = self._within_reach(venue_id)
        return np.flatnonzero(reachable) if reachable.any() else np.array([0])

    def _within_reach(self, venue_id: str) -> np.ndarray:
        """Return, per cell of the dataset, whether its centre lies within ``venue_reach_m`` of the venue.

        The mask is cached per venue, because every past event at the venue
        and every event that overlaps one needs it, and computing it measures
        the distance to every cell of the network.
        """
        if venue_id not in self._within_reach_cache:
            distance = self._distance_to_venue(venue_id, list(self.dataset_.cells["cell_id"]))
            self._within_reach_cache[venue_id] = distance <= self.venue_reach_m
        return self._within_reach_cache[venue_id]

    def _learn_profiles(self, past_events: list[tuple[PastEvent, dict[int, PastEvent]]]) -> tuple[dict, dict]:
        """Learn one profile per group of past events; return the profiles and each venue group's members."""
        profiles: dict[tuple, EffectProfile] = {}
        groups: dict[tuple, list] = {}
        for event, placebos in past_events:
            groups.setdefault(("venue", event.venue_id, event.kind), []).append((event, placebos))
            groups.setdefault(("venue", event.venue_id, "*"), []).append((event, placebos))
        for key, members in groups.items():
            if key[1]:
                # Only cells within reach of the venue can be affected, so only they are learned: the cost
                # then grows with the cells around each venue, not with the whole network.
                columns = self._reach_columns(key[1])
                profile = _limit_to(_learn_on(members, columns, spanned=columns), self._within_reach(key[1])[columns])
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
            # The venue's profile spans the same cells as the event's excess: the venue's reach.
            main_cell = [_strongest_cell(venue_profile)]
            single = _select_cells(event, main_cell)
            single_placebos = {shift: _select_cells(placebo, main_cell) for shift, placebo in placebos.items()}
            travelling.setdefault(("kind", event.kind), []).append((single, single_placebos))
            travelling.setdefault(("all",), []).append((single, single_placebos))
        for key, members in travelling.items():
            profiles[key] = learn_profile(*_split(members))
        return profiles, groups

    # -- forecasting -----------------------------------------------------------------------------

    def _predict_measure(self, fit: _MeasureFit, measure: str, start: pd.Timestamp, end: pd.Timestamp,
                         events: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
        hours = pd.date_range(start, end, freq="h", inclusive="left")
        index = pd.date_range(fit.index[0], end, freq="h", inclusive="left")
        clean = np.full((len(index), len(fit.cells)), np.nan)
        clean[: len(fit.index)] = fit.clean
        target_rows = index.get_indexer(hours)

        baseline = _positive_or_zero(self._baseline(clean, index, target_rows, fit.growth)
                                     * self._level_correction(fit, hours))
        level = _positive(np.nanmean(baseline, axis=0))
        uplift = np.zeros_like(baseline)
        variance = np.zeros_like(baseline)
        event_ids = np.full(baseline.shape, "", dtype=object)
        summaries, notes = [], []
        if self.clock_drift_ is not None:
            notes.append(translatable("the time of day of the traffic drifts by {drift:+.1f} min a day in the data; the "
                                      "baseline reads each past week at the drifted time",
                                      drift=self.clock_drift_.hours_per_day * 60))

        for event in events.itertuples(index=False):
            route = self._route_of(event.event_id)
            if route is not None:
                summaries.append(self._predict_route_event(event, route, fit, measure, hours, baseline, level,
                                                           (uplift, variance, event_ids), notes))
                continue
            profile, pooling, cell_weights = self._profile_for(event, fit, measure, notes)
            start, end = event.start, event.end
            timing = fit.timings.get(event.venue_id or "")
            if timing is not None and cell_weights is None:
                shift = pd.Timedelta(hours=timing.offset_for(event.start))
                start, end = start + shift, end + shift
                notes.append(translatable("{event}: past events at this venue moved {measure} away from their "
                                          "scheduled times; this one is placed {timing}", event=event.event_id,
                                          measure=measure, timing=timing.describe(event.start)))
            window = occurrence_window(start, end, hours, hours_before=self.hours_before_event,
                                       hours_after=self.hours_after_event)
            if profile is None or len(window.rows) == 0:
                summaries.append(_summary_row(event.event_id, measure, pooling, (), 0))
                continue
            # The uplift is computed on the event's cells only (those of a venue's reach, or of a borrowed
            # footprint) and added at their columns, so an event costs the same in any size of network.
            travelling = cell_weights is not None
            columns = np.flatnonzero(cell_weights > 0) if travelling else _network_columns(profile, len(fit.cells))
            mean, sd = uplift_for_event(profile, window.positions, np.ones(1) if travelling else level[columns],
                                        float(event.expected_attendance), float(_get(event, "attendance_low")),
                                        float(_get(event, "attendance_high")))
            if travelling:
                mean = mean * (cell_weights[columns] * level[columns])[None, :]
                sd = sd * (cell_weights[columns] * level[columns])[None, :]
                affected = np.ones(len(columns), dtype=bool)
            else:
                affected = profile.affected
                if not affected.any():
                    notes.append(translatable("{event}: past events at this venue moved {measure} no more than "
                                              "event-free weeks did at any cell within {reach:,.0f} m, so no uplift "
                                              "is forecast for it", event=event.event_id, measure=measure,
                                              reach=self.venue_reach_m))
            block = np.ix_(window.rows, columns)
            uplift[block] += mean
            variance[block] += sd**2

            scoring = metric_window_mask(pd.DataFrame(occurrences(start, end), columns=["start", "end"]), hours)
            marked = np.ix_(np.flatnonzero(scoring), columns[affected])
            event_ids[marked] = np.where(event_ids[marked] == "", event.event_id,
                                         event_ids[marked] + ";" + event.event_id)
            summaries.append(self._summarise(event.event_id, measure, pooling, profile, fit, hours, window,
                                             baseline, mean, sd, affected, columns))

        spread = Z_90 * np.sqrt(variance)
        p50 = baseline + uplift
        spread_by_hour = fit.error_spread[hours.hour.to_numpy()] if fit.error_spread is not None else 1.0
        low_error = baseline * np.abs(fit.error_quantiles[0])[None, :] * spread_by_hour
        high_error = baseline * np.abs(fit.error_quantiles[2])[None, :] * spread_by_hour
        if fit.band_ceiling is not None:
            # A level shift in the error sample can make the measured errors huge. So the baseline's own p90
            # stays below the ceiling, and only an event's spread widens the band beyond it.
            high_error = np.minimum(high_error, np.maximum(fit.band_ceiling[None, :] - baseline, 0.0))
        p10 = np.maximum(p50 - np.sqrt(low_error**2 + spread**2), 0.0)
        p90 = p50 + np.sqrt(high_error**2 + spread**2)

        table = pd.DataFrame({
            "cell_id": np.tile(np.asarray(fit.cells, dtype=object), len(hours)),
            "measure": measure,
            "timestamp": np.repeat(hours, len(fit.cells)),
            "baseline": baseline.ravel(),
            "p10": p10.ravel(),
            "p50": p50.ravel(),
            "p90": p90.ravel(),
            "event_id": event_ids.ravel(),
        })
        table = table.sort_values(["cell_id", "timestamp"], kind="stable").reset_index(drop=True)
        summary = pd.DataFrame(summaries, columns=EVENT_COLUMNS)
        return table, summary, notes

    def _profile_for(self, event, fit: _MeasureFit, measure: str,
                     notes: list[str]) -> tuple[EffectProfile | None, str, np.ndarray | None]:
        venue = event.venue_id or ""
        for key, pooling in ((("venue", venue, event.kind), "venue"), (("venue", venue, "*"), "venue")):
            profile = fit.profiles.get(key)
            if profile is not None:
                if not profile.tested:
                    notes.append(translatable("{event}: no event-free week lies around the past events it is "
                                              "learned from, so its effect on {measure} could not be told apart "
                                              "from noise and is used as measured", event=event.event_id,
                                              measure=measure))
                if profile.affected.any():
                    profile = self._weighted_by_similarity(profile, fit.groups[key], event)
                return profile, pooling, None
        if not venue:
            notes.append(translatable("{event}: no past {kind} event in the history of {measure}; no uplift is "
                                      "forecast for it", event=event.event_id, kind=event.kind, measure=measure))
            return None, "none", None
        footprint = venue_footprint(self.dataset_, venue, event.kind, fit.cells, self.footprint_radius_m)
        for key, pooling, text in ((("kind", event.kind), "kind",
                                    translatable("past {kind} events at other venues", kind=event.kind)),
                                   (("all",), "all", translatable("all past events at other venues"))):
            profile = fit.profiles.get(key)
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

    def _distance_to_venue(self, venue_id: str, cells: list[str]) -> np.ndarray:
        """Return each cell centre's distance to the venue in metres, NaN when the venue is unknown.

        The reach of learned effects is measured to cell centres, polygons or not, so that adding
        ``cells.geojson`` leaves the per-cell profiles learned from history unchanged.
        """
        return distance_to_venue_m(self.dataset_, venue_id, cells, to_polygons=False)

    def _route_of(self, event_id: str) -> pd.DataFrame | None:
        routes = getattr(self, "routes_", None)
        if routes is None or routes.empty:
            return None
        route = routes[routes["event_id"] == event_id]
        return route if len(route) >= 2 else None

    def _predict_route_event(self, event, route: pd.DataFrame, fit: _MeasureFit, measure: str,
                             hours: pd.DatetimeIndex, baseline: np.ndarray, level: np.ndarray,
                             totals: tuple[np.ndarray, np.ndarray, np.ndarray], notes: list[str]) -> dict:
        """Add a moving event's uplift to ``totals`` (uplift, variance, event ids) and return its summary row.

        The size of the effect is the peak of the travelling profile of the
        event's kind (else of all kinds): the relative uplift at a cell with
        the whole crowd of the reference attendance present. The route sets
        where and when it applies.
        """
        uplift, variance, event_ids = totals
        for key, pooling in ((("kind", event.kind), "kind"), (("all",), "all")):
            profile = fit.profiles.get(key)
            if profile is not None and profile.affected.any():
                break
        else:
            notes.append(translatable("{event}: no past event moved {measure} measurably at any venue; no uplift "
                                      "is forecast along its route", event=event.event_id, measure=measure))
            return _summary_row(event.event_id, measure, "none", (), 0)

        settings = self.dataset_.settings
        attendance = float(_get(event, "expected_attendance"))
        low, high = float(_get(event, "attendance_low")), float(_get(event, "attendance_high"))
        crowd = _attendance(event)
        schedule = route_schedule(route, event.start, settings.routes)
        march_m = march_length_m(crowd, settings.routes)
        radius = settings.footprint.radius_for(event.kind) if self.footprint_radius_m is None else self.footprint_radius_m
        cells = self.dataset_.cells.set_index("cell_id").reindex(fit.cells).reset_index()
        weights = route_cell_weights(schedule, event.start, event.end, march_m, hours, cells,
                                     self.dataset_.cell_shapes, radius)

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
                                  "from head to tail (assumed {density:g} people per m2 over {width_m:g} m), each "
                                  "cell within {radius:,.0f} m loaded while it passes, with the peak effect of "
                                  "{pooling} past events", event=event.event_id, length_km=schedule.length_m / 1000,
                                  march_m=march_m, density=settings.routes.density_people_per_m2,
                                  width_m=settings.routes.street_width_m, radius=radius, pooling=pooling))
        if len(rows) == 0:
            return _summary_row(event.event_id, measure, pooling, profile.event_ids, 0)
        window = EventWindow(rows=rows, positions=np.zeros(len(rows)))
        return self._summarise(event.event_id, measure, pooling, profile, fit, hours, window, baseline,
                               cell_mean, cell_sd, weights.max(axis=0) > 0, np.arange(len(fit.cells)))

    def _weighted_by_similarity(self, profile: EffectProfile, members: list, event) -> EffectProfile:
        """Re-learn a group's profile for one event, weighting the past events that resemble it.

        Past events weigh by how close their duration and their start time of
        day are to the new event's (Gaussian kernels). Events of the same
        duration line up at their end as well as at their start, and a crowd
        leaving at 16:00 meets other background traffic than one leaving at
        23:00. The cells stay those the whole group showed as affected.
        """
        past_hours = np.array([past.start_hour for past, _ in members])
        past_durations = np.array([past.duration_hours for past, _ in members])
        time_of_day = np.abs(past_hours - _hour_of_day(event.start, self.dataset_.timezone))
        time_of_day = np.minimum(time_of_day, 24 - time_of_day)
        duration = past_durations - _hours(event.end - event.start)
        weights = _kernel(time_of_day, self.time_of_day_bandwidth_hours) * _kernel(duration, self.duration_bandwidth_hours)
        columns = _network_columns(profile, len(profile.affected))[profile.affected]
        weighted = _learn_on(members, columns, spanned=self._reach_columns(event.venue_id or ""), weights=weights)
        return replace(weighted, affected=np.ones(len(columns), dtype=bool))

    def _summarise(self, event_id, measure, pooling, profile, fit, hours, window, baseline, mean, sd, affected,
                   columns):
        # The event's peak: at the cell with the largest total uplift, the hour with the largest uplift.
        # ``mean``, ``sd`` and ``affected`` span the network columns ``columns``.
        base = baseline[np.ix_(window.rows, columns)]
        if not affected.any() or not (base > 0).any():
            return _summary_row(event_id, measure, pooling, profile.event_ids, 0)
        column = int(np.argmax(np.where(affected, np.abs(mean).sum(axis=0), -np.inf)))
        row = int(np.argmax(np.where(base[:, column] > 0, np.abs(mean[:, column]), -np.inf)))
        peak = base[:, column] + mean[:, column]
        ratio = peak[row] / base[row, column]
        low = (peak[row] - Z_90 * sd[row, column]) / base[row, column]
        high = (peak[row] + Z_90 * sd[row, column]) / base[row, column]
        return {
            "event_id": event_id, "measure": measure, "peak_uplift_ratio": float(ratio),
            "uplift_ratio_p10": float(max(low, 0.0)), "uplift_ratio_p90": float(high),
            "peak_time": hours[window.rows[row]], "peak_cell_id": fit.cells[columns[column]],
            "cells_affected": int(affected.sum()), "pooling": pooling,
            "learned_from": _describe_sources(profile.event_ids),
        }


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


@dataclass
class _MeasureFit:
    cells: list[str]
    index: pd.DatetimeIndex
    clean: np.ndarray
    growth: np.ndarray
    error_quantiles: np.ndarray
    profiles: dict
    groups: dict
    level: np.ndarray
    in_sample: np.ndarray
    past_event_count: int
    timings: dict = field(default_factory=dict)
    level_shift: np.ndarray | None = None
    error_spread: np.ndarray | None = None
    # Per cell, the highest value the baseline's p90 may reach: BAND_CEILING times the highest event-free hour of
    # the error sample.
    band_ceiling: np.ndarray | None = None


def _hours_by_cells(traffic: pd.DataFrame, measure: str, index: pd.DatetimeIndex, cells: list[str]) -> np.ndarray:
    """Return one measure of long hourly traffic as an (hours of ``index``, ``cells``) matrix, NaN where absent.

    ``traffic`` has one row per cell and hour, as loaded. The rows are
    placed by a numpy scatter, each distinct cell and hour looked up once,
    because a pivot of millions of rows sorts them all.
    """
    cell_codes, cell_ids = pd.factorize(traffic["cell_id"])
    time_codes, times = pd.factorize(traffic["timestamp"])
    columns = pd.Index(cells).get_indexer(cell_ids)[cell_codes]
    rows = index.get_indexer(times)[time_codes]
    # Filled as (cells, hours), the row order of traffic sorted by cell, then transposed in one copy.
    transposed = np.full((len(cells), len(index)), np.nan)
    placed = (rows >= 0) & (columns >= 0)
    transposed[columns[placed], rows[placed]] = traffic[measure].to_numpy(dtype=float)[placed]
    return np.ascontiguousarray(transposed.T)


def _limit_to(profile: EffectProfile, reachable: np.ndarray) -> EffectProfile:
    """Return the profile with every cell outside ``reachable`` (one flag per cell of the profile) set to no effect."""
    affected = profile.affected & reachable
    return replace(profile, affected=affected, beta=np.where(affected[None, :], profile.beta, 0.0),
                   sigma=np.where(affected[None, :], profile.sigma, 0.0))


def _learn_on(members: list[tuple[PastEvent, dict[int, PastEvent]]], columns: np.ndarray,
              spanned: np.ndarray | None = None, **options) -> EffectProfile:
    """Learn a profile from the given network columns only; the profile spans just them.

    ``spanned`` lists the network columns that the members' excess spans
    (None: every column of the network); ``columns`` must be among them.
    Every quantity of ``learn_profile`` is computed cell by cell, so the
    learned columns are the same as from the whole matrix.
    """
    positions = columns if spanned is None else np.searchsorted(spanned, columns)
    if spanned is not None and len(positions) == len(spanned):
        selected = members
    else:
        selected = [(_select_cells(event, list(positions)),
                     {shift: _select_cells(placebo, list(positions)) for shift, placebo in placebos.items()})
                    for event, placebos in members]
    return replace(learn_profile(*_split(selected), **options), columns=np.asarray(columns))


def _network_columns(profile: EffectProfile, width: int) -> np.ndarray:
    """Return the network column of each of the profile's cells, the first ``width`` when it spans them all."""
    return np.arange(width) if profile.columns is None else profile.columns


def _strongest_cell(profile: EffectProfile) -> int:
    """Return the position, among the profile's cells, of the affected cell with the largest total effect."""
    return int(np.argmax(np.where(profile.affected, np.abs(profile.beta).sum(axis=0), -np.inf)))


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
    events = [event for event, _ in members]
    placebos: dict[int, list[PastEvent]] = {}
    for _, event_placebos in members:
        for shift, placebo in event_placebos.items():
            placebos.setdefault(shift, []).append(placebo)
    return events, placebos


def _select_cells(event: PastEvent, cells: list[int]) -> PastEvent:
    return PastEvent(event.event_id, event.kind, event.venue_id, event.attendance, event.positions,
                     event.excess[:, cells])


def _summary_row(event_id: str, measure: str, pooling: str, sources: tuple[str, ...], cells: int) -> dict:
    return {"event_id": event_id, "measure": measure, "peak_uplift_ratio": 1.0, "uplift_ratio_p10": 1.0,
            "uplift_ratio_p90": 1.0, "peak_time": pd.NaT, "peak_cell_id": "", "cells_affected": cells,
            "pooling": pooling, "learned_from": _describe_sources(sources)}


def _describe_sources(event_ids: tuple[str, ...]) -> str:
    if not event_ids:
        return ""
    if len(event_ids) <= 4:
        return ", ".join(event_ids)
    return f"{len(event_ids)} events: {event_ids[0]} ... {event_ids[-1]}"


def _get(row, name: str) -> float:
    value = getattr(row, name, np.nan)
    return np.nan if value is None or pd.isna(value) else value


def _attendance(event) -> float:
    """Return an event's expected attendance, else the middle of its low-high range, else NaN."""
    attendance = float(_get(event, "expected_attendance"))
    low, high = float(_get(event, "attendance_low")), float(_get(event, "attendance_high"))
    if np.isnan(attendance) and not (np.isnan(low) or np.isnan(high)):
        attendance = 0.5 * (low + high)
    return attendance


def _moved(event, offsets: dict[str, float]) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Return an event's start and end moved by its timing offset, if it has one."""
    shift = pd.Timedelta(hours=offsets.get(event.event_id, 0.0))
    return event.start + shift, event.end + shift


def _kernel(distance: np.ndarray, bandwidth: float) -> np.ndarray:
    """Return Gaussian kernel weights, all ones when ``bandwidth`` is 0."""
    if not bandwidth:
        return np.ones_like(distance, dtype=float)
    return np.exp(-0.5 * (distance / bandwidth) ** 2)


def _hours(duration: pd.Timedelta) -> float:
    return duration / pd.Timedelta(hours=1)


def _hour_of_day(timestamp: pd.Timestamp, timezone) -> float:
    local = timestamp.tz_convert(timezone)
    return local.hour + local.minute / 60.0


def _positive(values: np.ndarray) -> np.ndarray:
    """Replace non-positive or missing levels by 1 so that dividing by them is safe."""
    return np.where(np.isfinite(values) & (values > 0), values, 1.0)


def _positive_or_zero(values: np.ndarray) -> np.ndarray:
    return np.where(np.isfinite(values), np.maximum(values, 0.0), 0.0)
