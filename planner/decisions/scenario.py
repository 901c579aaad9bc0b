"""Scenarios: hypothetical events laid over a week's calendar, and the plan with and without them.

A scenario file has the format of ``events.csv``. A row whose ``event_id``
is in the calendar replaces that event (a match moved to another day, a
crowd twice as large); any other row is added (an unannounced
demonstration). The calendar file itself is never changed.
"""

from __future__ import annotations

import logging

import pandas as pd

from planner.decisions.plan import WeeklyPlan, plan_week
from planner.inputs.dataset import Dataset
from planner.inputs.weeks import Week

logger = logging.getLogger(__name__)

COMPARISON_COLUMNS = ["indicator", "role", "without_scenario", "with_scenario", "change"]
CHANGE_COLUMNS = ["event_id", "name", "change", "start", "expected_attendance"]


def apply_scenario(calendar: pd.DataFrame, scenario: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the calendar with the scenario's events, and one row per scenario event saying what it did.

    Returns
    -------
    events : DataFrame
        The columns of ``Dataset.events``, sorted by start; scenario rows
        have ``source`` = ``"scenario"``.
    changes : DataFrame
        ``CHANGE_COLUMNS``; ``change`` is ``"replaced"`` or ``"added"``.
    """
    scenario = scenario.assign(source="scenario")
    replaced = scenario["event_id"].isin(set(calendar["event_id"]))
    changes = scenario.assign(change=replaced.map({True: "replaced", False: "added"}))[CHANGE_COLUMNS]
    kept = calendar[~calendar["event_id"].isin(set(scenario["event_id"]))]
    events = pd.concat([kept, scenario[calendar.columns.intersection(scenario.columns)]], ignore_index=True)
    events = events.sort_values(["start", "event_id"], kind="stable").reset_index(drop=True)
    logger.info("scenario: %d events replaced, %d added", int(replaced.sum()), int((~replaced).sum()))
    return events, changes.reset_index(drop=True)


def plan_scenario(dataset: Dataset, week: Week, scenario: pd.DataFrame) -> tuple[WeeklyPlan, WeeklyPlan, pd.DataFrame]:
    """Plan a week without and with a scenario; return both plans and the scenario's changes."""
    without = plan_week(dataset, week)
    events, changes = apply_scenario(dataset.events, scenario)
    with_scenario = plan_week(dataset, week, scenario_events=events, log_warnings=False)
    return without, with_scenario, changes


def compare_plans(without: WeeklyPlan, with_scenario: WeeklyPlan) -> pd.DataFrame:
    """Return the headline figures of two plans of the same week side by side.

    Columns ``COMPARISON_COLUMNS``. Indicators: ``events`` (events of the
    week), ``cells_add`` and ``cells_watch`` (cells whose worst hour is at
    that action), ``add_cell_hours`` and, per role, ``staff_shifts`` (the
    sum over the week's shifts of the staff required).
    """
    rows = []
    for indicator, measure in (("events", _event_count), ("cells_add", _cells_at("add")),
                               ("cells_watch", _cells_at("watch")), ("add_cell_hours", _add_cell_hours)):
        rows.append((indicator, "", measure(without), measure(with_scenario)))
    roles = sorted(set(without.staffing.get("role", [])) | set(with_scenario.staffing.get("role", [])))
    for role in roles:
        rows.append(("staff_shifts", role, _staff_shifts(without, role), _staff_shifts(with_scenario, role)))
    table = pd.DataFrame(rows, columns=COMPARISON_COLUMNS[:4])
    table["change"] = table["with_scenario"] - table["without_scenario"]
    return table


def _event_count(plan: WeeklyPlan) -> int:
    return int(plan.events["event_id"].nunique()) if not plan.events.empty else 0


def _cells_at(action: str):
    def count(plan: WeeklyPlan) -> int:
        capacity = plan.capacity
        risky = capacity[capacity["action"].isin(("add", "watch"))]
        worst = risky.groupby("cell_id")["action"].agg(lambda actions: "add" if (actions == "add").any() else "watch")
        return int((worst == action).sum())
    return count


def _add_cell_hours(plan: WeeklyPlan) -> int:
    return int((plan.capacity["action"] == "add").sum())


def _staff_shifts(plan: WeeklyPlan, role: str) -> int:
    staffing = plan.staffing
    if staffing.empty:
        return 0
    return int(staffing.loc[staffing["role"] == role, "required_staff"].sum())
