"""Tests of the post-event review, its files and the event history, on the bundled San Siro data."""

from __future__ import annotations

import os
import shutil
import stat
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from planner.cli import main
from planner.forecasting.history import history_to_past_events, load_event_history
from planner.forecasting.model import EventForecaster
from planner.inputs import load_dataset
from planner.inputs.weeks import resolve_week
from planner.review import HISTORY_COLUMNS, fit_attendance_uplift, review_week, save_event_history

SAN_SIRO = Path(__file__).resolve().parents[2] / "data" / "san-siro"
MILAN = Path(__file__).resolve().parents[2] / "data" / "milan"
MATCH_ID = "san-siro-2013-11-23"


@pytest.fixture
def dataset_copy(tmp_path) -> Path:
    """A writable copy of the San Siro dataset, so that the history folder is made inside the test's folder."""
    folder = tmp_path / "san-siro"
    shutil.copytree(SAN_SIRO, folder)
    return folder


@pytest.fixture(scope="module")
def match_review():
    dataset = load_dataset(SAN_SIRO)
    return review_week(dataset, resolve_week("2013-W47", dataset), {MATCH_ID: 60000})


def test_review_week_measures_match(match_review):
    events = match_review.events.set_index("measure")
    plan = match_review.plan

    assert set(events["event_id"]) == {MATCH_ID}
    internet = events.loc["internet"]
    cell_rows = plan.forecast[(plan.forecast["cell_id"] == "5738") & (plan.forecast["measure"] == "internet")]
    # The hours the plan marked for the match, which follow its placement.
    in_window = cell_rows[cell_rows["event_id"] == MATCH_ID]
    assert len(in_window) >= 4
    assert internet["cells"] == "5738"
    assert internet["cells_basis"] == "forecast"
    assert internet["actual_peak"] == pytest.approx(in_window["actual"].max())
    assert internet["actual_peak_time"] == in_window.loc[in_window["actual"].idxmax(), "timestamp"]
    assert internet["actual_excess_total"] == pytest.approx((in_window["actual"] - in_window["baseline"]).sum())
    assert internet["attendance"] == 60000


def test_review_week_capacity_and_staffing(match_review):
    for row in match_review.events.itertuples(index=False):
        assert row.extra_units >= 1
        assert row.capacity_enough == (row.max_actual_utilisation_after_action <= row.threshold)
        assert row.staffing_enough == (row.actual_load_erlangs <= row.staffed_load_erlangs + 1e-9)


def test_review_week_history_rows(match_review):
    history = match_review.history
    cells = load_dataset(SAN_SIRO).cells["cell_id"].astype(str)

    assert set(history["event_id"]) == {MATCH_ID}
    assert set(history["cell_id"]) == set(cells)
    assert set(history["measure"]) == {"internet", "calls_sms"}
    # The plan placed the match 2 h 13 min before its 20:45 start (a drifting feed clock), so the window runs
    # from three hours before the moved start to four after the moved end, and positions count from that start.
    offset = match_review.plan.events.set_index("measure").loc["internet", "offset_hours"]
    assert offset < -2
    event = match_review.plan.events.iloc[0]
    moved_start, moved_end = event["start"] + pd.Timedelta(hours=offset), event["end"] + pd.Timedelta(hours=offset)
    hours = pd.date_range((moved_start - pd.Timedelta(hours=3)).floor("h"), moved_end + pd.Timedelta(hours=4),
                          freq="h", inclusive="left")
    expected = [(hour + pd.Timedelta(minutes=30) - moved_start) / pd.Timedelta(hours=1) for hour in hours]
    internet = history[(history["cell_id"] == "5738") & (history["measure"] == "internet")]
    assert sorted(internet["position_hours"]) == pytest.approx(expected)
    assert internet["offset_hours"].tolist() == [offset] * len(expected)
    assert (history["attendance"] == 60000).all()


def test_review_row_states_window(match_review):
    plan = match_review.plan
    row = match_review.events.set_index("measure").loc["internet"]
    marked = plan.forecast[(plan.forecast["measure"] == "internet") & (plan.forecast["event_id"] == MATCH_ID)]
    assert row["window_start"] == marked["timestamp"].min()
    assert row["window_end"] == marked["timestamp"].max() + pd.Timedelta(hours=1)
    assert row["offset_hours"] == plan.events.set_index("measure").loc["internet", "offset_hours"]


