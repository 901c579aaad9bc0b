"""Readers of the four CSV tables: bad files are rejected with file, line, column and value."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from planner.inputs.errors import InputError, Problem
from planner.inputs.loading import load_dataset
from planner.inputs.settings import load_settings
from planner.inputs.tables import read_cells, read_events, read_scenario, read_traffic, read_venues
from planner.inputs.weeks import resolve_week
from planner.reporting.i18n import render_message
from tests.conftest import BUNDLED_DATA


@pytest.fixture
def settings(bad_data: Path):
    return load_settings(bad_data / "settings.toml")


@pytest.fixture
def venues(bad_data: Path) -> pd.DataFrame:
    return read_venues(bad_data / "venues.csv")[0]


def _problems(call) -> list[Problem]:
    with pytest.raises(InputError) as caught:
        call()
    return caught.value.problems


def _read(bad_data: Path, settings, venues, file: str):
    path = bad_data / file
    if file.startswith("events"):
        return lambda: read_events(path, settings, venues)
    if file.startswith("cells"):
        return lambda: read_cells(path, settings)
    return lambda: read_traffic(path, settings, known_cells=["cell-a", "cell-b"])


# file, line, column, value, words of the message
BAD_FILES = [
    ("events_unknown_kind.csv", 3, "kind", "parade", "unknown event kind"),
    ("events_end_before_start.csv", 2, "end", "2024-03-30 19:00:00", "ends before"),
    ("traffic_non_numeric.csv", 5, "calls", "n/a", "invalid number"),
    ("traffic_unknown_cell.csv", 9, "cell_id", "cell-z", "unknown cell_id"),
    ("traffic_missing_column.csv", 1, "calls", None, "missing column"),
    ("cells_bad_threshold.csv", 3, "utilisation_threshold", "1.5", "threshold out of range"),
    ("traffic_spring_gap.csv", 13, "timestamp", "2024-03-31 02:10:00", "does not exist"),
]


@pytest.mark.parametrize(("file", "line", "column", "value", "words"), BAD_FILES)
def test_bad_file_names_line_column_value(bad_data, settings, venues, file, line, column, value, words):
    problems = _problems(_read(bad_data, settings, venues, file))

    assert len(problems) == 1
    problem = problems[0]
    assert problem.file == str(bad_data / file)
    assert problem.row == line
    assert problem.column == column
    assert problem.value == value
    assert words in problem.message


@pytest.mark.parametrize(("file", "line", "column", "value", "words"), BAD_FILES)
def test_bad_file_message_text_complete(bad_data, settings, venues, file, line, column, value, words):
    with pytest.raises(InputError) as caught:
        _read(bad_data, settings, venues, file)()

    text = str(caught.value)
    assert file in text
    assert f"line {line}" in text
    assert f"column {column!r}" in text
    if value is not None:
        assert repr(value) in text


def test_missing_column_lists_found_columns(bad_data, settings):
    problem = _problems(lambda: read_traffic(bad_data / "traffic_missing_column.csv", settings))[0]

    assert "cell_id, timestamp" in problem.message
    assert "settings.toml declares the measure 'calls'" in problem.message


def test_spring_gap_says_add_offset(bad_data, settings):
    problem = _problems(lambda: read_traffic(bad_data / "traffic_spring_gap.csv", settings))[0]

    assert "add the UTC offset" in problem.message


def test_events_every_problem_listed(bad_data, settings, venues):
    problems = _problems(lambda: read_events(bad_data / "events_several_problems.csv", settings, venues))
    found = {(problem.row, problem.column, problem.value) for problem in problems}

    assert found == {
        (2, "venue_id", "stade-de-france"),
        (3, "event_id", "psg-2024-03-30"),
        (3, "expected_attendance", "many"),
        (4, "expected_attendance", "30000"),
    }
    duplicate = next(problem for problem in problems if problem.column == "event_id")
    assert "line 2 has the same value" in duplicate.message


def test_events_valid_file_parsed(bad_data, settings, venues):
    events, quality = read_events(bad_data / "events.csv", settings, venues)

    assert list(events["event_id"]) == ["psg-2024-03-30"]
    assert events.loc[0, "start"] == pd.Timestamp("2024-03-30 21:00", tz="Europe/Paris")
    assert events.loc[0, "expected_attendance"] == 47000.0
    assert pd.isna(events.loc[0, "attendance_low"])
    assert events.loc[0, "source"] == "calendar"
    assert quality.rows_read == 1
    assert quality.rows_accepted == 1


def test_cells_threshold_filled_from_settings(bad_data, settings):
    cells, quality = read_cells(bad_data / "cells.csv", settings)

    assert list(cells["utilisation_threshold"]) == [0.75, settings.capacity.default_utilisation_threshold]
    assert list(cells["capacity_calls"]) == [600.0, 900.0]
    assert "cells without utilisation_threshold, given the default 0.8 of " \
           "capacity.default_utilisation_threshold: 1 of 2" in quality.notes


def test_venues_range_and_id_checks(tmp_path):
    path = tmp_path / "venues.csv"
    path.write_text("venue_id,name,latitude,longitude,capacity_people\n"
                    "stadium,Stadium,95.0,2.25,0\n"
                    ",Arena,48.0,-190.0,\n", encoding="utf-8")

    problems = _problems(lambda: read_venues(path))

    assert {(problem.row, problem.column) for problem in problems} == {
        (2, "latitude"), (2, "capacity_people"), (3, "venue_id"), (3, "longitude")}


_NEGATIVE_AND_DUPLICATE = ("cell_id,timestamp,calls\n"
                           "cell-a,2024-01-10T10:00:00+01:00,5\n"
                           "cell-a,2024-01-10T10:10:00+01:00,-2\n"
                           "cell-a,2024-01-10T10:20:00+01:00,7\n"
                           "cell-a,2024-01-10T10:00:00+01:00,9\n"
                           "\n"
                           "cell-a,2024-01-10T10:30:00+01:00,\n")


def test_traffic_negative_and_duplicate_listed(settings, tmp_path):
    # Synthetic: line 3 is negative, line 5 repeats line 2's cell and time, line 6 is blank.
    path = tmp_path / "traffic.csv"
    path.write_text(_NEGATIVE_AND_DUPLICATE, encoding="utf-8")

    problems = _problems(lambda: read_traffic(path, settings))

    assert [(problem.row, problem.column, problem.value) for problem in problems] == [
        (3, "calls", "-2"), (5, "timestamp", "2024-01-10T10:00:00+01:00")]
    assert "negative traffic value" in problems[0].message
    assert "line 2 has the same cell_id and timestamp, with different values" in problems[1].message


def test_traffic_negative_and_duplicate_repaired(settings, tmp_path):
    path = tmp_path / "traffic.csv"
    path.write_text(_NEGATIVE_AND_DUPLICATE, encoding="utf-8")
    repair = replace(settings, inputs=replace(settings.inputs, on_bad_rows="repair"))

    traffic, quality = read_traffic(path, repair)

    assert quality.rows_read == 6
    assert quality.rows_repaired == 1
    assert quality.rows_rejected == 2
    assert quality.rows_accepted == 3
    assert list(traffic["calls"].fillna(-1)) == [5.0, -1.0, 7.0, -1.0]
    assert quality.missing_values == {"calls": 2}
    notes = " | ".join(quality.notes)
    assert "values set to missing because they are negative (calls): 1 (line 3: '-2')" in notes
    assert ("rows rejected because an earlier line has the same cell_id and timestamp (the first row is kept) "
            "(timestamp): 1 (line 5: '2024-01-10T10:00:00+01:00')") in notes
    assert "blank lines rejected: 1 (line 6)" in notes


def test_traffic_mixed_offsets_rejected(settings, tmp_path):
    path = tmp_path / "traffic.csv"
    path.write_text("cell_id,timestamp,calls\n"
                    "cell-a,2024-01-10T10:00:00+01:00,5\n"
                    "cell-a,2024-01-10 10:10:00,6\n"
                    "cell-a,2024-01-10T10:20:00+01:00,7\n", encoding="utf-8")

    problems = _problems(lambda: read_traffic(path, settings))

    assert [(problem.row, problem.value) for problem in problems] == [(3, "2024-01-10 10:10:00")]
    assert "no UTC offset but 2 others have one" in problems[0].message


def test_traffic_off_grid_timestamp_rejected(settings, tmp_path):
    path = tmp_path / "traffic.csv"
    path.write_text("cell_id,timestamp,calls\n"
                    "cell-a,2024-01-10T10:00:00+01:00,5\n"
                    "cell-a,2024-01-10T10:15:00+01:00,6\n", encoding="utf-8")

    problems = _problems(lambda: read_traffic(path, settings))

    assert [(problem.row, problem.column) for problem in problems] == [(3, "timestamp")]
    assert "10-minute grid" in problems[0].message


def test_traffic_offsets_converted_to_zone(settings, tmp_path):
    path = tmp_path / "traffic.csv"
    path.write_text("cell_id,timestamp,calls\n"
                    "cell-a,2024-07-01T08:00:00Z,5\n"
                    "cell-a,2024-07-01T10:10:00+02:00,6\n", encoding="utf-8")

    traffic, _ = read_traffic(path, settings)

    assert str(traffic["timestamp"].dt.tz) == "Europe/Paris"
    assert list(traffic["timestamp"].dt.strftime("%H:%M%z")) == ["10:00+0200", "10:10+0200"]


def test_cells_header_only_rejected(dataset_folder, bad_data):
    header = (bad_data / "cells.csv").read_text(encoding="utf-8").splitlines()[0]
    folder = dataset_folder(cells=header + "\n")

    with pytest.raises(InputError) as raised:
        load_dataset(folder)
    messages = [problem.message for problem in raised.value.problems]
    assert messages == ["the file has a header but no cell; add one row per cell"]


def test_events_ambiguous_thousands_comma_rejected(dataset_folder, bad_data):
    lines = (bad_data / "events.csv").read_text(encoding="utf-8").splitlines()
    header, first = lines[0], lines[1].split(",")
    column = header.split(",").index("expected_attendance")
    first[column] = '"45,000"'
    folder = dataset_folder(events="\n".join([header, ",".join(first), *lines[2:]]) + "\n")

    with pytest.raises(InputError) as raised:
        load_dataset(folder)
    # The file has one event, so the problem is the whole column's, quoting the value.
    problem = raised.value.problems[0]
    assert problem.column == "expected_attendance"
    assert "'45,000'" in problem.message
    assert "[inputs] decimal" in problem.message


def test_traffic_shifted_duplicate_explained(settings, tmp_path):
    # Synthetic: 02:00 on 2023-03-26 does not exist in Europe/Paris; shifted forward it is 03:00, which
    # line 3 has too.
    path = tmp_path / "traffic.csv"
    path.write_text("cell_id,timestamp,calls\n"
                    "c1,2023-03-26 02:00:00,5\n"
                    "c1,2023-03-26 03:00:00,6\n", encoding="utf-8")
    shifting = replace(settings, inputs=replace(settings.inputs, nonexistent_local_time="shift_forward"))

    problems = _problems(lambda: read_traffic(path, shifting))

    assert [(problem.row, problem.column, problem.value) for problem in problems] == [
        (3, "timestamp", "2023-03-26 03:00:00")]
    french = render_message(problems[0].message, "fr")
    assert french.startswith("ligne en double\u202f; la ligne 2 a les mêmes cell_id et timestamp")
    assert french.endswith("La ligne 2 indique «\u00a02023-03-26 02:00:00\u00a0», une heure locale de l’heure sautée au "
                           "printemps que [inputs] nonexistent_local_time = \"shift_forward\" a avancée au même "
                           "instant")


SCENARIO_HEADER = "event_id,name,kind,venue_id,start,end,expected_attendance\n"


@pytest.fixture(scope="module")
def paris():
    return load_dataset(BUNDLED_DATA / "paris-2023")


def test_scenario_event_outside_week_rejected(paris, tmp_path):
    path = tmp_path / "scenario.csv"
    path.write_text(SCENARIO_HEADER
                    + "inside,March,demonstration,republique,2023-03-25 18:00,2023-03-25 22:00,20000\n"
                    + "late,April march,demonstration,republique,2023-04-25 14:00,2023-04-25 19:00,10000\n")
    week = resolve_week("2023-W12", paris)

    problems = _problems(lambda: read_scenario(path, paris.settings, paris.venues, week))

    assert [(problem.row, problem.column, problem.value) for problem in problems] == [(3, "start", "2023-04-25 14:00")]
    message = render_message(problems[0].message, "en")
    assert "outside the planned week 2023-W12" in message
    assert "from Mar 20, 2023 to Mar 26, 2023" in message
    assert "--week 2023-W17" in message


def test_scenario_event_overlapping_week_kept(paris, tmp_path):
    path = tmp_path / "scenario.csv"
    # Starts on the Sunday before the week and ends inside it.
    path.write_text(SCENARIO_HEADER + "night,Night rally,demonstration,republique,2023-03-19 22:00,2023-03-20 02:00,"
                                      "5000\n")
    week = resolve_week("2023-W12", paris)

    events, _ = read_scenario(path, paris.settings, paris.venues, week)

    assert list(events["event_id"]) == ["night"]


def test_scenario_missing_file_message(paris, tmp_path):
    week = resolve_week("2023-W12", paris)

    problems = _problems(lambda: read_scenario(tmp_path / "absent.csv", paris.settings, paris.venues, week))

    assert len(problems) == 1
    assert problems[0].file == str(tmp_path / "absent.csv")
    message = render_message(problems[0].message, "fr")
    assert message.startswith("fichier de scénario introuvable")
    assert "--scenario" in message
    assert "chaque dossier de jeu de données" not in message



@pytest.mark.parametrize(("value", "shown"), [(np.float64(12.5), "12.5"), (np.int64(3), "3"), ("12.5", "'12.5'")],
                         ids=["float64", "int64", "text"])
def test_problem_shows_numpy_value_plainly(value, shown):
    problem = Problem("cells.csv", 4, "channels_installed", value, "not a whole number")

    assert str(problem) == f"cells.csv, line 4, column 'channels_installed' (value {shown}): not a whole number"
