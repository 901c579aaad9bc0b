"""Every file of tests/data/bad: one kind of fault each, with the exact error or repair it gets."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from planner.inputs import InputError, load_dataset
from planner.inputs.icalendar_events import read_events_ics
from planner.inputs.settings import load_settings
from planner.inputs.tables import read_cells, read_events, read_traffic, read_venues


@pytest.fixture
def settings(bad_data: Path):
    return load_settings(bad_data / "settings.toml")


def _with_inputs(settings, **inputs):
    return replace(settings, inputs=replace(settings.inputs, **inputs))


def _read(bad_data: Path, settings, file: str):
    path = bad_data / file
    venues = read_venues(bad_data / "venues.csv")[0]
    if file.endswith(".ics"):
        return read_events_ics(path, settings, venues)
    if file.startswith("events"):
        return read_events(path, settings, venues)
    if file.startswith("cells"):
        return read_cells(path, settings)
    if file.startswith("venues"):
        return read_venues(path, settings.inputs)
    return read_traffic(path, settings, known_cells=["cell-a", "cell-b"])


# file, every (line, column, value) reported, words of the first message
REJECTED_FILES = [
    ("traffic_negative.csv", [(4, "calls", "-3")], "negative traffic value"),
    ("traffic_negative.parquet", [(4, "calls", -3.0)], "negative traffic value"),
    ("traffic_duplicate_row.csv", [(5, "timestamp", "2024-03-31 00:10:00")],
     "line 3 has the same cell_id and timestamp, with the same values"),
    ("traffic_autumn_three_times.csv", [(5, "timestamp", "2024-10-27 02:00:00")],
     "line 4 has the same cell_id and timestamp"),
    ("traffic_empty_cell_id.csv", [(3, "cell_id", "")], "empty field"),
    ("traffic_off_grid.csv", [(3, "timestamp", "2024-03-31 00:15:00")], "10-minute grid"),
    ("traffic_invalid_timestamp.csv", [(3, "timestamp", "2024-02-30 00:10:00")], "invalid timestamp"),
    ("traffic_missing_timestamp.csv", [(3, "timestamp", "")], "missing timestamp"),
    ("traffic_mixed_offsets.csv", [(3, "timestamp", "2024-03-31T00:10:00+01:00")],
     "has a UTC offset but 23 others have none"),
    ("traffic_mixed_date_formats.csv", [(4, "timestamp", "31/03/2024 00:20")], "date is not ISO 8601 like line 2"),
    ("traffic_day_month_conflict.csv", [(4, "timestamp", "01/13/2024 00:20")],
     "date is not day first (DD/MM/YYYY) like line 2"),
    ("traffic_infinite.csv", [(6, "calls", "inf")], "invalid number"),
    ("traffic_na_code.csv", [(6, "calls", "NA")], "invalid number"),
    ("traffic_non_numeric.csv", [(5, "calls", "n/a")], "invalid number"),
    ("traffic_bad_grouping.csv", [(3, "calls", "12 34,5")], "decimal comma, file's convention"),
    ("traffic_mixed_decimal_marks.csv", [(4, "calls", "12.5")], "cannot tell the decimal mark"),
    ("traffic_ambiguous_thousands.csv", [(2, "calls", "1,234"), (3, "calls", "2,345")],
     "cannot tell the decimal mark"),
    ("traffic_undecodable.csv", [(3, None, None)], "cannot be decoded as cp1252 (byte 0x81"),
    ("traffic_ragged_line.csv", [(7, None, "cell-a,2024-03-31 00:50:00,15,extra")],
     "the line has 4 fields but the header has 3"),
    ("traffic_repeated_column.csv", [(1, "calls", None)], "appears more than once"),
    ("traffic_empty.csv", [(1, None, None)], "the file is empty"),
    ("traffic_header_only.csv", [(None, None, None)], "header but no data row"),
    ("traffic_missing_column.csv", [(1, "calls", None)], "missing column"),
    ("traffic_missing_column.parquet", [(1, "calls", None)], "missing column"),
    ("traffic_not_parquet.parquet", [(None, None, None)], "not a readable Parquet file"),
    ("traffic_unknown_cell.csv", [(9, "cell_id", "cell-z")], "unknown cell_id"),
    ("traffic_spring_gap.csv", [(13, "timestamp", "2024-03-31 02:10:00")], "does not exist in Europe/Paris"),
    ("events_unknown_kind.csv", [(3, "kind", "parade")], "unknown event kind"),
    ("events_unknown_venue.csv", [(2, "venue_id", "stade-de-france")], "unknown venue_id"),
    ("events_end_before_start.csv", [(2, "end", "2024-03-30 19:00:00")], "ends before"),
    ("events_unknown_time_format.csv", [(3, "start", "06/04/2024 21h00")], "invalid timestamp"),
    ("events_attendance_order.csv", [(2, "expected_attendance", "47000")], "attendance figures out of order"),
    ("events_negative_attendance.csv", [(2, "expected_attendance", "-5")], "attendance cannot be negative"),
    ("events_ics_unknown_tzid.ics", [(4, "DTSTART", "Paris Time"), (4, "DTEND", "Paris Time")],
     "unknown time zone"),
    ("events_ics_no_end.ics", [(4, "DTEND", None)], "missing DTEND and DURATION"),
    ("events_ics_end_before_start.ics", [(4, "DTEND", "20240330T190000")], "ends before or when it starts"),
    ("events_ics_unknown_location.ics", [(4, "LOCATION", "Stade Vélodrome, Marseille")],
     "LOCATION matches no venue"),
    ("events_ics_bad_attendance.ics", [(4, "X-ATTENDANCE", "about 47000")], "invalid attendance"),
    ("events_ics_unknown_kind.ics", [(4, "X-PLANNER-KIND", "parade")], "unknown event kind"),
    ("events_ics_missing_dtstart.ics", [(4, "DTSTART", None)], "missing DTSTART"),
    ("events_ics_not_calendar.ics", [(None, None, None)], "invalid iCalendar file"),
    ("venues_duplicate_id.csv", [(3, "venue_id", "parc-des-princes")], "line 2 has the same value"),
    ("venues_bad_latitude.csv", [(2, "latitude", "148.8414")], "latitude out of range"),
    ("cells_missing_capacity.csv", [(3, "capacity_calls", "")], "missing value"),
    ("cells_bad_threshold.csv", [(3, "utilisation_threshold", "1.5")], "threshold out of range"),
    ("cells_bad_channels.csv", [(3, "channels_calls", "12.5")], "whole number"),
]


@pytest.mark.parametrize(("file", "expected", "words"), REJECTED_FILES, ids=[row[0] for row in REJECTED_FILES])
def test_bad_file_rejected_exactly(bad_data, settings, file, expected, words):
    with pytest.raises(InputError) as caught:
        _read(bad_data, settings, file)
    problems = caught.value.problems

    assert [(problem.row, problem.column, problem.value) for problem in problems] == expected
    assert {problem.file for problem in problems} == {str(bad_data / file)}
    assert words in problems[0].message


def test_bad_files_cover_thirty_kinds(bad_data):
    bad_files = {path.name for path in bad_data.iterdir() if path.name not in
                 ("settings.toml", "traffic.csv", "cells.csv", "venues.csv", "events.csv")}

    assert len(bad_files) >= 30
    tested = {row[0] for row in REJECTED_FILES} | {row[0] for row in REPAIRED_FILES}
    assert bad_files <= tested | {"events_several_problems.csv", "traffic_short_gap.csv", "traffic_long_gap.csv"}


# file, extra [inputs] settings, rows repaired, rows rejected, calls kept (NaN as -1), words of a note
REPAIRED_FILES = [
    ("traffic_negative.csv", {}, 1, 0, 24, "values set to missing because they are negative (calls): 1 (line 4: '-3')"),
    ("traffic_non_numeric.csv", {}, 1, 0, 24,
     "values set to missing because they are not numbers (calls): 1 (line 5: 'n/a')"),
    ("traffic_duplicate_row.csv", {}, 0, 1, 23,
     "same cell_id and timestamp (the first row is kept) (timestamp): 1 (line 5: '2024-03-31 00:10:00')"),
    ("traffic_unknown_cell.csv", {}, 0, 1, 23, "cell_id is empty or not in cells.csv (cell_id): 1 (line 9: 'cell-z')"),
    ("traffic_off_grid.csv", {}, 0, 1, 23, "off the step grid (timestamp): 1 (line 3: '2024-03-31 00:15:00')"),
    ("traffic_invalid_timestamp.csv", {}, 0, 1, 23,
     "missing, invalid or does not exist (timestamp): 1 (line 3: '2024-02-30 00:10:00')"),
    ("traffic_spring_gap.csv", {}, 0, 1, 23,
     "missing, invalid or does not exist (timestamp): 1 (line 13: '2024-03-31 02:10:00')"),
    ("traffic_spring_gap.csv", {"nonexistent_local_time": "shift_forward"}, 1, 0, 24,
     "shifted forward to the instant they mean ([inputs] nonexistent_local_time): 1 (line 13)"),
]


@pytest.mark.parametrize(("file", "inputs", "repaired", "rejected", "kept", "words"), REPAIRED_FILES,
                         ids=[f"{row[0]}-{'-'.join(row[1].values()) or 'repair'}" for row in REPAIRED_FILES])
def test_bad_file_repaired_exactly(bad_data, settings, file, inputs, repaired, rejected, kept, words):
    traffic, quality = _read(bad_data, _with_inputs(settings, on_bad_rows="repair", **inputs), file)

    assert quality.rows_repaired == repaired
    assert quality.rows_rejected == rejected
    assert quality.rows_read == quality.rows_accepted + quality.rows_repaired + quality.rows_rejected
    assert len(traffic) == kept
    assert any(words in note for note in quality.notes), quality.notes


def test_spring_shift_moves_one_hour(bad_data, settings):
    shifting = _with_inputs(settings, nonexistent_local_time="shift_forward")

    traffic, quality = read_traffic(bad_data / "traffic_spring_gap.csv", shifting)

    shifted = traffic[(traffic["cell_id"] == "cell-a")]["timestamp"].iloc[-1]
    assert shifted == pd.Timestamp("2024-03-31T03:10:00+02:00")
    assert quality.rows_repaired == 1


def test_day_first_declared_rejects_month(bad_data, settings):
    month_first = _with_inputs(settings, date_format="month_first")

    with pytest.raises(InputError) as caught:
        read_traffic(bad_data / "traffic_day_month_conflict.csv", month_first)

    assert [problem.row for problem in caught.value.problems] == [2, 3]
    assert "the month is above 12" in caught.value.problems[0].message


@pytest.mark.parametrize(("on_bad_rows", "filled", "missing"), [("reject_file", 0, 6), ("repair", 6, 0)])
def test_short_gap_interpolated_when_repairing(dataset_folder, bad_data, on_bad_rows, filled, missing):
    # Synthetic: cell-a has no rows for 01:00-01:50, so hour 01:00 is a one-hour gap between two hours of 36 calls.
    settings_text = (bad_data / "settings.toml").read_text(encoding="utf-8")
    folder = dataset_folder(traffic=(bad_data / "traffic_short_gap.csv").read_text(encoding="utf-8"),
                            settings=settings_text + f'\n[inputs]\non_bad_rows = "{on_bad_rows}"\n')

    dataset = load_dataset(folder)
    quality = dataset.quality.table("traffic")
    hour = dataset.traffic[(dataset.traffic["cell_id"] == "cell-a")
                           & (dataset.traffic["timestamp"] == pd.Timestamp("2024-01-10 01:00", tz="Europe/Paris"))]

    assert quality.imputed_hours["calls"] == filled // 6
    assert quality.missing_hours["calls"] == missing // 6
    assert any("1 gap of missing hours, 1 cell hours (cell-a 2024-01-10 01:00 (1 h))" in note
               for note in quality.notes), quality.notes
    if on_bad_rows == "repair":
        assert hour["calls"].iloc[0] == pytest.approx(36.0)
    else:
        assert hour["calls"].isna().all()


def test_long_gap_left_missing_when_repairing(dataset_folder, bad_data):
    settings_text = (bad_data / "settings.toml").read_text(encoding="utf-8")
    folder = dataset_folder(traffic=(bad_data / "traffic_long_gap.csv").read_text(encoding="utf-8"),
                            settings=settings_text + '\n[inputs]\non_bad_rows = "repair"\n')

    quality = load_dataset(folder).quality.table("traffic")

    assert quality.missing_hours["calls"] == 5
    assert quality.imputed_hours["calls"] == 0
    assert any("cell-a 2024-01-10 01:00 to 2024-01-10 05:00 (5 h)" in note for note in quality.notes)


def test_unknown_inputs_key_named(dataset_folder, bad_data):
    settings_text = (bad_data / "settings.toml").read_text(encoding="utf-8")
    folder = dataset_folder(settings=settings_text + '\n[inputs]\non_bad_row = "repair"\nseparator = ":"\n')

    with pytest.raises(InputError) as caught:
        load_dataset(folder)

    assert [(problem.column, problem.value) for problem in caught.value.problems] == [
        ("inputs.on_bad_row", "repair"), ("inputs.separator", ":")]
