"""The report's staffing model and voice channels, on a copy of the bundled San Siro data.

The copy declares the square's call activity in Erlangs and adds a
``channels_calls_sms`` column of 500 installed voice channels (the source gives
neither: both are set here so that the voice sizing has a real load profile to
work on). The copy also calibrates the customer care
role from the synthetic arrival log of the calibration tests, whose estimates
are known exactly: 3 arrivals per hour, 250 s handle time, 60 s patience.
"""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import openpyxl
import pandas as pd
import pytest

from planner.decisions.erlang import erlang_b, servers_for_blocking
from planner.decisions.plan import plan_week
from planner.inputs import load_dataset
from planner.inputs.settings import load_settings
from planner.inputs.weeks import resolve_week
from planner.reporting import write_report, xlsx
from planner.reporting.i18n import translations
from planner.reporting.tables import staffing_model_table
from tests.decisions.test_calibration import LOG

REPO = Path(__file__).resolve().parents[2]
SAN_SIRO = REPO / "data" / "san-siro"
INSTALLED_CHANNELS = 500


@pytest.fixture(scope="module")
def voice_report(tmp_path_factory):
    """Plan 2013-W47 of the San Siro copy and write its report in French."""
    if not (SAN_SIRO / "settings.toml").is_file():
        pytest.skip("bundled dataset data/san-siro is not there")
    folder = tmp_path_factory.mktemp("data") / "san-siro"
    shutil.copytree(SAN_SIRO, folder)
    (folder / "calls.csv").write_text(LOG, encoding="utf-8")

    settings = (folder / "settings.toml").read_text(encoding="utf-8")
    calls_measure = '[measures.calls_sms]\nunit = "activity units"'
    care_role = "[staffing.roles.customer_care_agent]\n"
    assert calls_measure in settings
    assert care_role in settings
    settings = settings.replace(calls_measure, '[measures.calls_sms]\nunit = "Erlangs"')
    settings = settings.replace(care_role, care_role + 'model = "erlang_a"\ncalibration_log = "calls.csv"\n'
                                "service_level_probability = 0.9\n")
    (folder / "settings.toml").write_text(settings, encoding="utf-8")
    cells = pd.read_csv(folder / "cells.csv", dtype=str, keep_default_na=False)
    cells["channels_calls_sms"] = str(INSTALLED_CHANNELS)
    cells.to_csv(folder / "cells.csv", index=False)

    dataset = load_dataset(folder)
    plan = plan_week(dataset, resolve_week("2013-W47", dataset))
    report = write_report(plan, tmp_path_factory.mktemp("reports"), lang="fr", with_pdf=False)
    return plan, report


def test_voice_channels_sized_on_real_load(voice_report):
    plan, _ = voice_report
    calls = plan.forecast[plan.forecast["measure"] == "calls_sms"]
    busy = calls.loc[calls["p90"].idxmax()]

    voice = plan.voice_channels
    assert len(voice) == 1
    row = voice.iloc[0]
    assert row["busy_hour"] == busy["timestamp"]
    assert row["busy_hour_erlangs_p90"] == pytest.approx(busy["p90"])
    needed = int(servers_for_blocking(busy["p90"], 0.01))
    assert row["channels_needed"] == needed
    assert erlang_b(needed, busy["p90"]) <= 0.01 < erlang_b(needed - 1, busy["p90"])
    assert row["channels_installed"] == INSTALLED_CHANNELS
    assert row["extra_channels"] == needed - INSTALLED_CHANNELS
    assert row["extra_channels"] > 0
    assert row["blocking_at_installed"] == pytest.approx(erlang_b(INSTALLED_CHANNELS, busy["p90"]))


def test_report_html_shows_voice_channels(voice_report):
    plan, report = voice_report
    page = (report / "report.html").read_text(encoding="utf-8")

    section = page[page.index('<section id="voice-channels">'):]
    section = section[:section.index("</section>")]
    assert "Canaux voix" in section
    assert "5738" in section
    row = plan.voice_channels.iloc[0]
    assert f'<td class="number">{row["channels_needed"]}</td>' in section
    assert f'<td class="number">{INSTALLED_CHANNELS}</td>' in section
    assert f'<td class="number">{row["extra_channels"]}</td>' in section
    assert 'class="below-target"' in section
    assert "au plus 1,0\xa0% de blocage" in section


def _machine_rows(path: Path, sheet_name: str) -> list[tuple]:
    """Read a sheet of the French report.xlsx with its headers mapped back to the machine column names."""
    french = translations("fr").gettext
    machine_names = {french(header): column for column, header in xlsx.COLUMN_HEADERS.items()}
    sheet = openpyxl.load_workbook(path, read_only=True)[french(xlsx.SHEET_NAMES[sheet_name])]
    rows = list(sheet.iter_rows(values_only=True))
    # A time column's header ends with the time zone, such as "Heure chargée (Europe/Rome)".
    headers = [header.removesuffix(" (Europe/Rome)") for header in rows[0]]
    return [tuple(machine_names.get(header, header) for header in headers), *rows[1:]]


