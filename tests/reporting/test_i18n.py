"""Tests of the translations, the message catalog and the Babel formatting helpers."""

from __future__ import annotations

import re
import string
import tomllib
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.messages.pofile import read_po

import planner
from planner.inputs import InputError
from planner.inputs.settings import load_settings
from planner.inputs.tables import read_events, read_venues
from planner.messages import EXTRACTION_KEYWORDS, Message, Region, translatable, translatable_plural
from planner.reporting import i18n
from planner.reporting.i18n import (
    cli_messages,
    format_date,
    format_datetime,
    format_number,
    format_percent,
    label_message,
    localize_text,
    render_message,
    translate_sources,
    translate_value,
    translations,
)
from tests.conftest import BUNDLED_DATA

PACKAGE_DIR = Path(planner.__file__).parent
REPORTING_DIR = Path(i18n.__file__).parent
PO_PATH = REPORTING_DIR / "locales" / "fr" / "LC_MESSAGES" / "planner.po"
NARROW_NO_BREAK_SPACE = "\u202f"
NO_BREAK_SPACES = ("\u00a0", NARROW_NO_BREAK_SPACE)
# A field of a message, ``{name:.1f}`` or ``%(name)s``, whose format spec may contain a colon.
FIELD_PATTERN = re.compile(r"\{[^{}]*\}|%\([^)]*\)[a-z]")
# French punctuation that takes a no-break space before it: ; : ! ? followed by a space, a quote or the end.
# A colon inside a word, a time (18:00) or a URL (tcp://host:8786) is followed by neither.
HIGH_PUNCTUATION = re.compile(r"[;:!?](?=[\s\"»)]|$)")
# A French translation may quote a ``{name!r}`` field in guillemets, « {name} », in place of Python's quotes.
GUILLEMET_FIELD = re.compile(r"«\u00a0\{(\w+)\}\u00a0»")


def _used_message_ids() -> dict[str, str | tuple[str, str]]:
    """Return every message id that the package's code and templates use, singular id to full id.

    A counted message's full id is its (singular, plural) pair.
    """
    keywords = {**DEFAULT_KEYWORDS, **EXTRACTION_KEYWORDS}
    message_ids: dict[str, str | tuple[str, str]] = {}
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        for _line, message, _comments, _context in extract_from_file("python", path, keywords=keywords):
            message_ids[message[0] if isinstance(message, tuple) else message] = message
    for template in sorted((REPORTING_DIR / "templates").glob("*.j2")):
        extracted = extract_from_file("jinja2.ext:babel_extract", template, options={"extensions": "jinja2.ext.i18n"})
        for _line, message, _comments, _context in extracted:
            message_ids[message[0] if isinstance(message, tuple) else message] = message
    return message_ids


def _catalog():
    with PO_PATH.open("rb") as handle:
        return read_po(handle, locale="fr")


def _fields(text: str) -> list[str]:
    """Return the replacement fields of a message, ``{name:spec}`` or ``%(name)s``, sorted."""
    if "%(" in text:
        return sorted(part.split(")")[0] for part in text.split("%(")[1:])
    return sorted(f"{name}:{spec}!{conversion}" for _, name, spec, conversion in string.Formatter().parse(text)
                  if name is not None)


def test_po_translates_every_used_message():
    catalog = _catalog()
    used = _used_message_ids()

    assert len(used) > 350
    untranslated = sorted(message for message in used if message not in catalog or not catalog[message].string)
    assert untranslated == []
    fuzzy = sorted(message.id for message in catalog if message.id and message.fuzzy)
    assert fuzzy == []


def test_po_plural_entries_complete():
    catalog = _catalog()
    for singular, full_id in _used_message_ids().items():
        if isinstance(full_id, tuple):
            entry = catalog[singular]
            assert entry.pluralizable, singular
            assert entry.id[1] == full_id[1]
            assert len(entry.string) == catalog.num_plurals
            assert all(entry.string), singular


def test_po_keeps_placeholders():
    for message in _catalog():
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for translated in strings:
            assert _fields(GUILLEMET_FIELD.sub(r"{\1!r}", translated)) == _fields(ids[-1]), message.id


def test_po_french_has_no_python_quotes():
    quoted = []
    for message in _catalog():
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        quoted += [translated for translated in strings if "!r}" in translated]

    assert quoted == []


