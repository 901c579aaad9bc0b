"""Which weeks can be planned, and which events belong to a week, on the bundled Dodgers data."""

from __future__ import annotations

import pandas as pd
import pytest

from planner.decisions.plan import MAX_WEEKS_AHEAD, check_history_recent
from planner.engine.local import plan_with_usual_week
from planner.inputs.loading import load_dataset
from planner.inputs.weeks import Week, resolve_week


@pytest.fixture(scope="module")
def dodgers():
    from tests.conftest import BUNDLED_DATA

    if not (BUNDLED_DATA / "dodgers" / "settings.toml").is_file():
        pytest.skip("bundled dataset data/dodgers is not there")
    return load_dataset(BUNDLED_DATA / "dodgers")


def test_week_far_after_data_rejected(dodgers):
    # The data ends on Sunday 2 October 2005 (2005-W39); 2005-W48 is the ninth week after it.
    last_allowed = Week(2005, 39 + MAX_WEEKS_AHEAD, dodgers.timezone)
    check_history_recent(dodgers, last_allowed)

    with pytest.raises(ValueError) as raised:
        check_history_recent(dodgers, Week(2005, 40 + MAX_WEEKS_AHEAD, dodgers.timezone))
    message = str(raised.value)
    assert "2005-W48 starts 57 days after the last traffic of dataset 'dodgers'" in message
    assert "--week next" in message


def test_last_history_hour_before_week(dodgers):
    timestamps = dodgers.traffic["timestamp"]
    inside = Week(2005, 30, dodgers.timezone)
    after_data = Week(2005, 42, dodgers.timezone)

    inside_last = check_history_recent(dodgers, inside)
    after_last = check_history_recent(dodgers, after_data)

    assert inside_last == timestamps[timestamps < inside.start].max()
    assert inside_last == inside.start - pd.Timedelta(hours=1)
    assert after_last == timestamps.max()
    assert after_last == pd.Timestamp("2005-10-01 23:00", tz=dodgers.timezone)
    assert str(after_last.tz) == str(dodgers.timezone)
    assert check_history_recent(dodgers, Week(2005, 10, dodgers.timezone)) is None


def test_event_after_week_not_listed(dodgers):
    # 2005-W40 ends at midnight on Monday 10 October, when the Columbus Day holiday starts.
    week = resolve_week("next", dodgers)
    columbus = dodgers.events[dodgers.events["start"] == week.end]
    assert week.label == "2005-W40"
    assert len(columbus) == 1

    plan, usual = plan_with_usual_week(dodgers, week)

    assert plan.events.empty
    assert usual.events.empty
    assert pd.Timestamp(week.end) not in set(plan.forecast["timestamp"])
