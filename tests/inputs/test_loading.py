"""Loading whole dataset folders: the bundled datasets and synthetic folders."""

from __future__ import annotations

import logging
import shutil

import numpy as np
import pandas as pd
import pytest

from planner.inputs import InputError, load_dataset
from planner.inputs.settings import load_settings
from planner.inputs.tables import read_traffic
from planner.reporting.i18n import render_message

EVENT_COLUMNS = ["event_id", "name", "kind", "venue_id", "start", "end", "expected_attendance",
                 "attendance_low", "attendance_high", "source", "time_known"]


@pytest.fixture(scope="module")
def loaded() -> dict:
    """Cache of loaded bundled datasets, so each folder is read once per module."""
    return {}


def _load(bundled_folder, loaded: dict, name: str):
    if name not in loaded:
        loaded[name] = load_dataset(bundled_folder(name))
    return loaded[name]


def _assert_row_accounting(dataset) -> None:
    for table in dataset.quality.tables:
        assert table.rows_read == table.rows_accepted + table.rows_repaired + table.rows_rejected, table.table


def test_dodgers_bundled_facts(bundled_folder, loaded):
    dataset = _load(bundled_folder, loaded, "dodgers")
    traffic = dataset.quality.table("traffic")

    assert traffic.rows_read == 50400
    assert traffic.rows_rejected == 0
    assert traffic.missing_values == {"cars": 2903}
    assert (dataset.events["source"] == "calendar").sum() == 81
    # Each source count covers the 5 minutes before its stamp, so the first interval starts at 23:55 the day before.
    assert dataset.first_hour == pd.Timestamp("2005-04-09 23:00", tz="America/Los_Angeles")
    assert dataset.last_hour == pd.Timestamp("2005-10-01 23:00", tz="America/Los_Angeles")
    assert str(dataset.traffic["timestamp"].dt.tz) == "America/Los_Angeles"
    _assert_row_accounting(dataset)


def test_dodgers_step_sum_matches_source(bundled_folder, shared_data):
    # The counts of the public source file, -1 meaning missing, against the converted traffic.csv.
    source = pd.read_csv(shared_data / "dodgers_loop_sensor" / "Dodgers.data", header=None, names=["time", "cars"])
    dataset_folder = bundled_folder("dodgers")
    steps, _ = read_traffic(dataset_folder / "traffic.csv", load_settings(dataset_folder / "settings.toml"))

    assert steps["cars"].sum() == source.loc[source["cars"] >= 0, "cars"].sum()
    assert steps["cars"].isna().sum() == (source["cars"] == -1).sum()


def test_dodgers_holidays_merged(bundled_folder, loaded):
    dataset = _load(bundled_folder, loaded, "dodgers")
    holidays = dataset.events[dataset.events["source"] == "holidays"]

    assert {"holiday-2005-07-04", "holiday-2005-09-05"} <= set(holidays["event_id"])
    assert (holidays["kind"] == "holiday").all()
    assert (holidays["venue_id"] == "").all()
    assert holidays["start"].max() <= dataset.last_hour + pd.Timedelta(days=60)
    assert dataset.events["start"].is_monotonic_increasing
    assert list(dataset.events.columns) == EVENT_COLUMNS


def test_milan_bundled_facts(bundled_folder, loaded):
    dataset = _load(bundled_folder, loaded, "milan")

    assert dataset.traffic["cell_id"].nunique() == 100
    assert dataset.traffic["timestamp"].nunique() == 672
    assert len(dataset.traffic) == 100 * 672
    assert len(dataset.cells) == 100
    assert dataset.cells["utilisation_threshold"].notna().all()
    _assert_row_accounting(dataset)


def test_milan_total_matches_source(bundled_folder, loaded, shared_data):
    dataset = _load(bundled_folder, loaded, "milan")
    source = pd.read_csv(shared_data / "milan_telecom_100_squares_hourly"
                         / "milan_100_squares_hourly.2013-11-04_to_2013-12-01.csv", index_col=0)

    assert dataset.traffic["internet"].sum() == pytest.approx(source.to_numpy().sum(), rel=1e-9)


