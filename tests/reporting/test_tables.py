"""Tests of the CSV tables: rounding, ISO times across daylight saving, counts."""

from __future__ import annotations

import dataclasses
import io

import pandas as pd
import pytest

from planner.inputs.weeks import Week
from planner.reporting.tables import (
    capacity_table,
    events_table,
    forecast_table,
    round_for_csv,
    staffing_table,
    write_csv,
)


@pytest.mark.parametrize(("value", "expected"), [
    (1234.56789, 1234.5679),
    (0.000123456, 0.0001235),
    (0.1 + 0.2, 0.3),
    (987654321.123456, 987654321.1235),
    (-2.00004, -2.0),
    (0.0, 0.0),
])
def test_round_for_csv_keeps_digits(value, expected):
    assert round_for_csv(value) == expected


def test_round_for_csv_nan_unchanged():
    assert pd.isna(round_for_csv(float("nan")))
    assert round_for_csv(float("inf")) == float("inf")


def test_forecast_table_autumn_dst_week(make_plan):
    plan = make_plan(week=Week(2013, 43, make_plan().dataset.timezone))
    table = forecast_table(plan)
    cell = table[table["cell_id"] == "C1"]

    # Sunday 27 October 2013 has 25 hours in Europe/Paris.
    assert len(cell) == 169
    assert cell["timestamp"].iloc[0] == "2013-10-21T00:00:00+02:00"
    assert cell["timestamp"].iloc[-1] == "2013-10-27T23:00:00+01:00"
    repeated = cell[cell["timestamp"].str.startswith("2013-10-27T02:00:00")]["timestamp"].tolist()
    assert repeated == ["2013-10-27T02:00:00+02:00", "2013-10-27T02:00:00+01:00"]


def test_forecast_table_converts_to_local_time(make_plan):
    plan = make_plan()
    utc_forecast = plan.forecast.assign(timestamp=plan.forecast["timestamp"].dt.tz_convert("UTC"))
    table = forecast_table(dataclasses.replace(plan, forecast=utc_forecast))

    assert table["timestamp"].iloc[0] == "2013-08-12T00:00:00+02:00"


def test_forecast_table_rejects_naive_times(make_plan):
    plan = make_plan()
    naive = plan.forecast.assign(timestamp=plan.forecast["timestamp"].dt.tz_localize(None))

    with pytest.raises(ValueError, match="invalid forecast.timestamp: the times have no time zone"):
        forecast_table(dataclasses.replace(plan, forecast=naive))


def test_forecast_table_missing_column_named(make_plan):
    plan = make_plan()

    with pytest.raises(ValueError, match="missing column actual in the plan's forecast table"):
        forecast_table(dataclasses.replace(plan, forecast=plan.forecast.drop(columns="actual")))


def test_counts_written_as_integers(make_plan):
    plan = make_plan()
    events = _csv_text(events_table(plan))
    capacity = _csv_text(capacity_table(plan))

    assert ",75000,70000,80000," in events
    assert ",add,1,0.8,temporary carrier" in capacity
    assert ",watch,0,0.8,temporary carrier" in capacity


def test_missing_values_written_empty(make_plan):
    plan = make_plan()
    events = plan.events.assign(attendance_low=float("nan"), attendance_high=float("nan"))
    text = _csv_text(events_table(dataclasses.replace(plan, events=events)))

    assert ",75000,,,traffic," in text


def test_staffing_table_fractional_beside_integer(make_plan):
    table = staffing_table(make_plan())
    first = table.iloc[0]

    assert first["date"] == "2013-08-12"
    assert first["required_staff"] == 4
    # synthetic: (1.5 + 1.25) / 0.7 = 3.928571...
    assert first["required_staff_fractional"] == 3.9286


def test_write_csv_utf8_unix_newlines(make_plan, tmp_path):
    plan = make_plan(event_name="Fête de la musique")
    path = tmp_path / "events.csv"
    write_csv(events_table(plan), path)

    text = path.read_bytes().decode("utf-8")
    assert "Fête de la musique" in text
    assert "\r" not in text


def _csv_text(frame: pd.DataFrame) -> str:
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue()


def test_events_table_extra_time_column(make_plan):
    plan = make_plan()
    peak_time = pd.Series([pd.Timestamp("2013-08-14 21:00", tz="Europe/Paris")], dtype=object)
    events = plan.events.assign(peak_time=peak_time, peak_cell_id="C1")
    table = events_table(dataclasses.replace(plan, events=events))

    assert list(table.columns[-2:]) == ["peak_time", "peak_cell_id"]
    assert table.loc[0, "peak_time"] == "2013-08-14T21:00:00+02:00"
    assert table.loc[0, "peak_cell_id"] == "C1"


def test_staffing_table_dates_as_timestamps(make_plan):
    plan = make_plan()
    staffing = plan.staffing.assign(date=pd.to_datetime(plan.staffing["date"]))
    table = staffing_table(dataclasses.replace(plan, staffing=staffing))

    assert table.loc[0, "date"] == "2013-08-12"
    assert table["date"].iloc[-1] == "2013-08-18"
