"""The event forecaster: baseline plus learned event uplift, with quantiles.

``EventForecaster.fit`` learns from a dataset's history strictly before an
origin; ``predict`` forecasts any hours after it, for the events given.
This module fits the baseline, its error band and the timing offsets, and
adds the planned events' uplift to the baseline. Event effects are learned
in ``planner.forecasting.past_events``, and each planned event's profile is
chosen in ``planner.forecasting.planned_events``.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields

import numpy as np
import pandas as pd

from planner.forecasting.baseline import (band_scale, hour_of_day_spread, hourly_level_shift, pooled_error_cells,
                                          relative_error_quantiles, seasonal_profile, weekly_growth)
from planner.forecasting.clock_drift import ClockDrift, feed_clock_drift
from planner.forecasting.history import load_event_history
from planner.forecasting.lags import lagged_rows, take_rows
from planner.forecasting.past_events import (VenueReach, attendance_caps, cap_attendance_at_capacity, event_number,
                                             learn_profiles, network_columns, past_events_with_placebos,
                                             stored_past_events, strongest_cell, window_excess)
from planner.forecasting.past_events import positive_levels as _positive
from planner.forecasting.planned_events import PlannedEvents, empty_summary, summarise_event
from planner.forecasting.timing import MAX_OFFSET_HOURS, estimate_timing
from planner.forecasting.uplift import Z_90, PastEvent, uplift_for_event
from planner.forecasting.windows import (HOUR, EventWindow, event_window, metric_window_mask, occurrence_window,
                                        occurrences, time_of_day_known)
from planner.inputs.dataset import Dataset
from planner.messages import translatable, translatable_plural

logger = logging.getLogger(__name__)

QUANTILES = (0.1, 0.5, 0.9)
MIN_HISTORY_HOURS = 24
"""Fewest hours with traffic before the origin that a forecast is made from."""
MIN_ERROR_SAMPLES = 48
"""Minimum number of a cell's event-free hours that measure the baseline's error; below it, day-to-day change does."""
BAND_CEILING = 1.5
"""Highest event-free hour of the error sample's weeks, times this, caps a cell's p90 outside events; 1.5 leaves
room for months of fast growth while a single odd week cannot push the band to several times the cell's record."""
FORECAST_COLUMNS = ["cell_id", "measure", "timestamp", "baseline", "p10", "p50", "p90", "event_id"]
EVENT_COLUMNS = ["event_id", "measure", "peak_uplift_ratio", "uplift_ratio_p10", "uplift_ratio_p90",
                 "peak_time", "peak_cell_id", "cells_affected", "pooling", "learned_from", "learned_events",
                 "learned_at_venue", "pooled_venues", "attendance_capped_to", "offset_hours"]


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
        ``offset_hours`` is how far the forecast moved the event from its
        calendar times by the venue's learned timing offset (negative:
        earlier; 0 when not moved), so the event's uplift and its marked
        hours lie at ``start + offset_hours`` to ``end + offset_hours``.
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
    clock_drift : ClockDrift, None or "auto", default "auto"
        Drift of the data feed's clock that the baseline follows (see
        ``planner.forecasting.clock_drift``). "auto" estimates it in ``fit``
        from the traffic of all the cells of the dataset when the
        ``[forecast] follow_clock_drift`` setting is on. A ``ClockDrift`` is
        used as given and None turns the correction off, whatever the
        setting. A caller that fits the cells in parts passes the drift of
        the whole dataset, so that every part follows the same clock.
    """

    def __init__(self, *, history_weeks: int = 8, halflife_weeks: float = 2.0, hours_before_event: int = 3,
                 hours_after_event: int = 4, trend_damping: float = 0.5,
                 footprint_radius_m: float | None = None, venue_reach_m: float = 3000.0,
                 time_of_day_bandwidth_hours: float = 3.0, duration_bandwidth_hours: float = 0.5,
                 learn_timing: bool = True, level_window_hours: int | None = None,
                 level_decay_days: float | None = None, clock_drift: ClockDrift | None | str = "auto") -> None:
        if not (clock_drift is None or clock_drift == "auto" or isinstance(clock_drift, ClockDrift)):
            raise ValueError(f"invalid clock_drift {clock_drift!r}: pass a ClockDrift, None for no drift, or "
                             f"'auto' to estimate it from the dataset")
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
        self.clock_drift = clock_drift

    def fit(self, dataset: Dataset, origin: pd.Timestamp) -> EventForecaster:
        """Learn baselines and event effects from the history strictly before ``origin``."""
        with _quiet_empty_cells():
            return self._fit(dataset, origin)

    def _fit(self, dataset: Dataset, origin: pd.Timestamp) -> EventForecaster:
        origin = pd.Timestamp(origin).tz_convert(dataset.timezone)
        # Masks rather than a copy of the history: the long table of a national network has tens of millions of rows.
        traffic = dataset.traffic
        before_origin = (traffic["timestamp"] < origin).to_numpy()
        measured = traffic[list(dataset.settings.measure_names)].notna().any(axis=1).to_numpy()
        measured_hours = np.count_nonzero(before_origin & measured)
        if measured_hours < MIN_HISTORY_HOURS:
            raise ValueError(translatable_plural(
                "only {count} hour of traffic before {origin:%Y-%m-%d %H:%M} in dataset {dataset!r}, and planning "
                "needs at least {minimum}; the data runs from {first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M}: plan "
                "a later week",
                "only {count} hours of traffic before {origin:%Y-%m-%d %H:%M} in dataset {dataset!r}, and planning "
                "needs at least {minimum}; the data runs from {first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M}: plan "
                "a later week", int(measured_hours), origin=origin, dataset=dataset.name, minimum=MIN_HISTORY_HOURS,
                first=dataset.first_hour, last=dataset.last_hour))
        self.dataset_ = dataset
        self.origin_ = origin
        settings = dataset.settings.forecast
        self.level_window_hours_ = (settings.level_window_hours if self.level_window_hours is None
                                    else self.level_window_hours)
        self.level_decay_days_ = settings.level_decay_days if self.level_decay_days is None else self.level_decay_days
        self.past_events_ = dataset.events[dataset.events["start"] < origin].copy()
        self.reach_ = VenueReach(dataset, self.venue_reach_m)
        if isinstance(self.clock_drift, str):
            self.clock_drift_ = (feed_clock_drift(dataset, origin, self.past_events_,
                                                  hours_before=self.hours_before_event,
                                                  hours_after=self.hours_after_event, max_weeks=self.history_weeks)
                                 if settings.follow_clock_drift else None)
        else:
            self.clock_drift_ = self.clock_drift

        # Post-event reviews stored in the dataset folder: actual attendances, and events older than the traffic.
        stored = load_event_history(dataset.path) if dataset.path is not None else None
        self.stored_events_ = pd.DataFrame()
        if stored is not None and not stored.empty:
            stored = stored[pd.to_datetime(stored["start"], utc=True) < origin]
        if stored is not None and not stored.empty:
            attendance = pd.to_numeric(stored["attendance"], errors="coerce").astype(float)
            actual = attendance.groupby(stored["event_id"]).first().dropna()
            known = self.past_events_["event_id"].isin(actual.index)
            self.past_events_.loc[known, "expected_attendance"] = (
                self.past_events_.loc[known, "event_id"].map(actual).astype(float))
            self.stored_events_ = stored
            logger.info("event history of %s: %d reviewed events, %d with their actual attendance", dataset.name,
                        stored["event_id"].nunique(), int(known.sum()))
        self.past_events_, capped = cap_attendance_at_capacity(self.past_events_, dataset.venues)
        for note in capped:
            logger.info("past event %s", note)
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
        with _quiet_empty_cells():
            return self._predict(start, end, events, routes)

    def _predict(self, start: pd.Timestamp, end: pd.Timestamp, events: pd.DataFrame | None,
                 routes: pd.DataFrame | None) -> ForecastResult:
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
        caps = attendance_caps(events, self.dataset_.venues)
        events, capped = cap_attendance_at_capacity(events, self.dataset_.venues)

        self.planned_ = PlannedEvents(self.dataset_, self.dataset_.routes if routes is None else routes, self.reach_,
                                      footprint_radius_m=self.footprint_radius_m,
                                      time_of_day_bandwidth_hours=self.time_of_day_bandwidth_hours,
                                      duration_bandwidth_hours=self.duration_bandwidth_hours)

        tables, summaries, notes = [], [], list(capped)
        for measure, fit in self.measures_.items():
            table, summary, measure_notes = self._predict_measure(fit, measure, start, end, events)
            tables.append(table)
            summaries.append(summary)
            notes.extend(measure_notes)
        events_table = pd.concat(summaries, ignore_index=True) if summaries else pd.DataFrame(columns=EVENT_COLUMNS)
        events_table["attendance_capped_to"] = events_table["event_id"].map(caps).astype(float)
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
            fit = self._fit_with_offsets(observed, index, cells, offsets, measure, previous=fit)
            fit.timings = timings
        logger.info("measure %s: learned from %d hours and %d past events before %s", measure, len(index),
                    fit.past_event_count, origin.isoformat())
        return fit

    def _fit_with_offsets(self, observed: np.ndarray, index: pd.DatetimeIndex, cells: list[str],
                          offsets: dict[str, float], measure: str, previous: _MeasureFit | None = None) -> _MeasureFit:
        """Fit the baseline and the event profiles, with each past event moved by its timing offset in hours.

        With ``previous``, a fit of the same traffic with other offsets, the
        baseline is fitted again only at the cells whose event-free traffic
        the offsets change, because every part of it is fitted cell by cell.
        The exception is the error quantiles of cells with too few error
        samples, pooled over all cells: when any cell needs them, every cell
        is fitted again.
        """
        # Hours inside an event window are kept out of the baseline at the cells the event can reach.
        clean = observed.copy()
        for event in self.past_events_.itertuples(index=False):
            start, end = _moved(event, offsets)
            window = event_window(start, end, index, hours_before=self.hours_before_event,
                                  hours_after=self.hours_after_event)
            columns = self.reach_.blanked_columns(event.venue_id or "")
            if columns is None:
                clean[window.rows] = np.nan
            else:
                clean[np.ix_(window.rows, columns)] = np.nan

        if previous is None or previous.baseline.pooled_errors:
            baseline = self._fit_baseline(observed, clean, index, measure)
        else:
            same = (clean == previous.clean) | (np.isnan(clean) & np.isnan(previous.clean))
            changed = np.flatnonzero(~same.all(axis=0))
            baseline = previous.baseline
            if changed.size:
                part = self._fit_baseline(observed[:, changed], clean[:, changed], index, measure)
                baseline = (self._fit_baseline(observed, clean, index, measure) if part.pooled_errors
                            else baseline.with_cells(changed, part))
            logger.debug("measure %s: timing offsets change the event-free traffic of %d cells, fitted again",
                         measure, changed.size)

        past_events = self._past_events(index, observed, baseline.in_sample, clean, offsets)
        past_events += self._stored_past_events({event.event_id for event, _ in past_events}, cells, measure)
        profiles, groups = self._learn_profiles(past_events)
        return _MeasureFit(cells=cells, index=index, clean=clean, baseline=baseline, profiles=profiles, groups=groups,
                           past_event_count=len(past_events))

    def _fit_baseline(self, observed: np.ndarray, clean: np.ndarray, index: pd.DatetimeIndex,
                      measure: str) -> _Baseline:
        """Fit the baseline of each cell on its event-free traffic ``clean``: level, trend, error band, level shift."""
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
        pooled_errors = bool(pooled_error_cells(error_actual, error_estimate).any())
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
        return _Baseline(in_sample=in_sample, level=level, growth=growth, error_quantiles=error_quantiles,
                         error_spread=error_spread, band_ceiling=ceiling, level_shift=level_shift,
                         pooled_errors=pooled_errors)

    def _learn_timings(self, fit: _MeasureFit, observed: np.ndarray, index: pd.DatetimeIndex) -> dict:
        """Learn, per venue, how far the response to past events sits from their scheduled times."""
        timings = {}
        calendar = self.past_events_.set_index("event_id")
        for key, profile in fit.profiles.items():
            if key[0] != "venue" or key[2] != "*" or not key[1] or not profile.affected.any():
                continue
            main_cell = int(network_columns(profile, len(fit.cells))[strongest_cell(profile)])
            series, positions, starts, event_ids = [], [], [], []
            for past, _ in fit.groups[key]:
                if past.event_id not in calendar.index:
                    continue
                event = calendar.loc[past.event_id]
                window = event_window(event["start"], event["end"], index,
                                      hours_before=self.hours_before_event + int(MAX_OFFSET_HOURS),
                                      hours_after=self.hours_after_event + int(MAX_OFFSET_HOURS))
                excess = window_excess(window.rows, observed, fit.baseline.in_sample, np.array([main_cell]))[:, 0]
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
        if not self.level_window_hours_ or not self.level_decay_days_:
            return np.ones((len(hours), len(fit.cells)))
        lead_days = np.maximum((hours - self.origin_) / pd.Timedelta(days=1), 0.0)
        weight = np.exp(-np.asarray(lead_days, dtype=float) / self.level_decay_days_)
        return np.exp(weight[:, None] * fit.baseline.level_shift[hours.hour.to_numpy()])

    def _past_events(self, index: pd.DatetimeIndex, observed: np.ndarray, in_sample: np.ndarray,
                     clean: np.ndarray, offsets: dict[str, float]) -> list[tuple[PastEvent, dict[int, PastEvent]]]:
        """Return each past event's excess and placebos (see :func:`past_events_with_placebos`)."""
        times = [_moved(event, offsets) for event in self.past_events_.itertuples(index=False)]
        return past_events_with_placebos(self.past_events_, times, index, observed, in_sample, clean, self.reach_,
                                         hours_before=self.hours_before_event, hours_after=self.hours_after_event)

    def _stored_past_events(self, seen: set[str], cells: list[str], measure: str) -> list:
        """Return reviewed events that the traffic no longer covers (see :func:`stored_past_events`)."""
        return stored_past_events(self.stored_events_, seen, cells, measure, self.dataset_.timezone, self.reach_)

    def _learn_profiles(self, past_events: list[tuple[PastEvent, dict[int, PastEvent]]]) -> tuple[dict, dict]:
        """Learn one profile per group of past events (see :func:`learn_profiles`)."""
        return learn_profiles(past_events, self.reach_)

    # -- forecasting -----------------------------------------------------------------------------

    def _predict_measure(self, fit: _MeasureFit, measure: str, start: pd.Timestamp, end: pd.Timestamp,
                         events: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
        hours = pd.date_range(start, end, freq="h", inclusive="left")
        index = pd.date_range(fit.index[0], end, freq="h", inclusive="left")
        clean = np.full((len(index), len(fit.cells)), np.nan)
        clean[: len(fit.index)] = fit.clean
        target_rows = index.get_indexer(hours)

        baseline = _positive_or_zero(self._baseline(clean, index, target_rows, fit.baseline.growth)
                                     * self._level_correction(fit, hours))
        level = _positive(np.nanmean(baseline, axis=0))
        uplift = np.zeros_like(baseline)
        variance = np.zeros_like(baseline)
        event_ids = np.full(baseline.shape, "", dtype=object)
        summaries, notes = [], []
        offsets: dict[str, float] = {}
        if self.clock_drift_ is not None:
            notes.append(translatable("the time of day of the traffic drifts by {drift:+.1f} min a day in the data; the "
                                      "baseline reads each past week at the drifted time",
                                      drift=self.clock_drift_.hours_per_day * 60))

        for event in events.itertuples(index=False):
            route = self.planned_.route_of(event.event_id)
            if route is not None:
                summaries.append(self._predict_route_event(event, route, fit, measure, hours, baseline, level,
                                                           (uplift, variance, event_ids), notes))
                continue
            profile, pooling, cell_weights = self.planned_.profile_for(event, fit.profiles, fit.groups, fit.cells,
                                                                       measure, notes)
            placements = [(event.start, event.end)]
            if profile is not None and not time_of_day_known(event):
                placements = self._usual_placements(event, profile)
                start_times = sorted({start.strftime("%H:%M") for start, _ in placements})
                notes.append(translatable("{event}: no time of day in the calendar; forecast as equally likely to "
                                          "start at the time of each of the {count} past events it is learned "
                                          "from ({times})", event=event.event_id, count=len(placements),
                                          times=", ".join(start_times)))
            timing = fit.timings.get(event.venue_id or "")
            if timing is not None and cell_weights is None:
                moved = self._moved_by_timing(event, placements, timing, measure, notes)
                offsets[event.event_id] = (moved[0][0] - placements[0][0]) / HOUR
                placements = moved
            windows = [occurrence_window(start, end, hours, hours_before=self.hours_before_event,
                                         hours_after=self.hours_after_event) for start, end in placements]
            window = _joined(windows)
            if profile is None or len(window.rows) == 0:
                summaries.append(empty_summary(event.event_id, measure, pooling, None, 0))
                continue
            # The uplift is computed on the event's cells only (those of a venue's reach, or of a borrowed
            # footprint) and added at their columns, so an event costs the same in any size of network.
            travelling = cell_weights is not None
            columns = np.flatnonzero(cell_weights > 0) if travelling else network_columns(profile, len(fit.cells))
            # Over several equally likely placements, the uplift's mean and variance are those of their mixture.
            mean, second_moment = np.zeros((len(window.rows), len(columns))), np.zeros((len(window.rows), len(columns)))
            for placed in windows:
                placed_mean, placed_sd = uplift_for_event(
                    profile, placed.positions, np.ones(1) if travelling else level[columns],
                    float(event.expected_attendance), float(event_number(event, "attendance_low")),
                    float(event_number(event, "attendance_high")))
                rows = np.searchsorted(window.rows, placed.rows)
                mean[rows] += placed_mean / len(windows)
                second_moment[rows] += (placed_sd**2 + placed_mean**2) / len(windows)
            sd = np.sqrt(np.maximum(second_moment - mean**2, 0.0))
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

            scoring = metric_window_mask(pd.DataFrame([span for start, end in placements
                                                       for span in occurrences(start, end)],
                                                      columns=["start", "end"]), hours)
            marked = np.ix_(np.flatnonzero(scoring), columns[affected])
            event_ids[marked] = np.where(event_ids[marked] == "", event.event_id,
                                         event_ids[marked] + ";" + event.event_id)
            summaries.append(self._summarise(event.event_id, measure, pooling, profile, fit, hours, window,
                                             baseline, mean, sd, affected, columns, venue_id=event.venue_id or ""))

        spread = Z_90 * np.sqrt(variance)
        # Traffic cannot be negative: a past event that lowered a cell's traffic, scaled to a much larger
        # crowd, would otherwise forecast less than nothing there.
        p50 = np.maximum(baseline + uplift, 0.0)
        spread_by_hour = fit.baseline.error_spread[hours.hour.to_numpy()]
        low_error = baseline * np.abs(fit.baseline.error_quantiles[0])[None, :] * spread_by_hour
        high_error = baseline * np.abs(fit.baseline.error_quantiles[2])[None, :] * spread_by_hour
        # A level shift in the error sample can make the measured errors huge. So the baseline's own p90
        # stays below the ceiling, and only an event's spread widens the band beyond it.
        high_error = np.minimum(high_error, np.maximum(fit.baseline.band_ceiling[None, :] - baseline, 0.0))
        p10 = np.maximum(p50 - np.sqrt(low_error**2 + spread**2), 0.0)
        p90 = p50 + np.sqrt(high_error**2 + spread**2)
        # A cell without any traffic before the origin has nothing to forecast from, so it gets no numbers.
        unknown = np.isnan(fit.clean).all(axis=0)
        if unknown.any():
            baseline, p10, p50, p90 = (np.where(unknown[None, :], np.nan, values) for values in (baseline, p10, p50, p90))
            notes.append(translatable_plural("{count} cell has no {measure} traffic before the week, so it gets no "
                                             "forecast: {cells}", "{count} cells have no {measure} traffic before the "
                                             "week, so they get no forecast: {cells}", int(unknown.sum()),
                                             measure=measure,
                                             cells=[fit.cells[column] for column in np.flatnonzero(unknown)]))

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
        summary["offset_hours"] = summary["event_id"].map(offsets).fillna(0.0).astype(float)
        return table, summary, notes

    def _moved_by_timing(self, event, placements: list[tuple[pd.Timestamp, pd.Timestamp]], timing,
                         measure: str, notes: list[str]) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
        """Return the placements moved by the venue's timing offset, and note how far they moved.

        An event written with a date only has no scheduled time. Its
        placements are the usual start times of past events, so the offset is
        read at their mean start, not at the midnight of its date, and the
        note does not speak of a schedule.
        """
        if time_of_day_known(event):
            placed_at = event.start
            notes.append(translatable("{event}: past events at this venue moved {measure} away from their "
                                      "scheduled times; this one is placed {timing}", event=event.event_id,
                                      measure=measure, timing=timing.describe(placed_at)))
        else:
            starts = [start for start, _ in placements]
            placed_at = starts[0] + sum((start - starts[0] for start in starts), pd.Timedelta(0)) / len(starts)
            notes.append(translatable("{event}: past events at this venue moved {measure} away from their "
                                      "scheduled times, so the usual start times this event is placed at are "
                                      "moved {timing}", event=event.event_id, measure=measure,
                                      timing=timing.describe(placed_at, scheduled=False)))
        shift = pd.Timedelta(hours=timing.offset_for(placed_at))
        return [(start + shift, end + shift) for start, end in placements]

    def _usual_placements(self, event, profile) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
        """Return an event of unknown time of day placed at each start time and duration of the profile's events.

        The event's dates are kept: each placement starts on its first day at
        a past event's local start time and lasts as long as that event did
        (on each day, for an event of several days).
        """
        calendar = self.past_events_.set_index("event_id")
        first_day, last_day = event.start.tz_localize(None), (event.end - pd.Timedelta(days=1)).tz_localize(None)
        placements = []
        for event_id in profile.event_ids:
            if event_id not in calendar.index:
                continue
            past = calendar.loc[event_id]
            local_start = past["start"].tz_localize(None)
            time_of_day = local_start - local_start.normalize()
            duration = past["end"] - past["start"]
            start = (first_day + time_of_day).tz_localize(event.start.tz, ambiguous=True, nonexistent="shift_forward")
            end = (last_day + time_of_day).tz_localize(event.start.tz, ambiguous=True,
                                                       nonexistent="shift_forward") + duration
            placements.append((start, end))
        return placements or [(event.start, event.end)]

    def _predict_route_event(self, event, route: pd.DataFrame, fit: _MeasureFit, measure: str,
                             hours: pd.DatetimeIndex, baseline: np.ndarray, level: np.ndarray,
                             totals: tuple[np.ndarray, np.ndarray, np.ndarray], notes: list[str]) -> dict:
        """Add a moving event's uplift to ``totals`` and return its summary row (:meth:`PlannedEvents.route_uplift`)."""
        def summarise(pooling, profile, window, mean, sd, affected, columns):
            return self._summarise(event.event_id, measure, pooling, profile, fit, hours, window, baseline, mean, sd,
                                   affected, columns, venue_id=event.venue_id or "")

        return self.planned_.route_uplift(event, route, fit.profiles, fit.groups, fit.cells, measure, hours, level,
                                          totals, notes, summarise)

    def _summarise(self, event_id, measure, pooling, profile, fit, hours, window, baseline, mean, sd, affected,
                   columns, venue_id=""):
        # A method, not a call of summarise_event in place, so that a subclass can narrow the cells summarised
        # (see planner.engine.partition).
        return summarise_event(event_id, measure, pooling, profile, fit.cells, hours, window, baseline, mean, sd,
                               affected, columns, venue_id)


@dataclass
class _Baseline:
    """The baseline fitted cell by cell: each array has the cells on its last axis."""

    in_sample: np.ndarray
    level: np.ndarray
    growth: np.ndarray
    error_quantiles: np.ndarray
    error_spread: np.ndarray
    # Per cell, the highest value the baseline's p90 may reach: BAND_CEILING times the highest event-free hour of
    # the error sample.
    band_ceiling: np.ndarray
    level_shift: np.ndarray
    # Whether some cell took the error quantiles pooled over all cells, so that no cell can be fitted alone.
    pooled_errors: bool

    def with_cells(self, columns: np.ndarray, part: _Baseline) -> _Baseline:
        """Return a copy whose cells at ``columns`` take the values of ``part``, fitted on those cells alone."""
        arrays = {}
        for item in fields(self):
            if item.name != "pooled_errors":
                arrays[item.name] = getattr(self, item.name).copy()
                arrays[item.name][..., columns] = getattr(part, item.name)
        return _Baseline(**arrays, pooled_errors=self.pooled_errors)


@dataclass
class _MeasureFit:
    """One measure's fit: the baseline, the event profiles and the timing offsets."""

    cells: list[str]
    index: pd.DatetimeIndex
    clean: np.ndarray
    baseline: _Baseline
    profiles: dict
    groups: dict
    past_event_count: int
    timings: dict = field(default_factory=dict)


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


def _moved(event, offsets: dict[str, float]) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Return an event's start and end moved by its timing offset, if it has one."""
    shift = pd.Timedelta(hours=offsets.get(event.event_id, 0.0))
    return event.start + shift, event.end + shift


@contextmanager
def _quiet_empty_cells() -> Iterator[None]:
    """Silence numpy's warnings on the all-NaN column of a cell without traffic, which gets a note instead."""
    with warnings.catch_warnings():
        for message in ("Mean of empty slice", "All-NaN slice encountered", "Degrees of freedom <= 0"):
            warnings.filterwarnings("ignore", message=message, category=RuntimeWarning)
        yield


def _positive_or_zero(values: np.ndarray) -> np.ndarray:
    return np.where(np.isfinite(values), np.maximum(values, 0.0), 0.0)


def _joined(windows: list[EventWindow]) -> EventWindow:
    """Return the union of several placements' windows, with the positions of the first that covers each row."""
    if len(windows) == 1:
        return windows[0]
    rows = np.concatenate([window.rows for window in windows])
    positions = np.concatenate([window.positions for window in windows])
    rows, first = np.unique(rows, return_index=True)
    return EventWindow(rows=rows, positions=positions[first])