def test_san_siro_ten_minute_to_hourly(bundled_folder, loaded, shared_data):
    dataset = _load(bundled_folder, loaded, "san-siro")
    source = pd.read_csv(shared_data / "milan_telecom_san_siro"
                         / "San_Siro_Mobile_Phone_Data.2013-11-01_to_2013-12-01.csv")
    # The 10-minute source summed over its first local hour, 2013-11-01 00:00-00:50.
    first_hour_internet = source["Internet Activity"].iloc[:6].sum()

    assert dataset.quality.table("traffic").rows_read == 4464
    assert len(dataset.traffic) == 744
    assert dataset.traffic["internet"].iloc[0] == pytest.approx(first_hour_internet)
    assert dataset.traffic["internet"].sum() == pytest.approx(source["Internet Activity"].sum())
    _assert_row_accounting(dataset)


def test_load_merges_calendar_and_holidays(dataset_folder):
    folder = dataset_folder(
        settings=_FRENCH_SETTINGS,
        traffic=_hourly_traffic("2024-07-13T00:00:00+02:00", 72),
        events="event_id,name,kind,venue_id,start,end,expected_attendance\n"
               "fete-2024-07-14,Fête nationale,holiday,,2024-07-14 00:00:00,2024-07-15 00:00:00,\n")

    dataset = load_dataset(folder)
    events = dataset.events.set_index("event_id")

    assert events.loc["fete-2024-07-14", "source"] == "calendar"
    assert "holiday-2024-07-14" not in events.index
    assert events.loc["holiday-2024-08-15", "source"] == "holidays"
    notes = " | ".join(dataset.quality.table("events").notes)
    assert "generated public holidays skipped because the calendar already has them: 1 (holiday-2024-07-14)" in notes


def test_load_lists_problems_of_every_file(dataset_folder, bad_data):
    folder = dataset_folder(events=(bad_data / "events_unknown_kind.csv").read_text(encoding="utf-8"),
                            cells=(bad_data / "cells_bad_threshold.csv").read_text(encoding="utf-8"))

    with pytest.raises(InputError) as caught:
        load_dataset(folder)

    files = {problem.file.rsplit("/", 1)[-1] for problem in caught.value.problems}
    assert files == {"events.csv", "cells.csv"}


def test_load_missing_file_named(dataset_folder):
    folder = dataset_folder()
    (folder / "venues.csv").unlink()

    with pytest.raises(InputError) as caught:
        load_dataset(folder)

    assert [problem.file for problem in caught.value.problems] == [str(folder / "venues.csv")]
    assert "file not found" in caught.value.problems[0].message


def test_load_logs_row_accounting(dataset_folder, caplog):
    folder = dataset_folder()

    with caplog.at_level(logging.INFO, logger="planner.inputs.loading"):
        dataset = load_dataset(folder)

    assert f"{folder / 'traffic.csv'}: 24 rows read, 24 accepted, 0 repaired, 0 rejected" in caplog.text
    assert len(dataset.traffic) == 4
    np.testing.assert_allclose(dataset.traffic["calls"], [75.0, 75.0, 75.0, 75.0])


_FRENCH_SETTINGS = """
[dataset]
name = "synthetic-paris"
timezone = "Europe/Paris"
country = "FR"

[traffic]
step_minutes = 60

[measures.calls]
unit = "calls"
kind = "volume"
"""


def _hourly_traffic(first: str, hours: int) -> str:
    """Synthetic hourly rows for cell-a and cell-b."""
    stamps = pd.date_range(first, periods=hours, freq="h")
    lines = ["cell_id,timestamp,calls"]
    for cell in ("cell-a", "cell-b"):
        lines += [f"{cell},{stamp.isoformat()},10" for stamp in stamps]
    return "\n".join(lines) + "\n"


def test_foreign_offsets_noted(bundled_folder, tmp_path):
    # Dodgers timestamps carry -07:00; a settings file that says Europe/Paris gets a note, not silence.
    folder = tmp_path / "dodgers"
    shutil.copytree(bundled_folder("dodgers"), folder)
    settings = folder / "settings.toml"
    settings.write_text(settings.read_text(encoding="utf-8").replace('"America/Los_Angeles"', '"Europe/Paris"'),
                        encoding="utf-8")

    notes = load_dataset(folder).quality.table("traffic").notes
    foreign = [note for note in notes if "does not use at those times" in note]
    assert len(foreign) == 1
    assert "-07:00 where Europe/Paris is at +02:00" in foreign[0]


def test_matching_offsets_not_noted(bundled_folder):
    notes = load_dataset(bundled_folder("dodgers")).quality.table("traffic").notes
    assert not [note for note in notes if "does not use at those times" in note]


