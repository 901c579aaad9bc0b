"""The weekly plan: forecast, capacity actions and staffing for one ISO week."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from planner.inputs.dataset import Dataset
from planner.inputs.weeks import Week


@dataclass(frozen=True)
class WeeklyPlan:
    """Everything the report shows for one dataset and one ISO week.

    Attributes
    ----------
    forecast : DataFrame
        One row per cell, measure and hour of the week: ``cell_id``,
        ``measure``, ``timestamp`` (tz-aware hour start), ``baseline`` (the
        forecast without events), ``p10``, ``p50``, ``p90`` and ``actual``
        (the observed value when the week is in the data, else NaN).
    events : DataFrame
        The week's events, one row per event and measure: ``event_id``,
        ``name``, ``kind``, ``venue_id``, ``venue_name``, ``start``, ``end``,
        ``expected_attendance``, ``attendance_low``, ``attendance_high``,
        ``measure``, ``peak_uplift_ratio`` (peak of p50 over baseline across the
        event's cells and hours), ``uplift_ratio_p10``, ``uplift_ratio_p90``,
        ``cells_affected``, ``pooling`` (``venue``, ``kind``, ``all`` or
        ``none``: which history the uplift was learned from) and
        ``learned_from`` (the past events used, as text).
    capacity : DataFrame
        ``cell_id``, ``measure``, ``event_id`` (empty outside events),
        ``timestamp``, ``forecast_p90``, ``capacity``, ``threshold``,
        ``utilisation_p90``, ``action`` (``ok``, ``watch``, ``add``),
        ``extra_units`` and ``extra_unit_name``.
    staffing : DataFrame
        One row per day, shift and role: ``date``, ``shift``, ``role``,
        ``expected_load`` (peak offered load of the shift, Erlangs),
        ``required_staff_fractional``, ``required_staff``,
        ``service_level_target``, ``expected_service_level`` (the lowest
        interval service level of the shift with that staffing).
    staffing_intervals : DataFrame
        One row per interval and role: ``interval_start``, ``date``,
        ``shift``, ``role``, ``arrivals_per_hour``, ``offered_load_erlangs``,
        ``agents_fractional`` (before shrinkage), ``staff_on_shift``,
        ``service_level``.
    assumptions : dict
        Dotted setting key to the reason the value is assumed.
    notes : list of str
        Choices made for the user, in English, for the log and the report.
    """

    dataset: Dataset
    week: Week
    forecast: pd.DataFrame
    events: pd.DataFrame
    capacity: pd.DataFrame
    staffing: pd.DataFrame
    staffing_intervals: pd.DataFrame
    assumptions: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def has_actuals(self) -> bool:
        return bool(self.forecast["actual"].notna().any())
