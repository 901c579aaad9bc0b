"""The staffing reference: the typical hourly network traffic before the planned week."""

import dataclasses

import pytest

from planner.decisions.plan import reference_traffic
from planner.inputs import load_dataset, parse_week
from tests.conftest import BUNDLED_DATA


@pytest.fixture(scope="module")
def dodgers():
    return load_dataset(BUNDLED_DATA / "dodgers")


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
