"""Role calibration from an arrival log, and staffing with Erlang A."""

from __future__ import annotations

import dataclasses
import math
from zoneinfo import ZoneInfo

import pytest

from planner.decisions import erlang_a
from planner.decisions.calibration import calibrate_from_log, calibrate_role, read_arrival_log
from planner.decisions.staffing import plan_staffing
from planner.inputs.errors import InputError
from planner.inputs.settings import load_settings
from planner.inputs.weeks import Week

from .test_staffing import CARE, flat_forecast, no_actions, settings_for

PARIS = ZoneInfo("Europe/Paris")

# Synthetic: 6 arrivals between 09:00 and 10:59 local time, so 2 hours and 3 arrivals per hour.
# Answered handle times 100, 200, 300 and 400 s give a mean of 250 s. Waits total 20 + 40 + 60 = 120 s
# over two abandonments, so the censored estimate of the mean patience is 60 s.
LOG = """timestamp,handle_time_seconds,wait_seconds,abandoned
2024-03-05T09:00:10+01:00,100,0,0
2024-03-05T09:20:00+01:00,200,20,0
2024-03-05T09:40:00+01:00,,40,1
2024-03-05T10:05:00+01:00,300,0,no
2024-03-05T10:30:00+01:00,,60,true
2024-03-05T10:59:59+01:00,400,0,
"""


def test_calibrate_from_log_exact_estimates(tmp_path):
    path = tmp_path / "calls.csv"
    path.write_text(LOG, encoding="utf-8")

    calibration = calibrate_from_log(path)

    assert calibration.arrivals == 6
    assert calibration.answered == 4
    assert calibration.abandoned == 2
    assert calibration.hours == 2.0
    assert calibration.arrivals_per_hour == 3.0
    assert calibration.handle_time_seconds == 250.0
    assert calibration.patience_seconds == 60.0


def test_calibrate_from_log_without_abandonment_columns(tmp_path):
    path = tmp_path / "calls.csv"
    path.write_text("timestamp,handle_time_seconds\n2024-03-05T09:00:10Z,120\n2024-03-05T09:30:00Z,60\n")

    calibration = calibrate_from_log(path)

    assert calibration.patience_seconds is None
    assert calibration.arrivals_per_hour == 2.0
    assert calibration.handle_time_seconds == 90.0


def test_read_arrival_log_lists_every_problem(tmp_path):
    path = tmp_path / "calls.csv"
    path.write_text("timestamp,handle_time_seconds,abandoned\n"
                    "2024-03-05T09:00:10+01:00,100,0\n"
                    "2024-03-05 09:10:00,100,0\n"
                    "2024-03-05T09:20:00+01:00,-5,0\n"
                    "2024-03-05T09:30:00+01:00,,0\n"
                    "2024-03-05T09:40:00+01:00,80,maybe\n")

    with pytest.raises(InputError) as raised:
        read_arrival_log(path)

    places = [(p.row, p.column, p.value) for p in raised.value.problems]
    assert places == [(3, "timestamp", "2024-03-05 09:10:00"), (4, "handle_time_seconds", "-5"),
                      (5, "handle_time_seconds", ""), (6, "abandoned", "maybe")]
    assert str(path) in str(raised.value)
    assert "UTC offset" in str(raised.value)


def test_read_arrival_log_missing_column(tmp_path):
    path = tmp_path / "calls.csv"
    path.write_text("timestamp,wait_seconds\n2024-03-05T09:00:10Z,3\n")

    with pytest.raises(InputError) as raised:
        read_arrival_log(path)

    assert [(p.row, p.column) for p in raised.value.problems] == [(1, "handle_time_seconds")]


def test_read_arrival_log_missing_file(tmp_path):
    with pytest.raises(InputError, match="arrival log not found"):
        read_arrival_log(tmp_path / "absent.csv")


def test_calibrate_role_uses_dataset_folder(tmp_path):
    (tmp_path / "calls.csv").write_text(LOG, encoding="utf-8")
    settings = dataclasses.replace(settings_for(CARE), path=tmp_path / "settings.toml")
    role = dataclasses.replace(CARE, model="erlang_a", calibration_log="calls.csv")

    calibrated = calibrate_role(role, settings)

    assert calibrated.base_arrivals_per_hour == 3.0
    assert calibrated.handle_time_seconds == 250.0
    assert calibrated.patience_seconds == 60.0
    assert calibrated.service_level_target == CARE.service_level_target


