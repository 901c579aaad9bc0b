"""The staffing reference: the typical hourly network traffic before the planned week."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from planner.decisions.plan import _reference_rows, reference_from_totals, reference_traffic
from planner.inputs import load_dataset, parse_week
from tests.conftest import BUNDLED_DATA


@pytest.fixture(scope="module")
def dodgers():
    return load_dataset(BUNDLED_DATA / "dodgers")


@pytest.fixture(scope="module")
def san_siro():
    return load_dataset(BUNDLED_DATA / "san-siro")


def reference_of_whole_history(dataset, week):
    """Return the reference from the hourly totals of the whole history before the week."""
    measures = list(dataset.settings.measure_names)
    before = dataset.traffic[dataset.traffic["timestamp"] < week.start]
    totals = before.groupby("timestamp")[measures].sum(min_count=1)
    return reference_from_totals(totals, measures, f"{dataset.name} before {week.label}")


def blank_day_before(dataset, week, measure):
    """Return the dataset with ``measure`` missing at every cell for the 24 hours before the week."""
    traffic = dataset.traffic.copy()
    last_day = (traffic["timestamp"] >= week.start - pd.Timedelta(days=1)) & (traffic["timestamp"] < week.start)
    traffic.loc[last_day, measure] = np.nan
    return dataclasses.replace(dataset, traffic=traffic)


def test_reference_ignores_one_absurd_hour(dodgers):
    week = parse_week("2005-W33", dodgers.timezone)
    traffic = dodgers.traffic.copy()
    hour = traffic.index[(traffic["timestamp"] < week.start)][-30]
    traffic.loc[hour, "cars"] = 5_000_000.0
    corrupted = dataclasses.replace(dodgers, traffic=traffic)

    clean_reference = reference_traffic(dodgers, week)["cars"]
    assert reference_traffic(corrupted, week)["cars"] == pytest.approx(clean_reference, rel=0.02)


def test_reference_after_gap_uses_last_data(dodgers):
    # The data ends on 1 October 2005; a week in November still gets the reference of September.
    november = reference_traffic(dodgers, parse_week("2005-W45", dodgers.timezone))["cars"]
    october = reference_traffic(dodgers, parse_week("2005-W40", dodgers.timezone))["cars"]

    assert november == pytest.approx(october)
    assert 150 < november < 400


@pytest.mark.parametrize("name, week_label", [
    ("paris-2023", "2023-W15"),
    ("milan", "2013-W49"),
    ("san-siro", "2013-W49"),
    ("dodgers", "2005-W33"),
    ("dodgers", "2005-W45"),
])
def test_reference_equals_whole_history_sum(name, week_label):
    # reference_traffic reads only the rows of the last four weeks, so its result must equal this sum.
    dataset = load_dataset(BUNDLED_DATA / name)
    week = parse_week(week_label, dataset.timezone)

    assert reference_traffic(dataset, week) == reference_of_whole_history(dataset, week)


def test_reference_rows_are_last_four_weeks():
    paris = load_dataset(BUNDLED_DATA / "paris-2023")
    week = parse_week("2023-W15", paris.timezone)
    traffic = paris.traffic

    rows = _reference_rows(traffic, ["internet"], week, weeks=4)
    hours = traffic.loc[rows, "timestamp"]

    assert traffic["timestamp"].min() < week.start - pd.Timedelta(weeks=10)
    assert hours.min() == week.start - pd.Timedelta(weeks=4)
    assert hours.max() == week.start - pd.Timedelta(hours=1)
    assert hours.nunique() == 4 * 168
    assert rows.sum() == 4 * 168 * traffic["cell_id"].nunique()


def test_reference_window_ends_at_last_hour_with_data(dodgers):
    week = parse_week("2005-W33", dodgers.timezone)
    blanked = blank_day_before(dodgers, week, "cars")

    reference = reference_traffic(blanked, week)["cars"]

    assert reference == reference_of_whole_history(blanked, week)["cars"]
    assert reference != reference_traffic(dodgers, week)["cars"]


def test_reference_hour_with_one_measure_counts_for_all(san_siro):
    # The last hour with data is the last where any measure has a value, so internet missing on the last day
    # leaves a window that ends at the week for both measures.
    week = parse_week("2013-W49", san_siro.timezone)
    blanked = blank_day_before(san_siro, week, "internet")

    reference = reference_traffic(blanked, week)
    expected = reference_of_whole_history(blanked, week)

    assert reference["internet"] == expected["internet"]
    assert reference["calls_sms"] == expected["calls_sms"]
    assert reference["calls_sms"] == reference_traffic(san_siro, week)["calls_sms"]


def test_reference_without_history_raises(dodgers):
    week = parse_week("2005-W14", dodgers.timezone)

    with pytest.raises(ValueError, match="no traffic in 'dodgers' before 2005-W14"):
        reference_traffic(dodgers, week)