def _french_typography_errors(text: str) -> list[str]:
    """Return each high punctuation mark or guillemet of a French text that lacks its no-break space.

    Each error is the mark with the 12 characters before it.
    """
    # Each field stands for a word, so that "{value} ;" is checked like "12 ;".
    plain = FIELD_PATTERN.sub("x", text)
    errors = []
    for match in HIGH_PUNCTUATION.finditer(plain):
        if match.start() > 0 and plain[match.start() - 1] not in NO_BREAK_SPACES:
            errors.append(plain[max(0, match.start() - 12):match.end()])
    for match in re.finditer(r"« |«(?=\w)| »|(?<=\w)»", plain):
        errors.append(plain[max(0, match.start() - 12):match.end()])
    return errors


def test_po_french_no_break_spaces():
    errors = {}
    for message in _catalog():
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        found = [error for translated in strings for error in _french_typography_errors(translated)]
        if found:
            errors[message.id if isinstance(message.id, str) else message.id[0]] = found
    assert errors == {}


# The bundled settings files and the converter's templates of them. The test reads a template's ${name} as 0.
BUNDLED_SETTINGS = sorted([*BUNDLED_DATA.glob("*/settings.toml"), *BUNDLED_DATA.glob("templates/*/settings.toml.in")])


@pytest.mark.parametrize("path", BUNDLED_SETTINGS, ids=lambda path: str(path.relative_to(BUNDLED_DATA)))
def test_bundled_french_no_break_spaces(path):
    text = re.sub(r"\$\{\w+\}", "0", path.read_text(encoding="utf-8"))
    french = tomllib.loads(text)["translations"]["fr"]

    assert len(french) > 20
    errors = {english: found for english, translated in french.items()
              if (found := _french_typography_errors(translated))}
    assert errors == {}


def test_french_typography_check_finds_errors():
    assert _french_typography_errors("Erreur : {message}") == ["Erreur :"]
    assert _french_typography_errors("produit; le rapport") == ["produit;"]
    assert _french_typography_errors("poste « %(shift)s »") == ["poste « ", "poste « x »"]
    assert _french_typography_errors("Erreur\u00a0: {message}, à 18:00 ; {value:.1f}\u202f!") == [" x, à 18:00 ;"]
    assert _french_typography_errors("tcp://10.0.0.5:8786\u202f; {name:>5}\u00a0: x") == []


def test_render_message_french_numbers_and_plural():
    one = translatable_plural("{measure}: {count} gap of missing hours, {hours} cell hours ({listed})",
                              "{measure}: {count} gaps of missing hours, {hours} cell hours ({listed})",
                              1, measure="calls", hours=1234, listed=["cell-a"])
    many = translatable_plural("{measure}: {count} gap of missing hours, {hours} cell hours ({listed})",
                               "{measure}: {count} gaps of missing hours, {hours} cell hours ({listed})",
                               3, measure="calls", hours=1234, listed=["cell-a", "cell-b"])

    assert str(one) == "calls: 1 gap of missing hours, 1234 cell hours (cell-a)"
    assert render_message(one, "fr") == f"calls\u00a0: 1 trou d’heures manquantes, 1{NARROW_NO_BREAK_SPACE}234 heures-cellules (cell-a)"
    assert render_message(many, "fr") == ("calls\u00a0: 3 trous d’heures manquantes, "
                                          f"1{NARROW_NO_BREAK_SPACE}234 heures-cellules (cell-a, cell-b)")
    assert render_message(many, "en") == "calls: 3 gaps of missing hours, 1,234 cell hours (cell-a, cell-b)"


def test_render_message_nested_dates_and_decimals():
    first = pd.Timestamp("2024-01-10 01:00", tz="Europe/Paris")
    gap = translatable("{cell} {first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M} ({hours} h)", cell="cell-a",
                       first=first, last=first + pd.Timedelta(hours=4), hours=5)
    note = translatable("{event}: moves along a {length_km:,.1f} km route; the march is {march_m:,.0f} m "
                        "from head to tail (an assumed {density:g} people per m² over {width_m:g} m), "
                        "each cell within {radius:,.0f} m loaded while it passes, with the peak effect of "
                        "{source}", event="march", length_km=5.25, march_m=12500.4, density=1.5,
                        width_m=20, radius=800, source=translatable("past {kind} events", kind="demonstration"))

    assert str(gap) == "cell-a 2024-01-10 01:00 to 2024-01-10 05:00 (5 h)"
    assert render_message(gap, "fr") == "cell-a du 10 janv. 2024 01:00 au 10 janv. 2024 05:00 (5 h)"
    assert render_message(note, "fr").startswith(f"march\u00a0: se déplace sur un parcours de 5,2 km\u202f; le cortège mesure "
                                                 f"12{NARROW_NO_BREAK_SPACE}500 m")
    assert render_message(note, "fr").endswith("(densité supposée de 1,5 par m² sur 20 m de large)\u202f; chaque "
                                               "cellule à moins de 800 m est chargée pendant son passage, avec "
                                               "l’effet de pointe appris sur des événements passés de type "
                                               "demonstration")
    assert render_message("plain text, not a message", "fr") == "plain text, not a message"