def test_review_week_rejects_unknown_event():
    dataset = load_dataset(SAN_SIRO)
    with pytest.raises(ValueError, match="event no-such-event is not in week 2013-W47"):
        review_week(dataset, resolve_week("2013-W47", dataset), {"no-such-event": 1000})


def test_save_history_replaces_week(match_review, dataset_copy):
    first_time = datetime(2013, 12, 1, tzinfo=timezone.utc)
    second_time = datetime(2013, 12, 2, tzinfo=timezone.utc)
    save_event_history(dataset_copy, match_review.history, "2013-W47", reviewed_at=first_time)
    other_week = match_review.history.assign(event_id="other-event")
    save_event_history(dataset_copy, other_week, "2013-W46", reviewed_at=first_time)
    path = save_event_history(dataset_copy, match_review.history, "2013-W47", reviewed_at=second_time)

    history = load_event_history(dataset_copy)
    assert path == dataset_copy / "history" / "events.parquet"
    assert list(history.columns) == list(HISTORY_COLUMNS)
    assert len(history) == 2 * len(match_review.history)
    assert set(history.loc[history["week"] == "2013-W47", "reviewed_at"]) == {pd.Timestamp(second_time)}
    assert set(history.loc[history["week"] == "2013-W46", "event_id"]) == {"other-event"}
    assert [path.name for path in (dataset_copy / "history").iterdir()] == ["events.parquet"]


def test_save_history_mode_follows_umask(match_review, dataset_copy):
    previous = os.umask(0o022)
    try:
        path = save_event_history(dataset_copy, match_review.history, "2013-W47")
    finally:
        os.umask(previous)

    assert stat.S_IMODE(path.stat().st_mode) == 0o644


@pytest.fixture(scope="module")
def milan_review():
    dataset = load_dataset(MILAN)
    return dataset, review_week(dataset, resolve_week("2013-W48", dataset))


def test_milan_review_measures_venue_cells(milan_review):
    dataset, review = milan_review
    # The stadium's own square is not among Milan's 100 squares, and the forecast gives the match no affected
    # cell, so the review measures the cells within 1 km of San Siro, here only the nearest square.
    venue = dataset.venues.set_index("venue_id").loc["san-siro"]
    cells = dataset.cells
    scale = np.cos(np.radians(venue["latitude"]))
    squared = (cells["latitude"] - venue["latitude"]) ** 2 + ((cells["longitude"] - venue["longitude"]) * scale) ** 2
    nearest = str(cells.loc[squared.idxmin(), "cell_id"])
    row = review.events.set_index("event_id").loc["san-siro-2013-12-01"]

    assert review.plan.events["cells_affected"].max() == 0
    assert row["cells"] == nearest
    assert row["cells_basis"] == "venue_radius"
    cell_rows = review.plan.forecast[(review.plan.forecast["cell_id"].astype(str) == nearest)
                                     & (review.plan.forecast["measure"] == "internet")]
    in_window = cell_rows[(cell_rows["timestamp"] + pd.Timedelta(hours=1) > row["start"] - pd.Timedelta(hours=1))
                          & (cell_rows["timestamp"] < row["end"] + pd.Timedelta(hours=2))]
    assert row["actual_peak"] == pytest.approx(in_window["actual"].max())


def test_milan_review_history_cells(milan_review):
    _, review = milan_review
    history = review.history

    assert set(history["cell_id"]) == {review.events.loc[0, "cells"]}
    # Three hours before the 15:00 kick-off to four after the 16:55 end: 12:00 to 20:00, nine hours.
    assert len(history) == 9


def test_history_to_past_events_excess(match_review):
    cells = ["5738", "not-in-history"]
    events = history_to_past_events(match_review.history, cells, measure="internet")

    assert [event.event_id for event in events] == [MATCH_ID]
    event = events[0]
    stored = match_review.history[(match_review.history["cell_id"] == "5738")
                                  & (match_review.history["measure"] == "internet")].sort_values("position_hours")
    np.testing.assert_allclose(event.positions, stored["position_hours"])
    np.testing.assert_allclose(event.excess[:, 0], stored["excess"])
    assert np.isnan(event.excess[:, 1]).all()
    assert event.attendance == 60000
    assert event.duration_hours == pytest.approx(115 / 60)


def test_history_to_past_events_needs_measure(match_review):
    with pytest.raises(ValueError, match="several measures"):
        history_to_past_events(match_review.history, ["5738"])


