"""French CSV exports, Parquet, iCalendar and daylight-saving days read to the right values."""

from __future__ import annotations

import logging
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from planner.inputs import InputError, load_dataset
from planner.inputs.icalendar_events import read_events_ics
from planner.inputs.settings import load_settings
from planner.inputs.tables import read_events, read_traffic, read_venues
from planner.reporting.i18n import render_message

DIALECTS = Path(__file__).resolve().parents[1] / "data" / "dialects"
PARIS = "Europe/Paris"


@pytest.fixture
def settings(bad_data: Path):
    return load_settings(bad_data / "settings.toml")


@pytest.fixture
def venues(bad_data: Path) -> pd.DataFrame:
    return read_venues(bad_data / "venues.csv")[0]


@pytest.mark.parametrize("file", ["traffic_fr_cp1252.csv", "traffic_fr_utf8_bom.csv"])
def test_french_export_values_read(settings, file):
    traffic, quality = read_traffic(DIALECTS / file, settings)

    np.testing.assert_array_equal(traffic["calls"].fillna(-1), [1234.5, 12.25, 1.234, 1000.0, 2000.75, -1.0])
    assert traffic["timestamp"].iloc[0] == pd.Timestamp("2024-03-31 00:00", tz=PARIS)
    assert "separator semicolon (detected), decimal mark ','" in quality.notes[0]


def test_ambiguous_dates_read_day_first(settings, tmp_path, caplog):
    # Synthetic: 05/01/2024 is 5 January, never 1 May, unless month first is declared.
    path = tmp_path / "traffic.csv"
    path.write_text("cell_id;timestamp;calls\ncell-a;05/01/2024 14:30;1\ncell-a;05/01/2024 14:40;2\n", encoding="utf-8")

    with caplog.at_level(logging.INFO, logger="planner.inputs.dates"):
        traffic, quality = read_traffic(path, settings)
    month_first, _ = read_traffic(path, replace(settings, inputs=replace(settings.inputs, date_format="month_first")))

    assert traffic["timestamp"].iloc[0] == pd.Timestamp("2024-01-05 14:30", tz=PARIS)
    assert month_first["timestamp"].iloc[0] == pd.Timestamp("2024-05-01 14:30", tz=PARIS)
    assert "read as day first (DD/MM/YYYY), the default" in caplog.text
    assert any("every date has day and month 12 or less" in note for note in quality.notes)


def test_decimal_comma_reads_one_point_two(settings, tmp_path):
    path = tmp_path / "traffic.csv"
    path.write_text("cell_id;timestamp;calls\ncell-a;2024-01-05 14:30;1,234\n", encoding="utf-8")

    traffic, _ = read_traffic(path, settings)
    declared, _ = read_traffic(path, replace(settings, inputs=replace(settings.inputs, decimal=".")))

    assert traffic["calls"].iloc[0] == 1.234
    assert declared["calls"].iloc[0] == 1234.0


def test_french_events_read(settings, venues):
    events, quality = read_events(DIALECTS / "events_fr.csv", settings, venues)

    assert list(events["name"]) == ["PSG – Marseille, Ligue 1", "Fête nationale"]
    assert events.loc[0, "start"] == pd.Timestamp("2024-03-30 21:00", tz=PARIS)
    assert events.loc[0, "expected_attendance"] == 47000.0
    assert events.loc[1, "end"] - events.loc[1, "start"] == pd.Timedelta(hours=24)
    assert "encoding cp1252 (detected)" in quality.notes[0]


def test_parquet_reads_like_csv(settings, bad_data, tmp_path):
    csv_traffic, _ = read_traffic(bad_data / "traffic.csv", settings)
    frame = pd.read_csv(bad_data / "traffic.csv", dtype={"cell_id": str})
    frame["timestamp"] = pd.to_datetime(frame["timestamp"])
    frame.to_parquet(tmp_path / "naive.parquet", index=False)
    frame["timestamp"] = frame["timestamp"].dt.tz_localize(PARIS).dt.tz_convert("UTC")
    frame.to_parquet(tmp_path / "utc.parquet", index=False)

    for name in ("naive.parquet", "utc.parquet"):
        traffic, quality = read_traffic(tmp_path / name, settings)
        pd.testing.assert_frame_equal(traffic, csv_traffic)
        assert quality.rows_read == 24


def test_parquet_preferred_in_folder(dataset_folder, bad_data, caplog):
    folder = dataset_folder()
    frame = pd.read_csv(bad_data / "traffic.csv", dtype={"cell_id": str, "timestamp": str})
    frame["calls"] = frame["calls"] * 2
    frame.to_parquet(folder / "traffic.parquet", index=False)

    with caplog.at_level(logging.WARNING, logger="planner.inputs.loading"):
        dataset = load_dataset(folder)

    assert dataset.quality.table("traffic").file == str(folder / "traffic.parquet")
    np.testing.assert_allclose(dataset.traffic["calls"], [150.0] * 4)
    assert "traffic.csv ignored because the traffic table is traffic.parquet" in caplog.text


