"""Staffing per shift on synthetic forecasts with known Erlang C results."""

from __future__ import annotations

import math
from datetime import date, time
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from planner.decisions.erlang import (
    agents_for_service_level,
    agents_for_service_level_fractional,
    service_level,
)
from planner.decisions.staffing import INTERVAL_COLUMNS, STAFFING_COLUMNS, plan_staffing
from planner.inputs.errors import InputError
from planner.inputs.settings import DEFAULT_SHIFTS, RoleSettings, Shift, StaffingSettings
from planner.inputs.weeks import Week

from .conftest import make_settings

PARIS = ZoneInfo("Europe/Paris")
# Both roles are staffed for the expected arrivals (service_level_probability None), so that the
# published Erlang C values apply; the probability sizing has its own tests below.
CARE = RoleSettings(name="customer_care_agent", driver_measure="calls", base_arrivals_per_hour=200.0,
                    arrivals_per_overloaded_cell_hour=0.0, handle_time_seconds=180.0,
                    service_level_target=0.8, answer_time_seconds=20.0, max_occupancy=0.85,
                    service_level_probability=None)
SUPERVISION = RoleSettings(name="supervision_engineer", driver_measure="data_mb", base_arrivals_per_hour=2.0,
                           arrivals_per_overloaded_cell_hour=1.5, handle_time_seconds=1200.0,
                           service_level_target=0.9, answer_time_seconds=300.0, max_occupancy=0.85,
                           service_level_probability=None)


def settings_for(*roles: RoleSettings, shifts=DEFAULT_SHIFTS, shrinkage: float = 0.3):
    return make_settings(staffing=StaffingSettings(interval_minutes=30, shrinkage=shrinkage, shifts=shifts,
                                                   roles=roles))


def flat_forecast(week: Week, per_cell: dict[str, float], cells: int = 4) -> pd.DataFrame:
    """Synthetic forecast: every cell carries the same p50 in every hour of the week."""
    hours = week.hours()
    frames = []
    for measure, value in per_cell.items():
        for cell in range(cells):
            frames.append(pd.DataFrame({"cell_id": f"c{cell}", "measure": measure, "timestamp": hours,
                                        "p50": value, "p90": value * 1.2, "event_id": ""}))
    return pd.concat(frames, ignore_index=True)


def no_actions() -> pd.DataFrame:
    return pd.DataFrame({"cell_id": pd.Series(dtype=str), "measure": pd.Series(dtype=str),
                         "timestamp": pd.Series(dtype="datetime64[ns, Europe/Paris]"),
                         "action": pd.Series(dtype=str)})


def test_plan_staffing_published_example_load():
    # Synthetic: network calls equal the reference, so arrivals are 200 per hour (100 per 30 min),
    # and with AHT 180 s the load is the published 10 Erlangs.
    week = Week(2024, 10, PARIS)
    forecast = flat_forecast(week, {"calls": 25.0})

    staffing, intervals = plan_staffing(forecast, no_actions(), settings_for(CARE), {"calls": 100.0}, week)

    fractional = agents_for_service_level_fractional(10.0, 180, 20, 0.8, 0.85)
    assert agents_for_service_level(10.0, 180, 20, 0.8, 0.85) == 14
    assert intervals["offered_load_erlangs"].unique().tolist() == [10.0]
    assert intervals["agents_fractional"].unique().tolist() == [fractional]
    assert 13 < fractional < 14
    # Shrinkage is applied once, on the fractional agents, and rounding happens last:
    # 13.05 / 0.7 = 18.64 gives 19 staff, where rounding agents to 14 first would give 20.
    assert staffing["required_staff_fractional"].tolist() == pytest.approx([fractional / 0.7] * len(staffing))
    assert staffing["required_staff"].unique().tolist() == [math.ceil(fractional / 0.7)]
    assert staffing["required_staff"].unique().tolist() == [19]
    assert intervals["staff_on_shift"].unique().tolist() == [19]


def test_plan_staffing_whole_agents_round_exactly():
    # Synthetic: with a 0.5 target and a long answer time only the 85 % occupancy cap binds,
    # so 8.5 Erlangs need exactly 10 agents and 10 / 0.5 = 20 staff at 50 % shrinkage.
    role = RoleSettings(name="customer_care_agent", driver_measure="calls", base_arrivals_per_hour=3.06,
                        arrivals_per_overloaded_cell_hour=0.0, handle_time_seconds=10000.0,
                        service_level_target=0.5, answer_time_seconds=100000.0, max_occupancy=0.85,
                        service_level_probability=None)
    week = Week(2024, 10, PARIS)

    staffing, _ = plan_staffing(flat_forecast(week, {"calls": 25.0}), no_actions(),
                                settings_for(role, shrinkage=0.5), {"calls": 100.0}, week)

    assert staffing["required_staff"].unique().tolist() == [20]


