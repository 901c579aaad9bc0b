"""The French report on the bundled real data: every note and settings text is in French."""

from __future__ import annotations

import pytest
from markupsafe import escape

from planner.decisions.plan import WeeklyPlan, plan_week
from planner.inputs import load_dataset, parse_week
from planner.messages import Message
from planner.reporting.html import render_html
from planner.reporting.i18n import label_message, render_message
from tests.conftest import BUNDLED_DATA


@pytest.fixture(scope="module")
def dodgers_plan() -> WeeklyPlan:
    dataset = load_dataset(BUNDLED_DATA / "dodgers")
    return plan_week(dataset, parse_week("2005-W38", dataset.timezone))


@pytest.fixture(scope="module")
def french_page(dodgers_plan) -> str:
    return render_html(dodgers_plan, lang="fr")


def _shown_notes(plan: WeeklyPlan) -> list[str]:
    quality = plan.dataset.quality
    return [*plan.notes, *quality.notes, *(note for table in quality.tables for note in table.notes)]


def test_notes_are_messages(dodgers_plan):
    notes = _shown_notes(dodgers_plan)

    assert len(notes) >= 5
    assert [note for note in notes if not isinstance(note, Message)] == []


def test_french_report_shows_notes_in_french(dodgers_plan, french_page):
    settings = dodgers_plan.dataset.settings
    for note in _shown_notes(dodgers_plan):
        french = str(escape(render_message(label_message(note, settings, "fr"), "fr")))
        english = str(escape(render_message(label_message(note, settings, "en"), "en")))

        assert french != english, note
        assert french in french_page, note
        assert english not in french_page, note


def test_french_report_notes_keep_facts(dodgers_plan):
    staffing_note = next(note for note in dodgers_plan.notes if note.template.startswith("staffing workload"))
    french = render_message(staffing_note, "fr")

    assert "247,3 par heure" in french
    assert "2005-W38" in french


def test_french_report_notes_show_measure_label(french_page):
    assert "suit la mesure Voitures entrant sur l’autoroute du réseau" in french_page
    assert "la mesure cars" not in french_page


def test_french_report_settings_texts(french_page):
    assert "Voitures entrant sur l’autoroute (voitures)" in french_page
    assert "Cars entering the freeway" not in french_page
    assert "feu de régulation de la bretelle coupé" in french_page
    assert "Règle de planification\u00a0: agir quand la prévision p90" in french_page
    assert "Planning rule:" not in french_page
    assert 'lang="en"' not in french_page


def test_english_report_keeps_english_texts(dodgers_plan):
    page = render_html(dodgers_plan, lang="en")

    assert "Cars entering the freeway (cars)" in page
    assert ("staffing workload is scaled by the network&#39;s Cars entering the freeway against its mean of 247.3 per hour"
            in page)


@pytest.mark.parametrize("name", ["milan", "san-siro", "dodgers", "paris-2023"])
def test_bundled_settings_texts_translated(name):
    from planner.inputs.settings import load_settings

    settings = load_settings(BUNDLED_DATA / name / "settings.toml")
    shown = [settings.title, *(measure.label for measure in settings.measures),
             *(measure.unit for measure in settings.measures),
             *(unit.name for unit in settings.capacity.extra_units), *settings.assumptions.values()]
    french = settings.translations["fr"]

    assert [text for text in shown if text not in french] == []
    assert [text for text in french if text not in shown] == []
