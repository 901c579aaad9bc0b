"""Public holidays as area-wide events."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from planner.inputs import load_dataset
from planner.inputs.holidays import holiday_events
from planner.reporting.i18n import render_message
from tests.conftest import BAD_DATA

PARIS = ZoneInfo("Europe/Paris")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")


def test_holidays_us_2005_known_days():
    events = holiday_events("US", "CA", date(2005, 1, 1), date(2005, 12, 31), LOS_ANGELES)

    assert "holiday-2005-07-04" in set(events["event_id"])
    assert "holiday-2005-09-05" in set(events["event_id"])
    labor_day = events.set_index("event_id").loc["holiday-2005-09-05"]
    assert labor_day["name"] == "Labor Day"
    assert labor_day["kind"] == "holiday"
    assert labor_day["venue_id"] == ""
    assert labor_day["source"] == "holidays"
    assert labor_day["start"] == pd.Timestamp("2005-09-05 00:00", tz="America/Los_Angeles")
    assert labor_day["end"] == pd.Timestamp("2005-09-06 00:00", tz="America/Los_Angeles")
    assert pd.isna(labor_day["expected_attendance"])


def test_holidays_fr_2024_bastille_day():
    events = holiday_events("FR", "", date(2024, 1, 1), date(2024, 12, 31), PARIS)

    bastille_day = events.set_index("event_id").loc["holiday-2024-07-14"]
    assert bastille_day["start"] == pd.Timestamp("2024-07-14 00:00", tz="Europe/Paris")
    assert len(events) == 11


def test_holidays_fr_match_published_list(shared_data):
    published = pd.read_csv(shared_data / "france_events" / "french_public_holidays_2013_2030.csv")
    metropolitan = published[published["scope"] == "metropolitan France"]
    expected = set(metropolitan.loc[metropolitan["date"].str.startswith(("2023", "2024")), "date"])

    events = holiday_events("FR", "", date(2023, 1, 1), date(2024, 12, 31), PARIS)

    assert set(events["start"].dt.strftime("%Y-%m-%d")) == expected


def test_holidays_span_bounds_inclusive():
    start = pd.Timestamp("2024-07-14 23:30", tz="Europe/Paris")
    end = pd.Timestamp("2024-08-15 00:00", tz="Europe/Paris")

    events = holiday_events("FR", "", start, end, PARIS)

    assert list(events["event_id"]) == ["holiday-2024-07-14", "holiday-2024-08-15"]


def test_holidays_empty_country_none():
    events = holiday_events("", "", date(2024, 1, 1), date(2024, 12, 31), PARIS)

    assert events.empty
    assert "source" in events.columns


def test_holidays_unknown_country_raises():
    with pytest.raises(ValueError, match="no calendar for country 'ZZ'"):
        holiday_events("ZZ", "", date(2024, 1, 1), date(2024, 12, 31), PARIS)


@pytest.mark.parametrize("lang_variable", ["C.UTF-8", "en_US.UTF-8", "fr_FR.UTF-8"])
def test_holiday_names_ignore_machine_locale(monkeypatch, lang_variable):
    monkeypatch.setenv("LANG", lang_variable)
    timezone = ZoneInfo("Europe/Paris")

    events = holiday_events("FR", "", date(2024, 7, 1), date(2024, 8, 31), timezone)

    assert list(events["name"]) == ["Fête nationale", "Assomption"]


@pytest.mark.parametrize(("country", "subdivision", "french", "english"), [
    ("IT", "MI", "jours fériés de la zone Italie (MI)\u00a0: 4 ajoutés", "added 4 public holidays of Italy (MI)"),
    ("FR", "", "jours fériés de la zone France\u00a0: 5 ajoutés", "added 5 public holidays of France"),
])
def test_holiday_note_names_country(dataset_folder, country, subdivision, french, english):
    # The synthetic traffic is on 31 March 2024 (Easter), so the holidays are looked up to 30 May 2024: in Italy Easter,
    # Easter Monday, 25 April and 1 May. In France Easter Monday, 1 and 8 May, Ascension Day and Whit Monday.
    settings = (BAD_DATA / "settings.toml").read_text(encoding="utf-8")
    settings = settings.replace('country = ""', f'country = "{country}"\nsubdivision = "{subdivision}"')
    dataset = load_dataset(dataset_folder(settings=settings))
    notes = [note for table in dataset.quality.tables for note in table.notes if "public holidays" in note]

    assert len(notes) == 1
    assert render_message(notes[0], "fr").startswith(french)
    assert render_message(notes[0], "en").startswith(english)
    assert notes[0].startswith(english)