def test_plan_staffing_columns_match_contract():
    week = Week(2024, 10, PARIS)
    forecast = flat_forecast(week, {"calls": 25.0, "data_mb": 500.0})

    staffing, intervals = plan_staffing(forecast, no_actions(), settings_for(CARE, SUPERVISION),
                                        {"calls": 100.0, "data_mb": 2000.0}, week)

    assert tuple(staffing.columns) == STAFFING_COLUMNS
    assert tuple(intervals.columns) == INTERVAL_COLUMNS
    assert len(intervals) == 2 * 336
    # 7 days of 3 shifts plus the Sunday-night shift that started before the week, per role.
    assert len(staffing) == 2 * 22
    assert staffing["role"].iloc[:2].tolist() == ["customer_care_agent", "supervision_engineer"]


def test_plan_staffing_monday_night_from_sunday():
    week = Week(2024, 10, PARIS)

    staffing, intervals = plan_staffing(flat_forecast(week, {"calls": 25.0}), no_actions(), settings_for(CARE),
                                        {"calls": 100.0}, week)

    early = intervals[intervals["interval_start"] < pd.Timestamp("2024-03-04 06:00", tz=PARIS)]
    assert len(early) == 12
    assert early["shift"].unique().tolist() == ["night"]
    assert early["date"].unique().tolist() == [date(2024, 3, 3)]
    assert staffing[["date", "shift"]].iloc[0].tolist() == [date(2024, 3, 3), "night"]
    assert staffing[["date", "shift"]].iloc[-1].tolist() == [date(2024, 3, 10), "night"]
    late = intervals[intervals["interval_start"] >= pd.Timestamp("2024-03-10 22:00", tz=PARIS)]
    assert len(late) == 4


def test_plan_staffing_partial_shifts_flagged():
    week = Week(2024, 10, PARIS)

    staffing, _ = plan_staffing(flat_forecast(week, {"calls": 25.0}), no_actions(), settings_for(CARE),
                                {"calls": 100.0}, week)

    first, last = staffing.iloc[0], staffing.iloc[-1]
    # The Sunday-night shift before the week keeps Monday 00:00-06:00, and the last one Sunday 22:00-24:00.
    assert bool(first["partial_shift"])
    assert first["hours_covered"] == 6.0
    assert bool(last["partial_shift"])
    assert last["hours_covered"] == 2.0
    middle = staffing.iloc[1:-1]
    assert not middle["partial_shift"].any()
    assert (middle["hours_covered"] == 8.0).all()


def test_plan_staffing_dst_night_not_partial():
    week = Week(2024, 13, PARIS)

    staffing, _ = plan_staffing(flat_forecast(week, {"calls": 25.0}), no_actions(), settings_for(CARE),
                                {"calls": 100.0}, week)

    night = staffing[(staffing["date"] == date(2024, 3, 30)) & (staffing["shift"] == "night")].iloc[0]
    assert night["hours_covered"] == 7.0
    assert not bool(night["partial_shift"])
    assert staffing["partial_shift"].sum() == 2


def test_plan_staffing_spring_dst_week():
    week = Week(2024, 13, PARIS)

    _, intervals = plan_staffing(flat_forecast(week, {"calls": 25.0}), no_actions(), settings_for(CARE),
                                 {"calls": 100.0}, week)

    local_dates = intervals["interval_start"].dt.date
    assert len(intervals) == 334
    assert (local_dates == date(2024, 3, 31)).sum() == 46
    # The night shift of 30 March runs 22:00 to 06:00 local time, 7 hours that night.
    assert ((intervals["date"] == date(2024, 3, 30)) & (intervals["shift"] == "night")).sum() == 14


def test_plan_staffing_autumn_dst_week():
    week = Week(2024, 43, PARIS)

    _, intervals = plan_staffing(flat_forecast(week, {"calls": 25.0}), no_actions(), settings_for(CARE),
                                 {"calls": 100.0}, week)

    assert len(intervals) == 338
    assert (intervals["interval_start"].dt.date == date(2024, 10, 27)).sum() == 50
    assert ((intervals["date"] == date(2024, 10, 26)) & (intervals["shift"] == "night")).sum() == 18