def _set_traffic_value(folder, line: int, value: str) -> str:
    """Write ``value`` into the last field of a 1-based line of traffic.csv; return the cell id of that line."""
    traffic = folder / "traffic.csv"
    lines = traffic.read_text(encoding="utf-8").splitlines()
    fields = lines[line - 1].split(",")
    fields[-1] = value
    lines[line - 1] = ",".join(fields)
    traffic.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return fields[0]


def test_implausible_value_rejected(bundled_folder, tmp_path):
    # One 5-minute count of 5 million cars on a ramp assumed to carry 700 cars an hour, and a negative count:
    # both are listed in one error.
    folder = tmp_path / "dodgers"
    shutil.copytree(bundled_folder("dodgers"), folder)
    cell = _set_traffic_value(folder, 5001, "5000000")
    _set_traffic_value(folder, 6001, "-3")

    with pytest.raises(InputError) as caught:
        load_dataset(folder)

    problems = caught.value.problems
    assert [(problem.row, problem.column) for problem in problems] == [(5001, "cars"), (6001, "cars")]
    assert problems[0].value == "5000000"
    french = render_message(problems[0].describe(), "fr")
    assert french.startswith(f"{folder / 'traffic.csv'}, ligne 5001, colonne «\u00a0cars\u00a0» (valeur «\u00a05000000\u00a0»)")
    assert "100 fois la capacité de la cellule" in french
    assert "capacité de la cellule, 700,0 par heure" in french
    assert "(en débit horaire\u00a0: 60\u202f000\u202f000,0)" in french
    assert "cells.csv" in french
    assert cell == "glendale-ramp"


def test_implausible_value_repaired(bundled_folder, tmp_path):
    folder = tmp_path / "dodgers"
    shutil.copytree(bundled_folder("dodgers"), folder)
    settings = folder / "settings.toml"
    settings.write_text(settings.read_text(encoding="utf-8") + "\n[inputs]\non_bad_rows = \"repair\"\n",
                        encoding="utf-8")
    _set_traffic_value(folder, 5001, "5000000")

    dataset = load_dataset(folder)

    traffic = dataset.quality.table("traffic")
    assert traffic.rows_repaired == 1
    assert dataset.traffic["cars"].max() < 700 * 10
    notes = [note for note in traffic.notes if "more than 100 times the cell's capacity" in note]
    assert len(notes) == 1
    assert "5000000" in notes[0]


@pytest.mark.parametrize("value", ["1e300", "inf", "-1e20"])
def test_huge_traffic_value_rejected(bundled_folder, tmp_path, value):
    folder = tmp_path / "dodgers"
    shutil.copytree(bundled_folder("dodgers"), folder)
    _set_traffic_value(folder, 5001, value)

    with pytest.raises(InputError) as caught:
        load_dataset(folder)

    problems = caught.value.problems
    assert [(problem.row, problem.column, problem.value) for problem in problems] == [(5001, "cars", value)]
    french = render_message(problems[0].describe(), "fr")
    assert french.startswith(f"{folder / 'traffic.csv'}, ligne 5001, colonne «\u00a0cars\u00a0» (valeur «\u00a0{value}\u00a0»)")


def test_suspect_value_noted(bundled_folder, tmp_path):
    # Two 5-minute counts of 4,000 cars in one hour on a ramp assumed to carry 700 cars an hour: the hour is
    # suspect (over 10 times the capacity), but neither step's hourly rate reaches 100 times.
    folder = tmp_path / "dodgers"
    shutil.copytree(bundled_folder("dodgers"), folder)
    _set_traffic_value(folder, 5001, "4000")
    _set_traffic_value(folder, 5002, "4000")

    notes = load_dataset(folder).quality.table("traffic").notes

    suspect = [note for note in notes if "above 10 times the cell's capacity" in note]
    assert len(suspect) == 1
    assert suspect[0].startswith("cars: 1 hourly values")
    assert "glendale-ramp" in suspect[0]


def test_bundled_values_plausible(bundled_folder):
    for name in ("dodgers", "milan", "san-siro"):
        notes = load_dataset(bundled_folder(name)).quality.table("traffic").notes
        assert not [note for note in notes if "times the cell's capacity" in note], name


def _set_attendance(folder, event_id: str, value: str) -> int:
    """Write ``value`` as the expected_attendance of an event of events.csv; return the event's 1-based line."""
    events = folder / "events.csv"
    lines = events.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    for number, line in enumerate(lines[1:], start=2):
        fields = line.split(",")
        if fields[0] == event_id:
            fields[header.index("expected_attendance")] = value
            lines[number - 1] = ",".join(fields)
            events.write_text("\n".join(lines) + "\n", encoding="utf-8")
            return number
    raise AssertionError(f"{event_id} not in {events}")


