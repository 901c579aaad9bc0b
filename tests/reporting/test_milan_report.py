"""The French report of the bundled Milan demo week, as a French planner reads it: HTML and workbook."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from planner.decisions.plan import WeeklyPlan, plan_week
from planner.forecasting.model import BAND_CEILING
from planner.inputs import load_dataset, parse_week
from planner.reporting import summary, write_report
from planner.reporting.xlsx_format import DATE_FORMAT, DATETIME_FORMAT, PERCENT_FORMAT
from tests.conftest import BUNDLED_DATA

NARROW_NO_BREAK_SPACE = "\u202f"


@pytest.fixture(scope="module")
def milan_plan() -> WeeklyPlan:
    dataset = load_dataset(BUNDLED_DATA / "milan")
    return plan_week(dataset, parse_week("2013-W48", dataset.timezone))


@pytest.fixture(scope="module")
def milan_folder(milan_plan, tmp_path_factory) -> Path:
    return write_report(milan_plan, tmp_path_factory.mktemp("milan"), lang="fr", with_pdf=False)


@pytest.fixture(scope="module")
def milan_page(milan_folder) -> str:
    return (milan_folder / "report.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def milan_workbook(milan_folder) -> openpyxl.Workbook:
    return openpyxl.load_workbook(milan_folder / "report.xlsx")


def test_html_assumptions_french_numbers(milan_page):
    assert f"80{NARROW_NO_BREAK_SPACE}018 places" in milan_page
    assert f"(de 37,8 à 15{NARROW_NO_BREAK_SPACE}252,8, médiane 607,3)" in milan_page
    assert "du 4 nov. 2013 au 17 nov. 2013" in milan_page
    assert "607.3" not in milan_page


def test_html_notes_show_measure_label(milan_page):
    assert "la charge des équipes suit la mesure Activité Internet du réseau" in milan_page
    assert "la mesure internet" not in milan_page


def test_html_extra_units_plural(milan_page):
    assert "ajouter 4 renforts (porteuse temporaire) avant le lun. 25 nov. 00:00." in milan_page
    assert "ajouter 1 renfort (porteuse temporaire)" in milan_page
    assert "× porteuse temporaire" not in milan_page


def test_html_first_of_month_ordinal(milan_page):
    assert "dim. 1er déc. 15:00" in milan_page
    assert "dim. 1 déc." not in milan_page


def test_xlsx_times_and_dates_typed(milan_workbook):
    forecast = milan_workbook["Prévision"]
    staffing = milan_workbook["Effectifs"]

    assert forecast["C1"].value == "Heure (Europe/Rome)"
    assert forecast["C2"].value == datetime(2013, 11, 25, 0, 0)
    assert forecast["C2"].number_format == DATETIME_FORMAT
    assert staffing["A1"].value == "Jour"
    assert staffing["A2"].value == datetime(2013, 11, 24, 0, 0)
    assert staffing["A2"].number_format == DATE_FORMAT


def test_xlsx_number_formats(milan_workbook):
    forecast = milan_workbook["Prévision"]
    capacity = milan_workbook["Capacité"]
    headers = {cell.value: cell.column_letter for cell in capacity[1]}
    utilisation = capacity[f"{headers['Utilisation p90']}2"]
    threshold = capacity[f"{headers['Seuil']}2"]

    assert forecast["A2"].value == 1094
    assert forecast["A2"].number_format == "0"
    assert forecast["F2"].number_format == "#,##0.00"
    assert utilisation.value == pytest.approx(0.8188)
    assert utilisation.number_format == PERCENT_FORMAT
    assert threshold.number_format == PERCENT_FORMAT
    assert capacity[f"{headers['Unités supplémentaires']}2"].number_format == "#,##0"


def test_xlsx_layout_frozen_and_widths(milan_workbook):
    forecast = milan_workbook["Prévision"]

    assert forecast.freeze_panes == "A2"
    assert forecast.column_dimensions["C"].width == pytest.approx(21)
    assert forecast.column_dimensions["A"].width >= 8


def test_xlsx_empty_sheets_explained(milan_workbook):
    actions = milan_workbook["Actions par événement"]
    voice = milan_workbook["Canaux voix"]

    assert actions.max_row == 2
    assert actions["A2"].value == ("Aucune cellule n’est à risque pendant un événement cette semaine\u00a0: "
                                   "aucun événement ne demande d’action.")
    assert voice["A2"].value == "Aucune mesure n’est en Erlangs\u00a0: aucun canal voix n’est dimensionné."


def test_xlsx_labels_not_ids(milan_workbook):
    model = milan_workbook["Modèle de calcul des effectifs"]
    quality = milan_workbook["Qualité des données"]

    assert model["C1"].value == "Mesure de référence"
    assert model["C2"].value == "Activité Internet"
    assert quality["G1"].value == "Valeurs manquantes"
    assert quality["G2"].value == "Activité Internet\u00a0: 0"


def test_xlsx_assumptions_sheet(milan_workbook):
    rows = list(milan_workbook["Hypothèses"].iter_rows(values_only=True))
    reasons = dict(rows[1:])

    assert rows[0] == ("Paramètre", "Raison")
    assert len(reasons) == 22
    assert reasons["venues.csv:capacity_people"].startswith(f"Capacité assise de San Siro\u00a0: 80{NARROW_NO_BREAK_SPACE}018")
    assert reasons["staffing.shrinkage"].endswith(
        "absences\u00a0: c’est un chiffre de planification courant, mais il n’a été mesuré pour aucune équipe.")


def test_flat_p90_cells_at_cap(milan_plan):
    flat = summary.flat_p90_cells(milan_plan)

    assert list(flat["cell_id"]) == ["5641", "5194"]
    assert list(flat["flat_hours"]) == [167, 6]
    assert list(flat["hours"]) == [168, 168]
    # Square 5641's highest event-free hour of the error sample is 871.205.
    assert flat.loc[0, "p90"] == pytest.approx(BAND_CEILING * 871.205)


def test_capacity_actions_mark_capped_p90(milan_plan):
    actions = summary.capacity_actions(milan_plan)
    capped = actions[actions["flat_p90"]]

    assert list(capped["cell_id"]) == ["5641", "5194"]
    assert not actions.loc[~actions["cell_id"].isin(["5641", "5194"]), "flat_p90"].any()


def test_html_says_band_capped(milan_page):
    assert milan_page.count("p90 plafonnée</small>") == 2
    assert "Cette p90 a la même valeur pendant 167 des 168 heures de la semaine" in milan_page
    assert "5641, Activité Internet (167 heures sur 168)\u202f; 5194, Activité Internet (6 heures sur 168)" in milan_page


def test_partial_shifts_marked(milan_folder, milan_page):
    staffing = pd.read_csv(milan_folder / "staffing.csv")
    partial = staffing[staffing["partial_shift"]]
    # The week's first night shift started on Sunday evening and its last one ends on the next Monday.
    assert set(partial["shift"]) == {"night"}
    assert sorted(set(partial["hours_covered"])) == [2.0, 6.0]
    assert "(partiel, 6 h dans la semaine)" in milan_page
    assert "(partiel, 2 h dans la semaine)" in milan_page
