"""Tests of the usual week and the staffing changes on the report's first page."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.decisions.plan import plan_week
from planner.inputs import load_dataset
from planner.inputs.weeks import resolve_week
from planner.reporting import html, summary

BUNDLED_DATA = Path(__file__).resolve().parents[2] / "data"


@pytest.fixture(scope="module")
def san_siro_match_week():
    """The San Siro week with the AC Milan – Genoa match of Saturday 23 November 2013, and its usual week."""
    folder = BUNDLED_DATA / "san-siro"
    if not (folder / "settings.toml").is_file():
        pytest.skip("bundled dataset data/san-siro is not there")
    dataset = load_dataset(folder)
    plan = plan_week(dataset, resolve_week("2013-W47", dataset))
    return plan, summary.usual_week_plan(plan)


def test_usual_week_plan_has_no_event(san_siro_match_week):
    plan, usual = san_siro_match_week

    assert not plan.events.empty
    assert usual.events.empty
    assert (usual.forecast["p50"] == usual.forecast["baseline"]).all()
    assert list(usual.staffing[["date", "shift", "role"]].itertuples(index=False)) == list(
        plan.staffing[["date", "shift", "role"]].itertuples(index=False))


def test_staffing_changes_match_day_real(san_siro_match_week):
    plan, usual = san_siro_match_week
    changes = summary.staffing_changes(plan, usual.staffing)

    assert not changes.empty
    assert (changes["change"] != 0).all()
    assert (changes["change"] == changes["required_staff"] - changes["usual_staff"]).all()
    # The match raises the staff only around the match day, never lowers it.
    assert (changes["change"] > 0).all()
    assert {str(day) for day in changes["date"]} <= {"2013-11-23", "2013-11-24"}
    assert "2013-11-23" in {str(day) for day in changes["date"]}


def test_staffing_changes_synthetic_shift(make_plan):
    plan = make_plan()
    usual = plan.staffing.copy()
    usual.loc[usual.index[0], "required_staff"] = usual["required_staff"].iloc[0] - 2
    usual = usual.drop(index=usual.index[1])

    changes = summary.staffing_changes(plan, usual)

    first, second = plan.staffing.iloc[0], plan.staffing.iloc[1]
    assert len(changes) == 2
    assert changes.iloc[0]["change"] == 2
    assert changes.iloc[0]["role"] == first["role"]
    # A shift absent from the usual week counts as 0 usual staff.
    assert changes.iloc[1]["usual_staff"] == 0
    assert changes.iloc[1]["change"] == second["required_staff"]


def test_first_page_lists_staffing_changes_french(san_siro_match_week):
    plan, usual = san_siro_match_week
    page = html.render_html(plan, "fr", usual_staffing=usual.staffing)
    summary_section = page.split('<section id="events">')[0]

    assert "Effectifs par rapport à une semaine habituelle" in summary_section
    assert "sam. 23 nov." in summary_section
    assert 'class="number change-up">+' in summary_section


def test_first_page_without_usual_week(make_plan):
    page = html.render_html(make_plan(), "en")

    assert "The usual week was not computed" in page
