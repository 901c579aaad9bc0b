"""Tests of the translations and the Babel formatting helpers."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from planner.reporting import i18n
from planner.reporting.i18n import (
    cli_messages,
    format_date,
    format_datetime,
    format_number,
    format_percent,
    translate_value,
    translations,
)

REPORTING_DIR = Path(i18n.__file__).parent
PO_PATH = REPORTING_DIR / "locales" / "fr" / "LC_MESSAGES" / "planner.po"
NARROW_NO_BREAK_SPACE = "\u202f"


def _used_message_ids() -> set[str]:
    """Return every message id that the reporting code and the template pass to gettext."""
    message_ids: set[str] = set()
    for path in sorted(REPORTING_DIR.glob("*.py")):
        message_ids.update(message for _line, message, _comments, _context in extract_from_file("python", path))
    template = REPORTING_DIR / "templates" / "report.html.j2"
    extracted = extract_from_file("jinja2.ext:babel_extract", template, options={"extensions": "jinja2.ext.i18n"})
    message_ids.update(message for _line, message, _comments, _context in extracted)
    return message_ids


def test_po_translates_every_used_message():
    with PO_PATH.open("rb") as handle:
        catalog = read_po(handle, locale="fr")
    used = _used_message_ids()

    assert len(used) > 100
    untranslated = sorted(message for message in used if message not in catalog or not catalog[message].string)
    assert untranslated == []
    fuzzy = sorted(message.id for message in catalog if message.id and message.fuzzy)
    assert fuzzy == []


def test_po_keeps_placeholders():
    with PO_PATH.open("rb") as handle:
        catalog = read_po(handle, locale="fr")
    for message in catalog:
        if not message.id:
            continue
        for placeholder in ("%(", "{path}", "{message}"):
            assert message.id.count(placeholder) == message.string.count(placeholder), message.id


def test_translations_french_and_english():
    assert translations("fr").gettext("Events of the week") == "Événements de la semaine"
    assert translations("en").gettext("Events of the week") == "Events of the week"


def test_translations_unsupported_language():
    with pytest.raises(ValueError, match="supported languages: fr, en"):
        translations("de")


def test_cli_messages_french():
    gettext = cli_messages("fr")
    assert gettext("Report written to {path}").format(path="reports/x") == "Rapport écrit dans reports/x"
    assert gettext("Error: {message}").format(message="boom") == "Erreur : boom"
    assert cli_messages("en")("Backtest table written to {path}") == "Backtest table written to {path}"


def test_translate_value_roles_actions_shifts():
    assert translate_value("role", "supervision_engineer", "fr") == "ingénieur de supervision"
    assert translate_value("role", "customer_care_agent", "fr") == "conseiller clientèle"
    assert translate_value("action", "watch", "fr") == "à surveiller"
    assert translate_value("action", "add", "fr") == "à renforcer"
    assert translate_value("action", "ok", "fr") == "ok"
    assert translate_value("shift", "afternoon", "fr") == "après-midi"
    assert translate_value("event_kind", "holiday", "fr") == "jour férié"
    assert translate_value("role", "customer_care_agent", "en") == "customer care agent"


def test_translate_value_unknown_kept():
    assert translate_value("shift", "late_evening", "fr") == "late evening"


def test_format_number_french_grouping():
    assert format_number(1234.5, "fr") == f"1{NARROW_NO_BREAK_SPACE}234,5"
    assert format_number(1234.5, "en") == "1,234.5"
    assert format_number(2.0, "fr", decimals=2) == "2,00"
    assert format_number(float("nan"), "fr") == "–"


def test_format_percent_locales():
    assert format_percent(0.853, "fr") == "85\xa0%"
    assert format_percent(0.853, "fr", decimals=1) == "85,3\xa0%"
    assert format_percent(0.853, "en", decimals=1) == "85.3%"


def test_format_date_full_french():
    assert format_date(date(2013, 11, 16), "fr") == "samedi 16 novembre 2013"
    assert format_date(pd.Timestamp("2013-08-12 23:30", tz="Europe/Paris"), "fr") == "lundi 12 août 2013"


def test_format_datetime_local_time_zone():
    paris = pd.Timestamp("2013-08-14 20:45", tz="Europe/Paris")
    assert format_datetime(paris, "fr") == "mer. 14 août 20:45"
    los_angeles = datetime(2005, 8, 15, 19, 0, tzinfo=ZoneInfo("America/Los_Angeles"))
    assert format_datetime(los_angeles, "en") == "Mon 15 Aug 19:00"


def test_format_datetime_rejects_naive():
    with pytest.raises(ValueError, match="naive"):
        format_datetime(datetime(2013, 8, 14, 20, 45), "fr")


def test_key_figures_agree_in_number(make_plan):
    from planner.reporting.html import render_html

    page = render_html(make_plan(), lang="fr")

    assert "<strong>1</strong>événement cette semaine" in page
    assert "<strong>1</strong>cellule à renforcer" in page
    assert "<strong>0</strong>cellule à surveiller" in page
    assert "sur le poste « " in page