def test_render_message_keeps_signs():
    later = translatable("the time of day of the traffic drifts by {drift:+.1f} min a day in the data; the baseline "
                         "reads each past week at the drifted time", drift=8.64)
    earlier = translatable("the time of day of the traffic drifts by {drift:+.1f} min a day in the data; the baseline "
                           "reads each past week at the drifted time", drift=-8.64)

    assert str(later).startswith("the time of day of the traffic drifts by +8.6 min a day")
    assert render_message(later, "fr").startswith("l’heure du trafic dérive de +8,6 min par jour")
    assert render_message(earlier, "fr").startswith("l’heure du trafic dérive de -8,6 min par jour")
    assert render_message(earlier, "en").startswith("the time of day of the traffic drifts by -8.6 min a day")


def test_message_keeps_template_through_pickle():
    import pickle

    note = translatable("occurrences cancelled by EXDATE: {count}", count=2)
    copy = pickle.loads(pickle.dumps(note))

    assert isinstance(copy, Message)
    assert copy == "occurrences cancelled by EXDATE: 2"
    assert render_message(copy, "fr") == "occurrences annulées par EXDATE\u00a0: 2"


def test_translate_sources_counted_list():
    assert translate_sources("72 events: dodgers-2005-04-12 ... dodgers-2005-09-14", "fr") == (
        "72 événements\u00a0: dodgers-2005-04-12 ... dodgers-2005-09-14")
    assert translate_sources("a, b", "fr") == "a, b"


def test_translations_french_and_english():
    assert translations("fr").gettext("Events of the week") == "Événements de la semaine"
    assert translations("en").gettext("Events of the week") == "Events of the week"


def test_translations_unsupported_language():
    with pytest.raises(ValueError, match="supported languages: fr, en"):
        translations("de")


def test_cli_messages_french():
    gettext = cli_messages("fr")
    assert gettext("Report written to {path}").format(path="reports/x") == "Rapport écrit dans reports/x"
    assert gettext("Error: {message}").format(message="boom") == "Erreur\u00a0: boom"
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
    assert "sur le poste «\u00a0" in page


@pytest.mark.parametrize(("value", "lang", "expected"), [
    (1e300, "fr", "1E300"),
    (-1.5e20, "en", "-1.5E20"),
    (1e15, "en", "1E15"),
    (999_999_999_999_999.0, "en", "999,999,999,999,999"),
    (123_456_789.0, "fr", "123\u202f456\u202f789"),
])
def test_format_number_huge_values_scientific(value, lang, expected):
    assert format_number(value, lang) == expected


def test_format_percent_huge_value_no_error():
    assert format_percent(1e300, "fr", decimals=1) == "1E302\u00a0%"


def test_format_date_first_of_month_ordinal_in_french():
    assert format_date(date(2013, 12, 1), "fr") == "dimanche 1er décembre 2013"
    assert format_date(date(2013, 12, 11), "fr") == "mercredi 11 décembre 2013"
    assert format_date(date(2013, 12, 1), "en") == "Sunday, December 1, 2013"


def test_first_of_month_ordinal_every_french_format():
    first = pd.Timestamp("2013-12-01 15:00", tz="Europe/Rome")

    assert format_date(first, "fr", format="medium") == "1er déc. 2013"
    assert format_datetime(first, "fr") == "dim. 1er déc. 15:00"
    assert format_datetime(first + pd.Timedelta(days=10), "fr") == "mer. 11 déc. 15:00"
    assert format_date(first, "fr", format="short") == "01/12/2013"
    assert format_datetime(first, "en") == "Sun 1 Dec 15:00"


def test_localize_text_numbers_and_dates():
    text = "San Siro 80018, from 37.8 to 15252.8 over 2013-11-04 to 2013-11-17, rounded to 0.1"

    assert localize_text(text, "fr") == ("San Siro 80\u202f018, from 37,8 to 15\u202f252,8 over 4 nov. 2013 "
                                         "to 17 nov. 2013, rounded to 0,1")
    assert localize_text(text, "en") == ("San Siro 80,018, from 37.8 to 15,252.8 over Nov 4, 2013 "
                                         "to Nov 17, 2013, rounded to 0.1")