def test_plan_staffing_erlang_a_role():
    # Synthetic: 200 arrivals per hour at 180 s give 10 Erlangs in every interval.
    role = dataclasses.replace(CARE, model="erlang_a", patience_seconds=120.0)
    week = Week(2024, 10, PARIS)

    staffing, intervals = plan_staffing(flat_forecast(week, {"calls": 25.0}), no_actions(),
                                        settings_for(role), {"calls": 100.0}, week)

    fractional = erlang_a.agents_for_service_level_fractional(10.0, 180, 120, 20, 0.8, 0.85)
    assert intervals["agents_fractional"].unique().tolist() == pytest.approx([fractional])
    assert staffing["required_staff"].unique().tolist() == [math.ceil(fractional / 0.7)]
    assert staffing["required_staff_fractional"].iloc[0] == pytest.approx(fractional / 0.7)
    agents_on_shift = math.ceil(fractional / 0.7) * 0.7
    assert intervals["service_level"].iloc[0] == pytest.approx(
        erlang_a.service_level_fractional(agents_on_shift, 10.0, 180, 120, 20))
    assert (intervals["service_level"] >= 0.8).all()


def test_settings_erlang_a_needs_patience(tmp_path, bundled_folder):
    text = (bundled_folder("milan") / "settings.toml").read_text(encoding="utf-8")
    text = text.replace("[staffing.roles.customer_care_agent]",
                        "[staffing.roles.customer_care_agent]\nmodel = \"erlang_a\"")
    path = tmp_path / "settings.toml"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(InputError) as raised:
        load_settings(path)

    assert [p.column for p in raised.value.problems] == ["staffing.roles.customer_care_agent.patience_seconds"]


# Synthetic: two complete weeks from Monday 4 March 2024 00:00 to Monday 18 March 00:00 (UTC).
# Monday 00:00 has 1 then 0 arrivals, Monday 09:00 has 2 then 6, Sunday 23:30 has 0 then 1:
# variances 0.5, 8 and 0.5 over means 0.5, 4 and 0.5, so the dispersion is 9 / 5 = 1.8.
TWO_WEEKS_LOG = "timestamp,handle_time_seconds\n" + "".join(
    f"{stamp},100\n" for stamp in [
        "2024-03-04T00:00:00Z", "2024-03-04T09:01:00Z", "2024-03-04T09:29:00Z",
        *[f"2024-03-11T09:{minute:02d}:00Z" for minute in (0, 5, 10, 15, 20, 25)],
        "2024-03-17T23:59:00Z",
    ])


def test_calibrate_from_log_measures_dispersion(tmp_path):
    path = tmp_path / "calls.csv"
    path.write_text(TWO_WEEKS_LOG, encoding="utf-8")

    calibration = calibrate_from_log(path, "UTC", 30)

    assert calibration.complete_weeks == 2
    assert calibration.arrival_dispersion == pytest.approx(1.8)
    assert calibration.arrivals == 10
    assert calibration.hours == 14 * 24


def test_calibrate_from_log_weeks_in_local_time(tmp_path):
    # In Europe/Paris (UTC+1) the first arrival falls on Monday 01:00 local, after the week's start, and
    # the last on Monday 18 March 00:59, so only the week of 11 March is complete: no dispersion.
    path = tmp_path / "calls.csv"
    path.write_text(TWO_WEEKS_LOG, encoding="utf-8")

    calibration = calibrate_from_log(path, "Europe/Paris", 30)

    assert calibration.complete_weeks == 1
    assert calibration.arrival_dispersion is None


def test_calibrate_from_log_short_log_no_dispersion(tmp_path):
    path = tmp_path / "calls.csv"
    path.write_text(LOG, encoding="utf-8")

    calibration = calibrate_from_log(path)

    assert calibration.complete_weeks == 0
    assert calibration.arrival_dispersion is None


def test_calibrate_role_takes_dispersion_unless_set(tmp_path):
    (tmp_path / "calls.csv").write_text(TWO_WEEKS_LOG, encoding="utf-8")
    settings = dataclasses.replace(settings_for(CARE), path=tmp_path / "settings.toml",
                                   timezone=ZoneInfo("UTC"))
    role = dataclasses.replace(CARE, calibration_log="calls.csv")

    assert role.arrival_dispersion is None
    assert calibrate_role(role, settings).arrival_dispersion == pytest.approx(1.8)
    set_role = dataclasses.replace(role, arrival_dispersion=3.0)
    assert calibrate_role(set_role, settings).arrival_dispersion == 3.0
