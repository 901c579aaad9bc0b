"""Events written with dates only: the time of day is unknown, on copies of the bundled San Siro data."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from planner.cli import main
from planner.forecasting.model import EventForecaster
from planner.inputs import load_dataset
from planner.inputs.errors import InputError
from planner.inputs.weeks import resolve_week
from planner.reporting.i18n import render_message

SAN_SIRO = Path(__file__).resolve().parents[2] / "data" / "san-siro"
SCHEDULED = "2013-12-01T15:00:00+01:00,2013-12-01T16:55:00+01:00"


def copy_with_times(tmp_path: Path, times: str, match: str = SCHEDULED) -> Path:
    folder = tmp_path / "san-siro"
    shutil.copytree(SAN_SIRO, folder)
    events = folder / "events.csv"
    text = events.read_text(encoding="utf-8")
    assert match in text
    events.write_text(text.replace(match, times), encoding="utf-8")
    return folder


def planned_match(folder: Path) -> tuple[pd.DataFrame, list]:
    dataset = load_dataset(folder)
    week = resolve_week("2013-W48", dataset)
    result = EventForecaster().fit(dataset, week.start).predict(week.start, week.end)
    return result.table[result.table["measure"] == "internet"].set_index("timestamp"), result.notes


def test_dates_only_read_as_whole_days(tmp_path):
    dataset = load_dataset(copy_with_times(tmp_path, "2013-12-01,2013-12-01"))
    match = dataset.events.set_index("event_id").loc["san-siro-2013-12-01"]
    assert match["start"] == pd.Timestamp("2013-12-01T00:00+01:00")
    assert match["end"] == pd.Timestamp("2013-12-02T00:00+01:00")
    assert not match["time_known"]
    assert dataset.events.set_index("event_id").loc["san-siro-2013-11-23", "time_known"]


def test_date_beside_time_rejected(tmp_path):
    folder = copy_with_times(tmp_path, "2013-12-01,2013-12-01T16:55:00+01:00")
    with pytest.raises(InputError) as caught:
        load_dataset(folder)
    [problem] = caught.value.problems
    assert (problem.row, problem.column, problem.value) == (6, "start", "2013-12-01")
    assert "l’heure n’est pas encore connue" in render_message(problem.message, "fr")


def test_unknown_time_placed_at_usual_start(tmp_path):
    # Every past match at San Siro started at 20:45 and lasted 1 h 55 min, so a match of unknown time is
    # forecast as one at 20:45, whatever its scheduled time (15:00 in the calendar).
    unknown, notes = planned_match(copy_with_times(tmp_path / "unknown", "2013-12-01,2013-12-01"))
    usual, _ = planned_match(copy_with_times(tmp_path / "usual", "2013-12-01T20:45:00+01:00,2013-12-01T22:40:00+01:00"))
    np.testing.assert_allclose(unknown["p50"].to_numpy(), usual["p50"].to_numpy(), rtol=1e-9)
    np.testing.assert_allclose(unknown["p90"].to_numpy(), usual["p90"].to_numpy(), rtol=1e-9)
    day = unknown.loc["2013-12-01"]
    assert (day["p50"] > 3 * day["baseline"]).any()
    assert any("no time of day in the calendar" in note and "(20:45)" in note for note in map(str, notes))


def test_unknown_time_drift_note_names_no_schedule(tmp_path):
    # Past matches at San Siro drift earlier week after week. A match without a time has no scheduled time to
    # be early against, so the note states how far its usual start times (20:45) are moved.
    _, notes = planned_match(copy_with_times(tmp_path, "2013-12-01,2013-12-01"))
    [drift_note] = [note for note in notes if note.startswith("san-siro-2013-12-01: past events at this venue moved "
                                                              "internet")]

    assert "scheduled times, so the usual start times this event is placed at are moved 3 h 26 min earlier, " \
           "following a drift of 10.4 min earlier each day" in drift_note
    assert "than scheduled" not in drift_note
    assert "-" not in drift_note.split("moved", 2)[2]
    assert render_message(drift_note, "fr").endswith("les heures de début habituelles auxquelles cet événement est "
                                                     "placé sont donc décalées 3 h 26 min plus tôt, selon une dérive "
                                                     "de 10,4 min plus tôt chaque jour")


def test_past_event_without_time_not_learned(tmp_path):
    folder = copy_with_times(tmp_path, "2013-11-23,2013-11-23",
                             match="2013-11-23T20:45:00+01:00,2013-11-23T22:40:00+01:00")
    dataset = load_dataset(folder)
    week = resolve_week("2013-W48", dataset)
    events = EventForecaster().fit(dataset, week.start).predict(week.start, week.end).events
    sources = events.set_index(["event_id", "measure"]).loc[("san-siro-2013-12-01", "internet"), "learned_from"]
    assert "san-siro-2013-11-15" in sources
    assert "san-siro-2013-11-23" not in sources


def test_report_says_time_not_known(tmp_path):
    folder = copy_with_times(tmp_path / "data", "2013-12-01,2013-12-01")
    assert main(["report", "--data", str(folder), "--week", "2013-W48", "--out", str(tmp_path / "out")]) == 0
    page = (tmp_path / "out" / "san-siro" / "2013-W48" / "report.html").read_text(encoding="utf-8")
    events = pd.read_csv(tmp_path / "out" / "san-siro" / "2013-W48" / "events.csv")
    assert "dimanche 1er décembre 2013, heure inconnue" in page
    assert not events.set_index("event_id").loc["san-siro-2013-12-01", "time_known"].any()


def test_unknown_time_peak_same_in_csv_and_html(tmp_path):
    # The calls of the match peak in traffic at 15:00 but against the baseline at 16:00, where the afternoon
    # baseline has fallen. The peak time is that of the peak ratio the row reports, in events.csv and on the card.
    folder = copy_with_times(tmp_path / "data", "2013-12-01,2013-12-01")
    assert main(["report", "--data", str(folder), "--week", "2013-W48", "--out", str(tmp_path / "out")]) == 0
    report = tmp_path / "out" / "san-siro" / "2013-W48"
    page = (report / "report.html").read_text(encoding="utf-8")
    events = pd.read_csv(report / "events.csv").set_index("measure")
    forecast = pd.read_csv(report / "forecast.csv")
    calls = forecast[(forecast["cell_id"] == 5738) & (forecast["measure"] == "calls_sms")].set_index("timestamp")
    ratio = (calls["p50"] / calls["baseline"]).loc["2013-12-01T14:00:00+01:00":"2013-12-01T19:00:00+01:00"]

    assert events.loc["calls_sms", "peak_time"] == "2013-12-01T16:00:00+01:00"
    assert ratio.idxmax() == "2013-12-01T16:00:00+01:00"
    assert events.loc["calls_sms", "peak_uplift_ratio"] == pytest.approx(ratio.max(), rel=1e-3)
    assert (calls["p50"] - calls["baseline"]).idxmax() == "2013-12-01T15:00:00+01:00"
    assert "dim. 1er déc. 16:00, 5738" in page
    assert events.loc["internet", "peak_time"] == "2013-12-01T15:00:00+01:00"
    assert "dim. 1er déc. 15:00, 5738" in page