def test_autumn_repeated_hour_per_cell(settings, tmp_path):
    # Synthetic: each cell writes 02:00-02:50 twice on 27 October; file order decides summer then standard time.
    stamps = pd.date_range("2024-10-27 00:00", "2024-10-27 04:50", freq="10min", tz=PARIS)
    lines = ["cell_id,timestamp,calls"]
    for cell in ("cell-a", "cell-b"):
        lines += [f"{cell},{stamp:%Y-%m-%d %H:%M:%S},1" for stamp in stamps]
    path = tmp_path / "traffic.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    traffic, _ = read_traffic(path, settings)

    assert len(traffic) == 2 * 5 * 6 + 2 * 6
    cell_a = traffic[traffic["cell_id"] == "cell-a"]["timestamp"]
    assert cell_a.is_unique
    assert cell_a.diff().dropna().eq(pd.Timedelta(minutes=10)).all()


@pytest.mark.parametrize(("day", "hours"), [("2024-03-31", 23), ("2024-10-27", 25), ("2024-06-12", 24)])
def test_daily_total_on_dst_days(dataset_folder, day, hours):
    # Synthetic: one call per 10-minute step through the local day, with UTC offsets written.
    start = pd.Timestamp(day, tz=PARIS)
    next_midnight = pd.Timestamp(start.date() + pd.Timedelta(days=1), tz=PARIS)
    stamps = pd.date_range(start, next_midnight, freq="10min", inclusive="left")
    lines = ["cell_id,timestamp,calls"] + [f"{cell},{stamp.isoformat()},1" for cell in ("cell-a", "cell-b")
                                          for stamp in stamps]
    dataset = load_dataset(dataset_folder(traffic="\n".join(lines) + "\n"))

    cell_a = dataset.traffic[dataset.traffic["cell_id"] == "cell-a"]
    daily = cell_a.groupby(cell_a["timestamp"].dt.date)["calls"].agg(["sum", "size"])

    assert daily.loc[start.date(), "size"] == hours
    assert daily.loc[start.date(), "sum"] == hours * 6


def test_ics_occurrences_and_zones(settings, venues):
    events, quality = read_events_ics(DIALECTS / "events.ics", settings, venues)
    by_id = events.set_index("event_id")

    assert list(events["event_id"]) == ["psg-league-20240316T2100", "psg-league-20240330T2100", "market",
                                        "psg-league-20240406T2100", "fete-nationale", "autumn-concert"]
    assert by_id.loc["psg-league-20240406T2100", "start"] == pd.Timestamp("2024-04-06 21:00", tz=PARIS)
    assert by_id.loc["psg-league-20240316T2100", "venue_id"] == "parc-des-princes"
    assert by_id.loc["psg-league-20240316T2100", "kind"] == "match"
    assert by_id.loc["psg-league-20240316T2100", "attendance_high"] == 47929.0
    assert by_id.loc["market", "kind"] == "other"
    assert by_id.loc["market", "end"] - by_id.loc["market", "start"] == pd.Timedelta(hours=2)
    assert by_id.loc["fete-nationale", "start"] == pd.Timestamp("2024-07-14 00:00", tz=PARIS)
    assert by_id.loc["autumn-concert", "end"] - by_id.loc["autumn-concert", "start"] == pd.Timedelta(hours=3)
    assert quality.rows_read == 5
    assert quality.rows_rejected == 1
    assert "occurrences cancelled by EXDATE: 1" in quality.notes


def test_ics_and_csv_merged_in_folder(dataset_folder, settings):
    folder = dataset_folder()
    shutil.copy(DIALECTS / "events.ics", folder / "events.ics")

    dataset = load_dataset(folder)
    calendar = dataset.events[dataset.events["source"] == "calendar"]

    # Recurrences are expanded over the traffic span (from 2024-03-31) plus the horizon.
    assert {"psg-2024-03-30", "psg-league-20240406T2100", "market"} <= set(calendar["event_id"])
    assert "psg-league-20240330T2100" not in set(calendar["event_id"])
    assert [table.file for table in dataset.quality.tables if table.table == "events"] == [
        str(folder / "events.csv"), str(folder / "events.ics")]


def test_ics_attendance_checked_against_capacity(settings, venues, tmp_path):
    # The Parc des Princes has a capacity of 47,929 people (tests/data/bad/venues.csv).
    calendar = (DIALECTS / "events.ics").read_text(encoding="utf-8")
    path = tmp_path / "events.ics"
    path.write_text(calendar.replace("X-ATTENDANCE-HIGH:47929", "X-ATTENDANCE-HIGH:4792900"), encoding="utf-8")

    with pytest.raises(InputError) as caught:
        read_events_ics(path, settings, venues)

    problems = [(problem.row, problem.column, problem.value) for problem in caught.value.problems]
    assert problems == [(4, "X-ATTENDANCE-HIGH", 4792900)]
    message = caught.value.problems[0].message
    assert render_message(message, "fr").startswith("affluence supérieure à 10 fois la capacité du lieu, "
                                                    "47\u202f929 personnes")


def test_ics_attendance_above_capacity_noted(settings, venues, tmp_path):
    calendar = (DIALECTS / "events.ics").read_text(encoding="utf-8")
    path = tmp_path / "events.ics"
    path.write_text(calendar.replace("X-ATTENDANCE-HIGH:47929", "X-ATTENDANCE-HIGH:52000"), encoding="utf-8")

    _, quality = read_events_ics(path, settings, venues)

    notes = [note for note in quality.notes if "above the venue's capacity" in note]
    assert len(notes) == 3
    assert notes[0].startswith("psg-league")
    assert "X-ATTENDANCE-HIGH 52,000 is above the venue's capacity of 47,929 people" in notes[0]