def test_fit_attendance_uplift_synthetic():
    # Synthetic: uplift ratio − 1 is exactly 0.0001 × attendance.
    events = pd.DataFrame({"attendance": [10000.0, 20000.0, 40000.0],
                           "actual_peak_uplift_ratio": [2.0, 3.0, 5.0]})
    slope, intercept, r_squared = fit_attendance_uplift(events)
    assert slope == pytest.approx(1e-4)
    assert intercept == pytest.approx(0.0, abs=1e-9)
    assert r_squared == pytest.approx(1.0)


def test_review_command_writes_files(match_review, dataset_copy, tmp_path, capsys):
    code = main(["review", "--data", str(dataset_copy), "--week", "2013-W47", "--out", str(tmp_path / "out"),
                 "--attendance", f"{MATCH_ID}=52000"])

    folder = tmp_path / "out" / "san-siro" / "2013-W47-review"
    assert code == 0
    assert sorted(path.name for path in folder.iterdir()) == ["review.csv", "review.html"]
    page = (folder / "review.html").read_text(encoding="utf-8")
    assert "Bilan après événement" in page
    assert "52\u202f000" in page  # Babel groups French digits with a narrow no-break space.
    assert "Mesuré sur les cellules que la prévision désigne comme touchées\u00a0: 5738." in page
    assert "Heures mesurées\u00a0: du " in page
    review_csv = pd.read_csv(folder / "review.csv")
    assert set(review_csv["attendance"]) == {52000}
    # The hours the plan marked with the match, which the CLI's plan shares with the review made in Python.
    plan = match_review.plan
    marked = plan.forecast.loc[plan.forecast["event_id"] == MATCH_ID, "timestamp"]
    assert set(review_csv["window_start"]) == {marked.min().isoformat()}
    assert set(review_csv["window_end"]) == {(marked.max() + pd.Timedelta(hours=1)).isoformat()}
    assert (dataset_copy / "history" / "events.parquet").exists()


def test_review_changes_next_forecast(match_review, dataset_copy):
    # Reviewing the 23 November match with a far larger actual attendance changes what the forecaster
    # learns for the next match at the same venue, on 1 December.
    dataset = load_dataset(dataset_copy)
    origin = resolve_week("2013-W48", dataset).start
    week_end = origin + pd.Timedelta(days=7)

    before = EventForecaster().fit(dataset, origin).predict(origin, week_end)
    save_event_history(dataset_copy, match_review.history.assign(attendance=200000.0), "2013-W47")
    after = EventForecaster().fit(dataset, origin).predict(origin, week_end)

    merged = before.table.merge(after.table, on=["cell_id", "measure", "timestamp"], suffixes=("_before", "_after"))
    assert not np.allclose(merged["p50_before"], merged["p50_after"])

    # The same excess spread over a crowd of 200,000 means less excess per spectator, so a smaller uplift.
    uplift_before = (merged["p50_before"] - merged["baseline_before"]).sum()
    uplift_after = (merged["p50_after"] - merged["baseline_after"]).sum()
    assert uplift_after < uplift_before


def test_review_staffing_verdict_matches_loads():
    # Dodgers 2005-W32 has six games. The loads shown beside each verdict are those of the interval that
    # decided it, so "not enough" always comes with an actual load above the staffed one.
    dodgers = Path(__file__).resolve().parents[2] / "data" / "dodgers"
    if not (dodgers / "settings.toml").is_file():
        pytest.skip("bundled dataset data/dodgers is not there")
    dataset = load_dataset(dodgers)
    review = review_week(dataset, resolve_week("2005-W32", dataset))

    rows = review.events.dropna(subset=["staffing_enough"])
    assert len(rows) >= 6
    for row in rows.itertuples(index=False):
        assert bool(row.staffing_enough) == (row.actual_load_erlangs <= row.staffed_load_erlangs + 1e-9)


def test_report_earlier_week_after_review(dataset_copy, tmp_path):
    # The plan -> review -> plan loop: a week planned again after a later week was reviewed. The history
    # then contains no event before the origin, and pandas 3 typed that empty column as strings.
    out = tmp_path / "out"
    assert main(["review", "--data", str(dataset_copy), "--week", "2013-W47", "--out", str(out)]) == 0
    assert main(["report", "--data", str(dataset_copy), "--week", "2013-W45", "--out", str(out)]) == 0
    assert (out / "san-siro" / "2013-W45" / "forecast.csv").exists()
    assert main(["report", "--data", str(dataset_copy), "--week", "2013-W48", "--out", str(out)]) == 0