def _wall_clock(plan, time: pd.Timestamp) -> datetime:
    """Return a tz-aware time as the naive local time that report.xlsx writes."""
    return time.tz_convert(plan.dataset.timezone).tz_localize(None).to_pydatetime()


def test_report_xlsx_sheet_names_in_french(voice_report):
    _, report = voice_report
    names = openpyxl.load_workbook(report / "report.xlsx", read_only=True).sheetnames

    assert names == ["Prévision", "Événements", "Capacité", "Effectifs", "Modèle de calcul des effectifs",
                     "Effectifs par intervalle", "Actions par événement", "Canaux voix", "Qualité des données",
                     "Hypothèses", "Notes"]


def test_report_xlsx_voice_channels_sheet(voice_report):
    plan, report = voice_report
    rows = _machine_rows(report / "report.xlsx", "voice_channels")

    assert rows[0][:5] == ("cell_id", "measure", "busy_hour", "busy_hour_erlangs_p90", "grade_of_service")
    assert len(rows) == 2
    record = dict(zip(rows[0], rows[1]))
    assert str(record["cell_id"]) == "5738"
    assert record["channels_needed"] == plan.voice_channels.iloc[0]["channels_needed"]
    assert record["channels_installed"] == INSTALLED_CHANNELS
    assert record["busy_hour"] == _wall_clock(plan, plan.voice_channels.iloc[0]["busy_hour"])


def test_report_states_staffing_model(voice_report):
    _, report = voice_report
    rows = _machine_rows(report / "report.xlsx", "staffing_model")

    models = {row[0]: dict(zip(rows[0], row)) for row in rows[1:]}
    care = models["conseiller clientèle"]
    assert care["model"] == "Erlang A (les appelants abandonnent)"
    assert care["calibration_log"] == "calls.csv"
    assert care["calibration_arrivals"] == 6
    assert care["base_arrivals_per_hour"] == 3.0
    assert care["handle_time_seconds"] == 250.0
    assert care["patience_seconds"] == 60.0
    assert care["service_level_probability"] == 0.9
    engineer = models["ingénieur de supervision"]
    assert engineer["model"] == "Erlang C (les appelants attendent)"
    assert engineer["calibration_log"] is None
    assert engineer["base_arrivals_per_hour"] == 0.5
    assert engineer["service_level_probability"] == 0.8


def test_report_html_states_staffing_model(voice_report):
    _, report = voice_report
    page = (report / "report.html").read_text(encoding="utf-8")

    section = page[page.index('<section id="staffing-model">'):]
    section = section[:section.index("</section>")]
    assert "Erlang A (les appelants abandonnent)" in section
    assert "Erlang C (les appelants attendent)" in section
    assert "calé sur calls.csv (6 arrivées)" in section
    assert "90\xa0%" in section
    assert "250,0" in section


def test_report_xlsx_every_interval_service_level(voice_report):
    plan, report = voice_report
    rows = _machine_rows(report / "report.xlsx", "staffing_intervals")

    header, values = rows[0], rows[1:]
    assert "sized_arrivals_per_hour" in header
    assert len(values) == 336 * 2
    assert len(values) == len(plan.staffing_intervals)
    first = dict(zip(header, values[0]))
    expected = plan.staffing_intervals.iloc[0]
    assert first["interval_start"] == _wall_clock(plan, expected["interval_start"])
    assert first["date"].date() == expected["date"]
    assert first["staff_on_shift"] == expected["staff_on_shift"]
    assert first["service_level"] == pytest.approx(expected["service_level"], abs=1e-4)
    assert first["sized_arrivals_per_hour"] >= first["arrivals_per_hour"]


def test_staffing_model_table_infinite_patience(tmp_path):
    # Synthetic log without abandonment: the patience estimate is infinite, written as an empty value.
    folder = tmp_path / "san-siro"
    shutil.copytree(SAN_SIRO, folder)
    (folder / "calls.csv").write_text("timestamp,handle_time_seconds,wait_seconds,abandoned\n"
                                      "2024-03-05T09:00:10Z,100,0,0\n2024-03-05T09:30:00Z,200,5,0\n",
                                      encoding="utf-8")
    care_role = "[staffing.roles.customer_care_agent]\n"
    text = (folder / "settings.toml").read_text(encoding="utf-8")
    (folder / "settings.toml").write_text(text.replace(care_role, care_role + 'calibration_log = "calls.csv"\n'),
                                          encoding="utf-8")
    settings = load_settings(folder / "settings.toml")
    plan = SimpleNamespace(dataset=SimpleNamespace(settings=settings, timezone=settings.timezone))

    table = staffing_model_table(plan).set_index("role")

    assert table.loc["customer_care_agent", "handle_time_seconds"] == 150.0
    assert pd.isna(table.loc["customer_care_agent", "patience_seconds"])
    assert table.loc["customer_care_agent", "calibration_arrivals"] == 2
