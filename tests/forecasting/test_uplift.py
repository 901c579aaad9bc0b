"""The event uplift on synthetic data whose effect is known exactly."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from planner.forecasting.model import EventForecaster
from planner.forecasting.uplift import EffectProfile, PastEvent, between_venue_variance, kind_prior, learn_profile
from planner.inputs.weeks import parse_week
from tests.forecasting.synthetic import TIMEZONE, daily_shape, match_events, synthetic_dataset, venue_network_dataset

# Excess of an event of 40,000 people, by hour after the start hour.
EXCESS = {-1: 20.0, 0: 60.0, 1: 90.0, 2: 140.0, 3: 30.0}

# Saturday matches at 20:00 in weeks 2 to 9, one every two weeks, and one in week 10 (the planned week).
PAST = ["2024-01-13 20:00", "2024-01-27 20:00", "2024-02-10 20:00", "2024-02-24 20:00"]
PAST_ATTENDANCE = [30000, 40000, 50000, 40000]
PLANNED = "2024-03-09 20:00"


def plan_synthetic(planned_attendance: float):
    events = match_events(PAST + [PLANNED], PAST_ATTENDANCE + [planned_attendance])
    dataset = synthetic_dataset(events, EXCESS)
    week = parse_week("2024-W10", TIMEZONE)
    forecaster = EventForecaster().fit(dataset, week.start)
    return dataset, week, forecaster.predict(week.start, week.end)


@pytest.mark.parametrize("attendance", [40000.0, 60000.0], ids=["reference-crowd", "larger-crowd"])
def test_uplift_recovers_known_excess(attendance):
    _, _, result = plan_synthetic(attendance)
    table = result.table.set_index("timestamp")
    start_hour = pd.Timestamp(PLANNED, tz=TIMEZONE)

    for offset, excess in EXCESS.items():
        hour = start_hour + pd.Timedelta(hours=offset)
        expected = daily_shape(pd.DatetimeIndex([hour]))[0] + excess * attendance / 40000.0
        assert table.loc[hour, "p50"] == pytest.approx(expected, rel=1e-6)


def test_uplift_absent_outside_window():
    _, _, result = plan_synthetic(40000.0)
    table = result.table.set_index("timestamp")
    quiet_hour = pd.Timestamp("2024-03-06 12:00", tz=TIMEZONE)

    assert table.loc[quiet_hour, "p50"] == pytest.approx(daily_shape(pd.DatetimeIndex([quiet_hour]))[0])
    assert table.loc[quiet_hour, "event_id"] == ""


def test_uplift_summary_names_sources():
    _, _, result = plan_synthetic(40000.0)
    summary = result.events.set_index("event_id").loc["match-2024-03-09"]

    assert summary["pooling"] == "venue"
    assert summary["cells_affected"] == 1
    peak_hour = pd.Timestamp(PLANNED, tz=TIMEZONE) + pd.Timedelta(hours=2)
    expected_ratio = 1 + 140.0 / daily_shape(pd.DatetimeIndex([peak_hour]))[0]
    assert summary["peak_uplift_ratio"] == pytest.approx(expected_ratio, rel=1e-6)
    assert summary["learned_from"] == "match-2024-01-13, match-2024-01-27, match-2024-02-10, match-2024-02-24"
    assert summary["learned_events"] == 4
    assert summary["learned_at_venue"] == 4


def test_uplift_band_contains_median():
    _, _, result = plan_synthetic(40000.0)
    table = result.table

    assert (table["p10"] <= table["p50"]).all()
    assert (table["p50"] <= table["p90"]).all()
    in_event = table["event_id"] != ""
    assert (table.loc[in_event, "p90"] - table.loc[in_event, "p10"]).min() > 0


def test_uplift_unknown_attendance_uses_mean():
    _, _, known = plan_synthetic(40000.0)
    _, _, unknown = plan_synthetic(np.nan)
    hour = pd.Timestamp(PLANNED, tz=TIMEZONE) + pd.Timedelta(hours=2)

    known_row = known.table.set_index("timestamp").loc[hour]
    unknown_row = unknown.table.set_index("timestamp").loc[hour]
    assert unknown_row["p50"] == pytest.approx(known_row["p50"], rel=1e-6)
    assert unknown_row["p90"] - unknown_row["p10"] > known_row["p90"] - known_row["p10"]


def test_uplift_capped_at_venue_capacity():
    # The synthetic stadium has a capacity of 80,000 people: a crowd of 160,000 is forecast as a full stadium.
    _, _, capped = plan_synthetic(160000.0)
    _, _, full = plan_synthetic(80000.0)

    assert capped.table["p50"].to_numpy() == pytest.approx(full.table["p50"].to_numpy(), rel=1e-9)
    assert capped.table["p90"].to_numpy() == pytest.approx(full.table["p90"].to_numpy(), rel=1e-9)
    notes = [note for note in capped.notes if "above the venue's capacity" in note]
    assert notes == ["match-2024-03-09: attendance 160,000 is above the venue's capacity of 80,000 people "
                     "(capacity_people in venues.csv), so the uplift is scaled as if 80,000 people attend"]
    assert not [note for note in full.notes if "above the venue's capacity" in note]
    capped_to = capped.events.set_index("event_id")["attendance_capped_to"]
    assert capped_to["match-2024-03-09"] == 80000.0
    assert full.events["attendance_capped_to"].isna().all()


def test_uplift_uncapped_without_venue_capacity():
    events = match_events(PAST + [PLANNED], PAST_ATTENDANCE + [96000.0])
    dataset = synthetic_dataset(events, EXCESS)
    dataset.venues["capacity_people"] = np.nan
    week = parse_week("2024-W10", TIMEZONE)
    result = EventForecaster().fit(dataset, week.start).predict(week.start, week.end)

    table = result.table.set_index("timestamp")
    hour = pd.Timestamp(PLANNED, tz=TIMEZONE) + pd.Timedelta(hours=2)
    expected = daily_shape(pd.DatetimeIndex([hour]))[0] + EXCESS[2] * 96000.0 / 40000.0
    assert table.loc[hour, "p50"] == pytest.approx(expected, rel=1e-6)
    assert not [note for note in result.notes if "above the venue's capacity" in note]


def test_uplift_new_venue_borrows_from_kind():
    events = match_events(PAST + [PLANNED], PAST_ATTENDANCE + [40000.0])
    events.loc[events.index[-1], "venue_id"] = "arena"
    dataset = synthetic_dataset(events, {k: v for k, v in EXCESS.items()})
    dataset.venues.loc[len(dataset.venues)] = ["arena", "Arena", 48.8415, 2.2531, 20000]
    week = parse_week("2024-W10", TIMEZONE)
    result = EventForecaster().fit(dataset, week.start).predict(week.start, week.end)

    summary = result.events.set_index("event_id").loc["match-2024-03-09"]
    assert summary["pooling"] == "kind"
    assert any("borrowed from past match events at other venues" in note for note in result.notes)


def test_uplift_no_effect_on_quiet_cell():
    events = match_events(PAST + [PLANNED], PAST_ATTENDANCE + [40000.0])
    dataset = synthetic_dataset(events, {offset: 0.0 for offset in EXCESS}, noise=0.05)
    week = parse_week("2024-W10", TIMEZONE)
    result = EventForecaster().fit(dataset, week.start).predict(week.start, week.end)

    summary = result.events.set_index("event_id").loc["match-2024-03-09"]
    assert summary["cells_affected"] == 0
    assert (result.table["event_id"] == "").all()


def test_holiday_excess_without_its_match():
    # Synthetic: the match of 27 January falls on a (made-up) public holiday without a venue.
    matches = match_events(PAST, PAST_ATTENDANCE)
    holiday = pd.DataFrame({"event_id": ["holiday-2024-01-27"], "name": "Holiday", "kind": "holiday",
                            "venue_id": [None], "start": [pd.Timestamp("2024-01-27", tz=TIMEZONE)],
                            "end": [pd.Timestamp("2024-01-28", tz=TIMEZONE)], "expected_attendance": [np.nan],
                            "attendance_low": [np.nan], "attendance_high": [np.nan], "source": ["holidays"]})
    dataset = dataclasses.replace(synthetic_dataset(matches, EXCESS),
                                  events=pd.concat([matches, holiday], ignore_index=True))
    fit = EventForecaster().fit(dataset, parse_week("2024-W10", TIMEZONE).start).measures_["load"]

    (holiday_event, _), = fit.groups[("venue", "", "holiday")]
    hours = pd.Timestamp("2024-01-27", tz=TIMEZONE) + pd.to_timedelta(holiday_event.positions - 0.5, unit="h")
    # The match's window runs from 17:00 (three hours before) to 02:00 (four hours after its end).
    in_match = (hours >= pd.Timestamp("2024-01-27 17:00", tz=TIMEZONE)) & (
        hours <= pd.Timestamp("2024-01-28 02:00", tz=TIMEZONE))
    assert np.isnan(holiday_event.excess[in_match]).all()
    assert np.isfinite(holiday_event.excess[~in_match]).all()
    match = next(event for event, _ in fit.groups[("venue", "stadium", "match")] if event.event_id == "match-2024-01-27")
    assert np.isfinite(match.excess).all()


def test_outlying_event_downweighted():
    # Synthetic: five past events at one cell, equal crowds, two hours each. Four have an excess near
    # 1.0 and 0.5, one (a final, say) ten times that. The least-squares slope would be their mean,
    # 2.8 at the first hour. The Huber fit stays with the four, and the spread keeps room for the fifth.
    excess = [(1.0, 0.5), (1.1, 0.45), (0.9, 0.55), (1.05, 0.5), (10.0, 5.0)]
    events = [PastEvent(f"e{number}", "match", "stadium", 40000.0, np.array([0.5, 1.5]), np.array([[first], [second]]))
              for number, (first, second) in enumerate(excess)]
    profile = learn_profile(events, {})
    # The outlier keeps a weight of 1.345 robust standard deviations over its residual, so the slope
    # sits a little above the four's mean (1.0125 and 0.5), far below the mean of all five.
    assert 1.0125 < profile.beta[0, 0] < 1.15
    assert 0.5 < profile.beta[1, 0] < 0.55
    assert profile.sigma[0, 0] > 3.0
    # Three events are too few to single one out: the slope is their mean.
    assert learn_profile(events[2:], {}).beta[0, 0] == pytest.approx((0.9 + 1.05 + 10.0) / 3)


def test_negative_uplift_floored_at_zero():
    # Past matches lowered the cell's traffic by 90 at the second hour; a crowd ten times the reference would
    # forecast a negative traffic without the floor.
    events = match_events(PAST + [PLANNED], PAST_ATTENDANCE + [400000.0])
    dataset = synthetic_dataset(events, {0: -60.0, 1: -90.0})
    dataset.venues["capacity_people"] = np.nan
    week = parse_week("2024-W10", TIMEZONE)
    result = EventForecaster().fit(dataset, week.start).predict(week.start, week.end)

    table = result.table.set_index("timestamp")
    hour = pd.Timestamp(PLANNED, tz=TIMEZONE) + pd.Timedelta(hours=1)
    assert daily_shape(pd.DatetimeIndex([hour]))[0] - 90.0 * 10 < 0
    assert table.loc[hour, "p50"] == 0.0
    assert (result.table[["p10", "p50", "p90"]] >= 0).all().all()


def _single_cell_events(excess_by_event: list[float]) -> list[PastEvent]:
    return [PastEvent(f"e{number}", "match", "stadium", 40000.0, np.array([0.5]), np.array([[excess]]))
            for number, excess in enumerate(excess_by_event)]


def test_uplift_shrinks_with_the_spread_between_events():
    # Synthetic: three past events at one cell, equal crowds, one hour each, and placebos of variance 1e-4.
    # The slope is the events' mean, 2.0, in both cases. Around it the residuals (-1, -1, 2) have a
    # variance of 3, so the mean of three is off by a variance of 1: the slope is shrunk by 1 / 2.0**2.
    # Close events (1.9, 2.0, 2.1) leave it almost whole.
    placebos = {week: [PastEvent(f"p{week}", "match", "stadium", 40000.0, np.array([0.5]), np.array([[excess]]))]
                for week, excess in ((-2, 0.01), (-1, -0.01), (1, 0.01))}
    assert learn_profile(_single_cell_events([1.0, 1.0, 4.0]), placebos).beta[0, 0] == pytest.approx(1.5)
    close = learn_profile(_single_cell_events([1.9, 2.0, 2.1]), placebos).beta[0, 0]
    assert close == pytest.approx(2.0 * (1.0 - (0.01 / 3) / 4.0))


def _kind(shape: list[float], *, between: float = np.nan, reference: float = 40000.0) -> EffectProfile:
    """Return a one-cell kind profile with the given slope at knots 0.5, 1.5, ..."""
    beta = np.array(shape)[:, None]
    return EffectProfile(positions=np.arange(len(shape)) + 0.5, beta=beta, sigma=np.zeros_like(beta),
                         attendance_reference=reference, attendance_spread=0.0, event_ids=(),
                         affected=np.array([True]), between_venue_variance=between)


def test_kind_prior_spreads_kind_shape_by_venue_shares():
    # The kind's shape (0.2, 0.5) for 40,000 people; the venue's estimate for 60,000 at three cells.
    # Along the shape the cells measure 0.58, 0.29 and 0.05: shares 1, 0.5 and 0.05 / 0.58.
    beta = np.array([[0.4, 0.2, 0.0], [1.0, 0.5, 0.1]])
    prior = kind_prior(_kind([0.2, 0.5]), np.array([0.5, 1.5]), beta, 60000.0)
    shape = np.array([0.3, 0.75])
    np.testing.assert_allclose(prior, shape[:, None] * np.array([1.0, 0.5, 0.05 / 0.58])[None, :])
    # A venue that shows nothing along the kind's shape has no prior.
    np.testing.assert_array_equal(kind_prior(_kind([0.2, 0.5]), np.array([0.5, 1.5]), -beta, 60000.0), 0.0)


def test_venue_profile_keeps_share_of_distance_from_kind():
    # Three events (1, 1, 4) around a slope of 2.0 whose variance as an estimate is 1 (see
    # test_uplift_shrinks_with_the_spread_between_events); the kind's shape there is 0.5.
    placebos = {week: [PastEvent(f"p{week}", "match", "stadium", 40000.0, np.array([0.5]), np.array([[excess]]))]
                for week, excess in ((-2, 0.01), (-1, -0.01), (1, 0.01))}
    events = _single_cell_events([1.0, 1.0, 4.0])
    # Venues that do not differ from their kind: the kind's shape.
    assert learn_profile(events, placebos, towards=_kind([0.5], between=0.0)).beta[0, 0] == pytest.approx(0.5)
    # Venues that differ by as much as this estimate's own variance: half the distance is kept.
    assert learn_profile(events, placebos, towards=_kind([0.5], between=1.0)).beta[0, 0] == pytest.approx(1.25)
    # Without a kind, the slope is shrunk towards zero.
    assert learn_profile(events, placebos).beta[0, 0] == pytest.approx(1.5)


def test_between_venue_variance_less_estimate_variance():
    kind = _kind([1.0])
    one_cell = dict(positions=np.array([0.5]), sigma=np.zeros((1, 1)), attendance_reference=40000.0,
                    attendance_spread=0.0, event_ids=(), affected=np.array([True]))
    far = EffectProfile(beta=np.zeros((1, 1)), estimate=np.array([[1.3]]), estimate_variance=np.array([[0.04]]),
                        **one_cell)
    near = EffectProfile(beta=np.zeros((1, 1)), estimate=np.array([[0.9]]), estimate_variance=np.array([[0.01]]),
                         **one_cell)
    # (0.09 - 0.04 + 0.01 - 0.01) / 2 cells and hours.
    assert between_venue_variance(kind, [far, near]) == pytest.approx(0.025)
    # Distances that noise explains give no difference between venues.
    assert between_venue_variance(kind, [near]) == 0.0
    assert np.isnan(between_venue_variance(kind, []))


# Three past matches at every venue, one every two weeks, and one planned in week 10.
POOLED_STARTS = ["2024-01-13 20:00", "2024-01-27 20:00", "2024-02-10 20:00", "2024-03-09 20:00"]


@pytest.mark.parametrize(("venues", "expected"), [(["a", "b", "c", "d"], 140.0), (["a", "b"], 220.0)],
                         ids=["four-venues", "two-venues"])
def test_venue_with_few_events_drawn_towards_kind(venues, expected):
    # Synthetic: one cell per venue, 50 km apart, no noise. Every match has the same excess, except that
    # venue a's three matches brought 250, 400 and 100 two hours after the start instead of 140: a mean
    # of 250 whose variance as an estimate is 7,500. The other venues' matches show that venues do not
    # differ, so with four venues a takes the kind's 140. With two, the kind is not pooled and a's mean
    # is only shrunk towards zero: 250 * (1 - 7500 / 250**2) = 220.
    common = {-1: 20.0, 0: 60.0, 1: 90.0, 2: 140.0, 3: 30.0}
    excess = {"a": [{**common, 2: peak} for peak in (250.0, 400.0, 100.0)]}
    excess.update({venue: [common] * 3 for venue in venues[1:]})
    dataset = venue_network_dataset(excess, POOLED_STARTS)
    week = parse_week("2024-W10", TIMEZONE)
    result = EventForecaster().fit(dataset, week.start).predict(week.start, week.end)

    table = result.table.set_index(["cell_id", "timestamp"])
    hour = pd.Timestamp(POOLED_STARTS[-1], tz=TIMEZONE) + pd.Timedelta(hours=2)
    uplift = table.loc[("cell-a", hour), "p50"] - table.loc[("cell-a", hour), "baseline"]
    assert uplift == pytest.approx(expected, rel=0.02)
    for venue in venues[1:]:
        assert table.loc[(f"cell-{venue}", hour), "p50"] - table.loc[(f"cell-{venue}", hour), "baseline"] \
            == pytest.approx(140.0, rel=1e-6)
    pooled = [str(note) for note in result.notes if "drawn towards the response of past match events" in str(note)]
    assert len(pooled) == (len(venues) if len(venues) >= 3 else 0)
    assert all(f"at {len(venues)} venues" in note for note in pooled)
    assert (result.events["pooled_venues"] == (len(venues) if len(venues) >= 3 else 0)).all()


def test_other_kind_at_venue_noted():
    # A concert planned where only matches were held takes the venue's matches, and a note records it.
    dataset = venue_network_dataset({"a": [{0: 60.0, 1: 90.0}] * 3}, POOLED_STARTS)
    events = dataset.events.copy()
    events.loc[events.index[-1], "kind"] = "concert"
    week = parse_week("2024-W10", TIMEZONE)
    result = EventForecaster().fit(dataclasses.replace(dataset, events=events), week.start).predict(week.start,
                                                                                                    week.end)

    assert result.events["pooling"].tolist() == ["venue"]
    assert result.events["learned_events"].tolist() == [3]
    assert [str(note) for note in result.notes if "of other kinds" in str(note)] == [
        "a-2024-03-09: no past concert event at venue 'a'; its uplift on load is learned from the venue's past "
        "events of other kinds"]