@pytest.fixture(scope="module")
def drifted_review():
    """The review of the 1 December 2013 match, which the plan placed 3 h 23 min before its 15:00 kick-off."""
    dataset = load_dataset(SAN_SIRO)
    return review_week(dataset, resolve_week("2013-W48", dataset))


DRIFTED_ID = "san-siro-2013-12-01"


def test_history_holds_measured_peak(drifted_review):
    # What is stored for the next forecasts to learn from covers the hours where the review found the peak.
    history = drifted_review.history
    row = drifted_review.events.set_index("measure").loc["internet"]
    assert row["actual_peak_time"] < row["start"] - pd.Timedelta(hours=3)
    plan = drifted_review.plan
    cell = plan.forecast[(plan.forecast["cell_id"] == "5738") & (plan.forecast["measure"] == "internet")]
    at_peak = cell.set_index("timestamp").loc[row["actual_peak_time"]]
    expected = (at_peak["actual"] - at_peak["baseline"]) / cell["baseline"].mean()
    excess = history.loc[(history["cell_id"] == "5738") & (history["measure"] == "internet"), "excess"]
    assert np.isclose(excess.to_numpy(float), expected).any()


def test_review_checks_share_one_window(drifted_review):
    # The peaks, the capacity check and the staffing check of one row all look at the hours the plan placed
    # the match at, hours before the 15:00 kick-off.
    plan = drifted_review.plan
    row = drifted_review.events.set_index("measure").loc["internet"]
    marked = plan.forecast[(plan.forecast["measure"] == "internet") & (plan.forecast["event_id"] == DRIFTED_ID)]
    hours = pd.DatetimeIndex(sorted(marked["timestamp"].unique()))
    assert hours[0] < row["start"] - pd.Timedelta(hours=2)
    assert row["actual_peak_time"] in hours

    capacity = plan.capacity[(plan.capacity["measure"] == "internet") & plan.capacity["timestamp"].isin(hours)
                             & (plan.capacity["cell_id"] == "5738")]
    actual = plan.forecast.set_index(["cell_id", "measure", "timestamp"])["actual"]
    actions = plan.event_actions
    action = actions[(actions["event_id"] == DRIFTED_ID) & (actions["measure"] == "internet")].iloc[0]
    capacity_after = action["forecast_p90"] / action["utilisation_after_action"]
    worst = max(actual[("5738", "internet", hour)] / capacity_after for hour in capacity["timestamp"])
    assert row["max_actual_utilisation_after_action"] == pytest.approx(worst)

    intervals = plan.staffing_intervals
    roles = {role.name for role in plan.dataset.settings.staffing.roles if role.driver_measure == "internet"}
    intervals = intervals[intervals["role"].isin(roles)]
    starts = pd.to_datetime(intervals["interval_start"])
    during = intervals[starts.dt.floor("h").isin(hours)]
    network = plan.forecast[plan.forecast["measure"] == "internet"].groupby("timestamp")[["p50", "actual"]].sum()
    staffed = intervals.groupby(["date", "shift", "role"])["offered_load_erlangs"].transform("max")
    scale = network["actual"] / network["p50"]
    actual_load = during["offered_load_erlangs"] * pd.to_datetime(during["interval_start"]).dt.floor("h").map(scale)
    worst_interval = (actual_load - staffed[during.index]).idxmax()
    assert row["actual_load_erlangs"] == pytest.approx(actual_load[worst_interval])
    assert row["staffed_load_erlangs"] == pytest.approx(staffed[worst_interval])


def test_review_follows_placed_event(drifted_review):
    # The plan places the 1 December match about 3.4 hours before its scheduled 15:00 kick-off, after the
    # drift that past matches showed, so the review scores the hours the plan marked, not the calendar's.
    review = drifted_review
    calls = review.events.set_index("measure").loc["calls_sms"]
    assert calls["forecast_peak_time"] == pd.Timestamp("2013-12-01T10:00:00+01:00")
    assert calls["actual_peak_time"] == pd.Timestamp("2013-12-01T10:00:00+01:00")
    assert calls["actual_excess_total"] > 400