def test_localize_text_keeps_ids_years_and_times():
    text = "square 5641 in 2013 at 22:00, version 0.1.0, key capacity_internet, 1,5 fois, row 12345-A"

    assert localize_text(text, "fr") == text


def test_label_message_measure_and_kind(make_plan):
    settings = make_plan().dataset.settings
    note = translatable("{event}: no past {kind} event in the history of {measure}; no uplift is forecast for it",
                        event="E1", kind="holiday", measure="traffic")
    quoted = translatable("settings.toml declares the measure {measure!r}", measure="traffic")

    assert render_message(label_message(note, settings, "en"), "en") == (
        "E1: no past public holiday event in the history of Data traffic; no uplift is forecast for it")
    assert "jour férié" in render_message(label_message(note, settings, "fr"), "fr")
    assert render_message(label_message(quoted, settings, "en"), "en") == (
        "settings.toml declares the measure 'traffic'")
    assert label_message("plain text", settings, "fr") == "plain text"


def test_region_field_country_names():
    message = translatable("{place}: {problem}", place=Region("us", "CA"), problem="p")
    unknown = translatable("{place}: {problem}", place=Region("QQ", "X"), problem="p")

    assert str(message) == "United States (CA): p"
    assert render_message(message, "fr") == "États-Unis (CA)\u00a0: p"
    assert render_message(unknown, "fr") == "QQ (X)\u00a0: p"


def test_french_venue_note_names_lieu_in_guillemets():
    # "site" is a cell site in telecom, so the French notes call an event's venue "lieu".
    source = translatable("past {kind} events at other venues", kind="demonstration")
    borrowed = translatable("{event}: no history at venue {venue!r}; its uplift on {measure} is borrowed from {source} "
                            "and {footprint} (an assumed footprint)", event="march", venue="nation",
                            measure="Activité Internet", source=source, footprint="y")
    french = render_message(borrowed, "fr")

    assert french.startswith("march\u00a0: aucun historique pour le lieu «\u00a0nation\u00a0»\u202f; ")
    assert "des événements passés de type demonstration dans d’autres lieux" in french
    assert "'nation'" not in french
    assert "site" not in french
    assert str(borrowed).startswith("march: no history at venue 'nation'; ")


def test_french_measure_name_after_de_reads():
    # A measure label may start with a vowel ("Activité Internet"), where "de Activité" would need elision.
    no_history = translatable("{event}: no past {kind} event in the history of {measure}; no uplift is forecast for it",
                              event="fuorisalone", kind="fair", measure="Activité Internet")
    borrowed = translatable("{event}: no history at venue {venue!r}; its uplift on {measure} is borrowed from {source} "
                            "and {footprint} (an assumed footprint)", event="fuorisalone", venue="tortona",
                            measure="Activité Internet", source="x", footprint="y")

    assert "dans l’historique de la mesure Activité Internet" in render_message(no_history, "fr")
    assert "son surcroît sur la mesure Activité Internet" in render_message(borrowed, "fr")


def test_unknown_venue_error_french_guillemets(bad_data):
    settings = load_settings(bad_data / "settings.toml")
    venues = read_venues(bad_data / "venues.csv")[0]
    with pytest.raises(InputError) as caught:
        read_events(bad_data / "events_unknown_venue.csv", settings, venues)
    [problem] = caught.value.problems
    french = render_message(problem.describe(), "fr")

    assert french == (f"{bad_data / 'events_unknown_venue.csv'}, ligne 2, colonne «\u00a0venue_id\u00a0» "
                      "(valeur «\u00a0stade-de-france\u00a0»)\u00a0: venue_id inconnu\u202f; ajoutez le lieu à "
                      "venues.csv, ou laissez venue_id vide pour un événement qui couvre toute la zone")
    assert str(problem).startswith(f"{bad_data / 'events_unknown_venue.csv'}, line 2, column 'venue_id' "
                                   "(value 'stade-de-france'): unknown venue_id")


def test_guillemet_field_number_as_written():
    # A value copied from a file keeps the digits it was written with, not Babel's grouping.
    count = translatable("line {row}: {value!r}", row=6, value=4360700000)
    text = translatable("line {row}: {value!r}", row=6, value="n/a")

    assert render_message(count, "fr") == "ligne 6\u00a0: «\u00a04360700000\u00a0»"
    assert render_message(count, "en") == "line 6: 4360700000"
    assert render_message(text, "fr") == "ligne 6\u00a0: «\u00a0n/a\u00a0»"
    assert render_message(text, "en") == "line 6: 'n/a'"