def test_plan_staffing_overloaded_cells_add_arrivals():
    week = Week(2024, 10, PARIS)
    hour = pd.Timestamp("2024-03-06 20:00", tz=PARIS)
    capacity = pd.DataFrame({"cell_id": ["c1", "c1", "c2", "c3"], "measure": ["calls", "data_mb", "data_mb", "calls"],
                             "timestamp": [hour, hour, hour, hour], "action": ["add", "add", "add", "watch"]})

    _, intervals = plan_staffing(flat_forecast(week, {"data_mb": 500.0}), capacity, settings_for(SUPERVISION),
                                 {"data_mb": 4000.0}, week)

    in_hour = intervals[(intervals["interval_start"] >= hour)
                        & (intervals["interval_start"] < hour + pd.Timedelta(hours=1))]
    others = intervals.drop(in_hour.index)
    # Synthetic: network 4 × 500 = 2000 MB against a 4000 MB reference halves the base rate,
    # and the hour has two distinct cells with an add action.
    assert in_hour["arrivals_per_hour"].tolist() == [2.0 * 0.5 + 1.5 * 2] * 2
    assert others["arrivals_per_hour"].unique().tolist() == [1.0]


def test_plan_staffing_meets_target_every_interval():
    week = Week(2024, 10, PARIS)
    hours = week.hours()
    forecast = flat_forecast(week, {"calls": 25.0})
    # Synthetic daily profile: traffic peaks in the evening and falls at night.
    profile = 1.0 + 0.8 * np.sin(2 * np.pi * (hours.hour.to_numpy() - 12) / 24)
    forecast["p50"] = forecast["p50"] * np.tile(profile, 4)

    staffing, intervals = plan_staffing(forecast, no_actions(), settings_for(CARE), {"calls": 100.0}, week)

    assert (intervals["service_level"] >= 0.8 - 1e-12).all()
    assert (staffing["expected_service_level"] >= 0.8 - 1e-12).all()
    peak = intervals.loc[intervals.groupby(["date", "shift"])["agents_fractional"].idxmax()]
    assert (peak["staff_on_shift"] * 0.7 >= peak["agents_fractional"] - 1e-9).all()
    # Whole agents available, rounded down, are a pessimistic check of the same roster.
    whole_agents = np.floor(peak["staff_on_shift"].to_numpy() * 0.7)
    levels = service_level(whole_agents.astype(int), peak["offered_load_erlangs"].to_numpy(), 180, 20)
    assert (levels > 0.7).all()


@pytest.mark.parametrize("factor", [1.1, 1.5, 3.0, 10.0])
def test_plan_staffing_monotone_in_traffic(factor):
    week = Week(2024, 10, PARIS)
    forecast = flat_forecast(week, {"calls": 25.0})
    forecast["p50"] = forecast["p50"] * (1 + 0.5 * np.cos(np.arange(len(forecast)) / 7))
    busier = forecast.assign(p50=forecast["p50"] * factor)

    base, _ = plan_staffing(forecast, no_actions(), settings_for(CARE), {"calls": 100.0}, week)
    more, _ = plan_staffing(busier, no_actions(), settings_for(CARE), {"calls": 100.0}, week)

    assert (more["required_staff"].to_numpy() >= base["required_staff"].to_numpy()).all()
    assert more["required_staff"].sum() > base["required_staff"].sum()


def test_plan_staffing_shift_gap_raises():
    shifts = (Shift("morning", time(6, 0), 8.0), Shift("afternoon", time(14, 0), 8.0),
              Shift("late", time(21, 0), 8.0))
    week = Week(2024, 10, PARIS)

    with pytest.raises(InputError) as error:
        plan_staffing(flat_forecast(week, {"calls": 25.0}), no_actions(), settings_for(CARE, shifts=shifts),
                      {"calls": 100.0}, week)

    messages = [problem.message for problem in error.value.problems]
    assert len(messages) == 2
    assert "no shift covers 05:00-06:00" in messages[0]
    assert "2 shifts cover 21:00-22:00" in messages[1]


def test_plan_staffing_missing_hour_raises():
    week = Week(2024, 10, PARIS)
    forecast = flat_forecast(week, {"calls": 25.0})
    forecast = forecast[forecast["timestamp"] != pd.Timestamp("2024-03-05 10:00", tz=PARIS)]

    with pytest.raises(ValueError, match="1 hours of the week"):
        plan_staffing(forecast, no_actions(), settings_for(CARE), {"calls": 100.0}, week)


def test_plan_staffing_missing_reference_raises():
    week = Week(2024, 10, PARIS)

    with pytest.raises(ValueError, match="reference traffic for measure 'calls'"):
        plan_staffing(flat_forecast(week, {"calls": 25.0}), no_actions(), settings_for(CARE), {"calls": 0.0}, week)


def test_plan_staffing_no_roles_empty():
    week = Week(2024, 10, PARIS)

    staffing, intervals = plan_staffing(flat_forecast(week, {"calls": 25.0}), no_actions(), settings_for(),
                                        {"calls": 100.0}, week)

    assert staffing.empty
    assert tuple(staffing.columns) == STAFFING_COLUMNS
    assert tuple(intervals.columns) == INTERVAL_COLUMNS