def test_attendance_above_capacity_noted(bundled_folder, tmp_path, caplog):
    # San Siro has a capacity of 80,018 people (venues.csv): 800,000 is suspect, but below 10 times the capacity.
    folder = tmp_path / "san-siro"
    shutil.copytree(bundled_folder("san-siro"), folder)
    _set_attendance(folder, "san-siro-2013-12-01", "800000")

    with caplog.at_level(logging.WARNING, logger="planner.inputs.attendance"):
        dataset = load_dataset(folder)

    notes = [note for note in dataset.quality.table("events").notes if "above the venue's capacity" in note]
    assert len(notes) == 1
    french = render_message(notes[0], "fr")
    assert french.startswith("san-siro-2013-12-01\u00a0: expected_attendance 800\u202f000 dépasse la capacité du lieu, "
                             "80\u202f018 personnes")
    assert "capacity_people dans venues.csv" in french
    assert len(caplog.records) == 1
    attendance = dataset.events.set_index("event_id").loc["san-siro-2013-12-01", "expected_attendance"]
    assert attendance == 800000.0


def test_attendance_far_above_capacity_rejected(bundled_folder, tmp_path):
    folder = tmp_path / "san-siro"
    shutil.copytree(bundled_folder("san-siro"), folder)
    line = _set_attendance(folder, "san-siro-2013-12-01", "4360700000")
    _set_traffic_value(folder, 3001, "-5")

    with pytest.raises(InputError) as caught:
        load_dataset(folder)

    problems = {problem.file.rsplit("/", 1)[-1]: problem for problem in caught.value.problems}
    assert sorted(problems) == ["events.csv", "traffic.csv"]
    event = problems["events.csv"]
    assert (event.row, event.column, event.value) == (line, "expected_attendance", 4360700000)
    french = render_message(event.describe(), "fr")
    assert french.startswith(f"{folder / 'events.csv'}, ligne {line}, colonne «\u00a0expected_attendance\u00a0» "
                             "(valeur «\u00a04360700000\u00a0»)\u00a0: affluence supérieure à 10 fois la capacité du lieu, "
                             "80\u202f018 personnes (capacity_people dans venues.csv)")


def test_attendance_too_large_without_capacity(bundled_folder, tmp_path):
    folder = tmp_path / "san-siro"
    shutil.copytree(bundled_folder("san-siro"), folder)
    venues = folder / "venues.csv"
    venues.write_text(venues.read_text(encoding="utf-8").replace(",80018", ","), encoding="utf-8")
    line = _set_attendance(folder, "san-siro-2013-12-01", "4360700000")

    with pytest.raises(InputError) as caught:
        load_dataset(folder)

    [problem] = caught.value.problems
    assert (problem.row, problem.column, problem.value) == (line, "expected_attendance", 4360700000)
    assert render_message(problem.message, "fr") == ("affluence supérieure à 100\u202f000\u202f000 personnes, plus "
                                                      "qu’aucun rassemblement connu\u202f; vérifiez la valeur")


def test_ragged_line_listed_with_others(bundled_folder, tmp_path):
    folder = tmp_path / "dodgers"
    shutil.copytree(bundled_folder("dodgers"), folder)
    _set_traffic_value(folder, 5001, "-3")
    _set_traffic_value(folder, 6001, "12,extra")

    with pytest.raises(InputError) as caught:
        load_dataset(folder)

    problems = caught.value.problems
    assert [(problem.row, problem.column) for problem in problems] == [(5001, "cars"), (6001, None)]
    french = render_message(problems[1].describe(), "fr")
    assert "ligne 6001" in french
    assert "la ligne a 4 champs mais l’en-tête en a 3" in french


def test_attendance_with_decimals_rejected(bundled_folder, tmp_path):
    folder = tmp_path / "san-siro"
    shutil.copytree(bundled_folder("san-siro"), folder)
    line = _set_attendance(folder, "san-siro-2013-12-01", "43607.5")

    with pytest.raises(InputError) as caught:
        load_dataset(folder)

    [problem] = caught.value.problems
    assert (problem.row, problem.column, problem.value) == (line, "expected_attendance", 43607.5)
    assert render_message(problem.message, "fr") == ("l’affluence doit être un nombre entier de personnes\u202f; "
                                                      "écrivez-la sans décimales, par exemple 43608")
