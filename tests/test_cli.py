"""The planner command end to end on the bundled real data."""

import errno
import importlib.util
import logging
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from planner import cli
from planner.cli import console_logging, main, os_error_message
from planner.entry_point import requested_language
from planner.reporting.console import ConsoleFormatter
from planner.reporting.i18n import render_message, translations
from planner.translated_parser import translate_error
from tests.conftest import BAD_DATA, BUNDLED_DATA


@pytest.fixture(scope="module")
def dodgers_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    code = main(["report", "--data", str(BUNDLED_DATA / "dodgers"), "--week", "2005-W32", "--out", str(out)])
    return code, out / "dodgers" / "2005-W32"


def test_report_writes_every_file(dodgers_report):
    code, folder = dodgers_report

    assert code == 0
    for name in ("forecast.csv", "events.csv", "capacity.csv", "staffing.csv", "report.html"):
        assert (folder / name).is_file(), name


def test_report_forecast_covers_week(dodgers_report):
    _, folder = dodgers_report
    forecast = pd.read_csv(folder / "forecast.csv")

    assert list(forecast.columns[:6]) == ["cell_id", "measure", "timestamp", "p10", "p50", "p90"]
    assert len(forecast) == 168
    assert forecast["timestamp"].iloc[0] == "2005-08-08T00:00:00-07:00"
    assert (forecast["p10"] <= forecast["p50"]).all()
    assert (forecast["p50"] <= forecast["p90"]).all()


def test_report_events_learned_from_history(dodgers_report):
    _, folder = dodgers_report
    events = pd.read_csv(folder / "events.csv")
    games = events[events["kind"] == "match"]

    assert len(games) == 6
    assert (games["pooling"] == "venue").all()
    assert (games["peak_uplift_ratio"] > 1.3).all()
    assert games["learned_from"].str.contains("events").all()


def test_report_capacity_and_staffing_columns(dodgers_report):
    _, folder = dodgers_report
    capacity = pd.read_csv(folder / "capacity.csv")
    staffing = pd.read_csv(folder / "staffing.csv")

    assert list(capacity.columns[:9]) == ["cell_id", "measure", "event_id", "timestamp", "forecast_p90", "capacity",
                                          "utilisation_p90", "action", "extra_units"]
    assert set(capacity["action"]) <= {"ok", "watch", "add"}
    assert list(staffing.columns[:7]) == ["date", "shift", "role", "expected_load", "required_staff",
                                          "service_level_target", "expected_service_level"]
    assert set(staffing["role"]) == {"supervision_engineer", "customer_care_agent"}
    assert (staffing["expected_service_level"] >= staffing["service_level_target"] - 1e-9).all()


def test_report_french_by_default(dodgers_report):
    _, folder = dodgers_report
    html = (folder / "report.html").read_text(encoding="utf-8")

    assert 'lang="fr"' in html
    assert "août 2005" in html


def test_report_english_on_request(tmp_path):
    code = main(["report", "--data", str(BUNDLED_DATA / "san-siro"), "--week", "2013-W47", "--out", str(tmp_path),
                 "--lang", "en"])
    html = (tmp_path / "san-siro" / "2013-W47" / "report.html").read_text(encoding="utf-8")

    assert code == 0
    assert 'lang="en"' in html
    assert "from Monday, November 18, 2013 to Sunday, November 24, 2013" in html


def test_report_bad_week_fails_cleanly(tmp_path, capsys):
    code = main(["report", "--data", str(BUNDLED_DATA / "dodgers"), "--week", "2005-33", "--out", str(tmp_path)])

    assert code == 2
    assert "2005-33" in capsys.readouterr().err
    assert not (tmp_path / "dodgers").exists()


def test_backtest_prints_table(tmp_path, capsys):
    code = main(["backtest", "--data", str(BUNDLED_DATA / "dodgers"), "--weeks", "2", "--out", str(tmp_path),
                 "--no-progress"])
    printed = capsys.readouterr().out
    table = pd.read_csv(tmp_path / "dodgers" / "backtest-2005-W37-2005-W38" / "backtest.csv")

    header = printed.splitlines()[0].split()
    overall = table[(table["model"] == "planner") & (table["scope"] == "overall")].iloc[0]
    planner_line = next(line for line in printed.splitlines() if line.split()[:4] == ["planner", "toutes", "les",
                                                                                      "heures"])

    assert code == 0
    assert header[:4] == ["modèle", "périmètre", "heures", "erreur"]
    # Dodgers has one measure, counted in cars: the errors name the unit and no note warns of mixed units.
    assert "erreur abs. moy. (voitures)" in printed.splitlines()[0]
    assert "plusieurs mesures" not in printed
    assert "fenêtres d’événement" in printed
    assert "event_windows" not in printed
    assert "mae_relative_to_last_week" not in printed
    assert f"{overall['mae']:.3f}".replace(".", ",") in planner_line
    assert f"{overall['coverage_p10_p90'] * 100:.1f}".replace(".", ",") + "\xa0%" in planner_line
    assert list(table.columns) == ["model", "scope", "hours", "mae", "mae_relative_to_last_week", "peak_error_median",
                                   "coverage_p10_p90", "pinball_loss"]
    assert set(table["model"]) == {"planner", "same_hour_last_week"}
    assert set(table["scope"]) == {"overall", "event_windows", "outside_events"}


def test_report_out_file_rejected_early(tmp_path, capsys):
    not_a_folder = tmp_path / "notes.txt"
    not_a_folder.write_text("keep me", encoding="utf-8")
    code = main(["report", "--data", str(BUNDLED_DATA / "dodgers"), "--week", "2005-W33", "--out", str(not_a_folder)])

    assert code == 2
    assert "est un fichier, pas un dossier" in capsys.readouterr().err
    assert not_a_folder.read_text(encoding="utf-8") == "keep me"


def test_report_week_folder_blocked_by_file(tmp_path, capsys):
    blocked = tmp_path / "dodgers" / "2005-W33"
    blocked.parent.mkdir()
    blocked.write_text("in the way", encoding="utf-8")
    code = main(["report", "--data", str(BUNDLED_DATA / "dodgers"), "--week", "2005-W33", "--out", str(tmp_path)])

    assert code == 2
    assert f"impossible de créer le dossier {blocked}\u00a0: un fichier de ce nom est déjà là" in capsys.readouterr().err
    assert blocked.read_text(encoding="utf-8") == "in the way"


def test_report_paris_demo_map_and_range(tmp_path):
    code = main(["report", "--data", str(BUNDLED_DATA / "paris-2023"), "--week", "2023-W12", "--out", str(tmp_path),
                 "--lang", "en"])
    page = (tmp_path / "paris-2023" / "2023-W12" / "report.html").read_text(encoding="utf-8")

    assert code in (0, 1)
    assert "SYNTHETIC cell grid" in page
    assert "from 119,000 to 800,000" in page
    assert page.count('alt="Map of Pension reform protest day 9 (Paris march) on Thursday, March 23, 2023"') == 1
    assert 'id="scenario"' not in page


def _scenario_report(folder: Path, lang: str) -> tuple[int, str]:
    """Run the Paris 2023-W12 report with its unannounced-march scenario; return the exit code and the page."""
    scenario = BUNDLED_DATA / "paris-2023" / "scenarios" / "unannounced-march.csv"
    code = main(["report", "--data", str(BUNDLED_DATA / "paris-2023"), "--week", "2023-W12", "--out", str(folder),
                 "--lang", lang, "--scenario", str(scenario)])
    return code, (folder / "paris-2023" / "2023-W12" / "report.html").read_text(encoding="utf-8")


def test_report_scenario_side_by_side(tmp_path):
    code, page = _scenario_report(tmp_path, "en")

    assert code in (0, 1)
    assert "Without the scenario" in page
    assert "from 238,000 to 1,600,000" in page
    assert "Unannounced gathering at Place de la Nation (hypothetical)" in page
    assert "unannounced-march.csv" in page


def test_report_scenario_french_staffing_rows(tmp_path):
    # Each staffing row sums a role's staff over the week's shifts. French calls a shift a "poste", but a
    # "poste de travail" is a workstation.
    code, page = _scenario_report(tmp_path, "fr")

    assert code in (0, 1)
    assert "Sans le scénario" in page
    assert "<th>agents cumulés sur les postes, conseiller clientèle</th>" in page
    assert "<th>agents cumulés sur les postes, ingénieur de supervision</th>" in page
    assert "postes de travail" not in page


def test_report_after_autumn_change_and_gap(tmp_path, capsys):
    # 2005-W43 ends with the 25-hour day of 30 October (Los Angeles) and starts three weeks after the data ends.
    code = main(["report", "--data", str(BUNDLED_DATA / "dodgers"), "--week", "2005-W43", "--out", str(tmp_path)])
    console = capsys.readouterr().err
    folder = tmp_path / "dodgers" / "2005-W43"
    forecast = pd.read_csv(folder / "forecast.csv")
    staffing = pd.read_csv(folder / "staffing.csv")

    assert code == 0
    assert len(forecast) == 169
    assert forecast["p50"].notna().all()
    assert staffing["expected_load"].notna().all()
    assert "jours après le dernier trafic connu" in (folder / "report.html").read_text(encoding="utf-8")
    assert ("avertissement\u00a0: la semaine 2005-W43 commence 22 jours après le dernier trafic connu "
            "(1er oct. 2005 23:00)\u202f; la prévision reprend les semaines antérieures à cette date") in console
    assert "planner.decisions.plan" not in console
    assert "WARNING" not in console


def test_gap_warning_in_english_verbose(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("PLANNER_LANG", raising=False)
    code = main(["-v", "report", "--data", str(BUNDLED_DATA / "dodgers"), "--week", "2005-W43", "--out",
                 str(tmp_path), "--lang", "en"])
    console = capsys.readouterr().err

    assert code == 0
    warning = ("warning planner.decisions.plan: 2005-W43 starts 22 days after the last traffic before it "
               "(Oct 1, 2005 23:00); the forecast repeats the weeks before that date")
    assert console.count(warning) == 1
    assert "avertissement" not in console
    assert not any(isinstance(handler.formatter, ConsoleFormatter) for handler in logging.getLogger().handlers)


def test_verbose_french_diagnostics_in_english(tmp_path, capsys, monkeypatch):
    # With -v in French, the warnings for the user are in French and the developer's INFO and DEBUG lines in English.
    monkeypatch.delenv("PLANNER_LANG", raising=False)
    code = main(["report", "-v", "--data", str(BUNDLED_DATA / "dodgers"), "--week", "2005-W43", "--out",
                 str(tmp_path)])
    lines = capsys.readouterr().err.splitlines()
    diagnostics = [line for line in lines if line.split(" ")[0] in ("debug", "info")]

    assert code == 0
    assert not [line for line in lines if line.startswith("débogage")]
    assert len(diagnostics) > 10
    assert [line for line in diagnostics if not re.match(r"(debug|info) planner\.[a-z_.]+: \S", line)] == []
    assert any(line.startswith("info planner.inputs.loading: ") for line in diagnostics)
    assert any(line.startswith("debug planner.decisions.staffing: planned ") for line in diagnostics)
    assert ("avertissement planner.decisions.plan\u00a0: la semaine 2005-W43 commence 22 jours après le dernier trafic "
            "connu") in "\n".join(lines)


def test_report_lists_cells_at_risk_per_event(dodgers_report):
    _, folder = dodgers_report
    html = (folder / "report.html").read_text(encoding="utf-8")

    assert html.count("Cellules à risque pendant cet événement") >= 1
    assert "Marge sous le seuil" in html
    assert "ajouter 1 renfort (feu de régulation de la bretelle coupé, agent de circulation sur place)" in html


def test_bad_input_error_in_french(dataset_folder, tmp_path, capsys):
    # Synthetic: tests/data/bad/traffic_negative.csv has -3 calls on line 4.
    folder = dataset_folder(traffic=(BAD_DATA / "traffic_negative.csv").read_text(encoding="utf-8"))

    code = main(["report", "--data", str(folder), "--week", "2024-W13", "--out", str(tmp_path / "out")])
    error = capsys.readouterr().err

    assert code == 2
    assert error.startswith("Erreur\u00a0: 1 problème dans les données d’entrée\u00a0:")
    assert f"{folder / 'traffic.csv'}, ligne 4, colonne «\u00a0calls\u00a0» (valeur «\u00a0-3\u00a0»)\u00a0: valeur de trafic négative" in error
    assert "écrivez la valeur mesurée, ou laissez le champ vide si elle manque" in error


def test_bad_input_error_in_english(dataset_folder, tmp_path, capsys):
    # Synthetic: tests/data/bad/traffic_negative.csv has -3 calls on line 4.
    folder = dataset_folder(traffic=(BAD_DATA / "traffic_negative.csv").read_text(encoding="utf-8"))

    code = main(["report", "--data", str(folder), "--week", "2024-W13", "--out", str(tmp_path / "out"),
                 "--lang", "en"])
    error = capsys.readouterr().err

    assert code == 2
    assert error.startswith("Error: 1 problem in the input:")
    assert f"{folder / 'traffic.csv'}, line 4, column 'calls' (value '-3'): negative traffic value" in error
    assert "write the measured value, or leave the field empty when it is missing" in error


def test_missing_dataset_error_in_french(tmp_path, capsys):
    code = main(["backtest", "--data", str(tmp_path / "missing"), "--weeks", "2"])
    error = capsys.readouterr().err

    assert code == 2
    assert "dossier du jeu de données introuvable\u202f; indiquez un dossier qui contient settings.toml" in error


def test_report_help_french_by_default(monkeypatch, capsys):
    monkeypatch.delenv("PLANNER_LANG", raising=False)
    with pytest.raises(SystemExit) as stop:
        main(["report", "--help"])
    help_text = capsys.readouterr().out

    assert stop.value.code == 0
    assert help_text.startswith("utilisation\u00a0: planner report [-h] --data DOSSIER --week SEMAINE")
    assert "afficher ce message d’aide et quitter" in help_text
    assert "dossier du jeu de données, par exemple data/milan" in help_text
    assert "dossier de sortie (par défaut\u00a0: reports)" in help_text
    assert "show this help message" not in help_text
    assert "usage:" not in help_text
    assert "\noptions\u00a0:\n" in help_text
    assert "options:" not in help_text


def test_command_help_french_headings(monkeypatch, capsys):
    monkeypatch.delenv("PLANNER_LANG", raising=False)
    with pytest.raises(SystemExit) as stop:
        main(["--help"])
    help_text = capsys.readouterr().out
    headings = [line for line in help_text.splitlines() if line.endswith(":")]

    assert stop.value.code == 0
    assert headings == ["arguments positionnels\u00a0:", "options\u00a0:"]


@pytest.mark.parametrize("argv", [["report", "--help", "--lang", "en"], ["report", "--lang=en", "--help"],
                                  ["--lang", "en", "report", "--help"]],
                         ids=["after", "equals-sign", "before-command"])
def test_report_help_english_with_lang(argv, monkeypatch, capsys):
    monkeypatch.delenv("PLANNER_LANG", raising=False)
    with pytest.raises(SystemExit) as stop:
        main(argv)
    help_text = capsys.readouterr().out

    assert stop.value.code == 0
    assert help_text.startswith("usage: planner report [-h] --data FOLDER --week WEEK")
    assert "show this help message and exit" in help_text
    assert "dataset folder, such as data/milan" in help_text
    assert "options:" in help_text
    assert "utilisation" not in help_text


def test_command_help_english_from_environment(monkeypatch, capsys):
    monkeypatch.setenv("PLANNER_LANG", "en")
    with pytest.raises(SystemExit):
        main(["--help"])
    help_text = capsys.readouterr().out

    assert help_text.startswith("usage: planner [-h] [-v] [--version] [--lang {fr,en}] COMMAND ...")
    assert "Planned-event capacity planner for telecom networks." in help_text
    assert "plan one ISO week and write its report" in help_text


def test_report_help_french_in_subprocess():
    environment = {name: value for name, value in os.environ.items() if name != "PLANNER_LANG"}
    environment["LANG"] = "en_US.UTF-8"
    completed = subprocess.run([sys.executable, "-m", "planner", "report", "--help"], capture_output=True,
                               text=True, encoding="utf-8", env=environment, check=False, timeout=120)

    assert completed.returncode == 0
    assert completed.stdout.startswith("utilisation\u00a0: planner report")
    assert "semaine ISO, par exemple 2013-W48" in completed.stdout


def test_missing_week_error_in_french(monkeypatch, capsys):
    monkeypatch.delenv("PLANNER_LANG", raising=False)
    with pytest.raises(SystemExit) as stop:
        main(["report", "--data", str(BUNDLED_DATA / "dodgers")])
    error = capsys.readouterr().err

    assert stop.value.code == 2
    assert error.startswith("utilisation\u00a0: planner report [-h]")
    assert error.endswith("planner report\u00a0: erreur\u00a0: les arguments suivants sont obligatoires\u00a0: --week\n")


def test_missing_week_error_in_english(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["report", "--data", str(BUNDLED_DATA / "dodgers"), "--lang", "en"])
    error = capsys.readouterr().err

    assert stop.value.code == 2
    assert error.endswith("planner report: error: the following arguments are required: --week\n")


def test_invalid_choice_error_in_french(monkeypatch, capsys):
    monkeypatch.delenv("PLANNER_LANG", raising=False)
    with pytest.raises(SystemExit) as stop:
        main(["report", "--data", str(BUNDLED_DATA / "dodgers"), "--week", "2005-W33", "--engine", "spark"])
    error = capsys.readouterr().err

    assert stop.value.code == 2
    assert "argument --engine\u00a0: choix invalide\u00a0: 'spark' (choisissez parmi 'local', 'dask')" in error


def test_invalid_weeks_error_in_french(monkeypatch, capsys):
    monkeypatch.delenv("PLANNER_LANG", raising=False)
    with pytest.raises(SystemExit):
        main(["backtest", "--data", str(BUNDLED_DATA / "dodgers"), "--weeks", "deux"])
    error = capsys.readouterr().err

    assert "argument --weeks\u00a0: nombre de semaines «\u00a0deux\u00a0» invalide\u202f; attendu\u00a0: un nombre entier, par exemple 8" in error


def test_invalid_planner_lang_rejected(monkeypatch, capsys):
    monkeypatch.setenv("PLANNER_LANG", "de")
    code = main(["report", "--data", str(BUNDLED_DATA / "dodgers"), "--week", "2005-W33"])
    error = capsys.readouterr().err

    assert code == 2
    assert error == "Erreur\u00a0: PLANNER_LANG=«\u00a0de\u00a0» invalide\u202f; donnez-lui l’une des valeurs fr, en, ou supprimez-la\n"


@pytest.mark.parametrize("argv, environment, expected", [
    (["report"], {}, "fr"),
    (["report", "--lang", "en"], {}, "en"),
    (["report", "--lang", "fr"], {"PLANNER_LANG": "en"}, "fr"),
    (["report"], {"PLANNER_LANG": "en"}, "en"),
    (["report"], {"LANG": "en_US.UTF-8", "LC_ALL": "en_US.UTF-8"}, "fr"),
    (["report", "--lang", "de"], {"PLANNER_LANG": "en"}, "en"),
    (["report", "--lang"], {}, "fr"),
], ids=["default", "option", "option-over-environment", "environment", "locale-ignored", "unsupported-option",
        "option-without-value"])
def test_requested_language_rule(argv, environment, expected):
    assert requested_language(argv, environment) == expected


def test_translate_error_keeps_unknown_message():
    gettext = translations("fr").gettext

    assert translate_error("argument --week: expected one argument", gettext) == (
        "argument --week\u00a0: une valeur est attendue")
    assert translate_error("some future argparse message", gettext) == "some future argparse message"


def test_backtest_prints_each_measure(tmp_path, capsys):
    # San Siro has two measures (calls and SMS, Internet activity), in different units.
    code = main(["backtest", "--data", str(BUNDLED_DATA / "san-siro"), "--weeks", "1", "--out", str(tmp_path),
                 "--no-progress"])
    printed = capsys.readouterr().out
    by_measure = pd.read_csv(next((tmp_path / "san-siro").glob("backtest-*")) / "backtest_by_measure.csv")

    assert code == 0
    assert set(by_measure["measure"]) == {"internet", "calls_sms"}
    planner_internet = by_measure[(by_measure["model"] == "planner") & (by_measure["scope"] == "overall")
                                  & (by_measure["measure"] == "internet")].iloc[0]
    line = next(line for line in printed.splitlines() if line.split()[:1] == ["planner"] and "internet" in line
                and "toutes les heures" in line)
    assert f"{planner_internet['mae']:.3f}".replace(".", ",") in line


def test_backtest_pooled_peak_error_printed(tmp_path, capsys):
    # The pooled table's median peak error is over the event-day peaks of both San Siro measures. The last week has
    # one match, so the pooled median is the mean of the two measures' errors and differs from each of them.
    code = main(["backtest", "--data", str(BUNDLED_DATA / "san-siro"), "--weeks", "1", "--out", str(tmp_path),
                 "--no-progress", "--lang", "en"])
    printed = capsys.readouterr().out.splitlines()
    folder = next((tmp_path / "san-siro").glob("backtest-*"))
    peaks = pd.read_csv(folder / "backtest_peaks.csv")
    by_measure = pd.read_csv(folder / "backtest_by_measure.csv")
    planner_peaks = peaks[peaks["model"] == "planner"]
    pooled_median = planner_peaks["peak_error"].abs().median()
    pooled_line = next(line for line in printed if line.split()[:3] == ["planner", "all", "hours"])
    measure_medians = by_measure[(by_measure["model"] == "planner") & (by_measure["scope"] == "overall")]

    assert code == 0
    assert set(planner_peaks["measure"]) == {"internet", "calls_sms"}
    assert f" {pooled_median * 100:.1f}% " in pooled_line
    assert not any(value == pytest.approx(pooled_median, abs=5e-4) for value in measure_medians["peak_error_median"])


@pytest.mark.parametrize("value", ["san-siro-2013-12-01=43607.5", "san-siro-2013-12-01=0",
                                   "san-siro-2013-12-01=-5", "san-siro-2013-12-01=1e5", "43607"])
def test_review_attendance_not_whole_rejected(monkeypatch, capsys, value):
    monkeypatch.delenv("PLANNER_LANG", raising=False)
    with pytest.raises(SystemExit) as stopped:
        main(["review", "--data", str(BUNDLED_DATA / "san-siro"), "--week", "2013-W48", "--attendance", value])
    error = capsys.readouterr().err

    assert stopped.value.code == 2
    assert (f"argument --attendance\u00a0: affluence «\u00a0{value}\u00a0» invalide\u202f; attendu\u00a0: ÉVÉNEMENT=N, avec N un nombre entier "
            "de personnes supérieur à 0") in error


def test_review_attendance_far_above_capacity(tmp_path, capsys, monkeypatch):
    # San Siro has a capacity of 80,018 people: 99,999,999,999 would be stored in the event history and skew later plans.
    monkeypatch.delenv("PLANNER_LANG", raising=False)
    folder = tmp_path / "san-siro"
    shutil.copytree(BUNDLED_DATA / "san-siro", folder)

    code = main(["review", "--data", str(folder), "--week", "2013-W48", "--out", str(tmp_path / "out"),
                 "--attendance", "san-siro-2013-12-01=99999999999"])
    error = capsys.readouterr().err

    assert code == 2
    assert ("Erreur\u00a0: --attendance san-siro-2013-12-01=99999999999 invalide\u00a0: plus de 10 fois la capacité du lieu "
            "san-siro (80\u202f018 personnes, capacity_people dans venues.csv)\u202f; vérifiez le nombre") in error
    assert not (folder / "history").exists()


def test_verbose_debug_only_for_planner(capsys):
    with console_logging("fr", verbose=True):
        logging.getLogger("planner.inputs.reading").debug("reading cells.csv")
        logging.getLogger("matplotlib.font_manager").debug("findfont: score 10.05")
        logging.getLogger("fontTools.subset").info("subsetting")
        logging.getLogger("weasyprint").warning("unsupported CSS property")
    lines = capsys.readouterr().err.splitlines()

    assert len(lines) == 2
    assert lines[0] == "debug planner.inputs.reading: reading cells.csv"
    assert lines[1] == "avertissement weasyprint\u00a0: unsupported CSS property"
    assert logging.getLogger("planner").level == logging.NOTSET


def test_ctrl_c_one_line_exit_130(monkeypatch, capsys):
    def interrupted(arguments, message):
        raise KeyboardInterrupt

    monkeypatch.delenv("PLANNER_LANG", raising=False)
    monkeypatch.setattr(cli, "_report", interrupted)
    code = main(["report", "--data", str(BUNDLED_DATA / "dodgers"), "--week", "2005-W32"])
    error = capsys.readouterr().err

    assert code == 130
    assert error == ("Erreur\u00a0: interrompu (Ctrl-C)\u202f; les résultats des exécutions précédentes sont laissés tels "
                     "quels\n")


def test_dask_engine_missing_extra(monkeypatch, capsys, tmp_path):
    # None in sys.modules makes "from dask.distributed import ..." raise ImportError, as without the extra.
    monkeypatch.delenv("PLANNER_LANG", raising=False)
    monkeypatch.setitem(sys.modules, "dask.distributed", None)
    code = main(["report", "--data", str(BUNDLED_DATA / "dodgers"), "--week", "2005-W32", "--engine", "dask",
                 "--out", str(tmp_path)])
    error = capsys.readouterr().err

    assert code == 2
    assert error == ("Erreur\u00a0: le moteur dask nécessite le paquet dask.distributed, qui n’est pas installé\u202f; "
                     "installez l’extra dask avec pip install -e \".[dask]\" dans le dossier de planner\n")


def test_mstl_missing_extra(monkeypatch, capsys, tmp_path):
    monkeypatch.delenv("PLANNER_LANG", raising=False)
    if importlib.util.find_spec("statsforecast") is not None:
        pytest.skip("statsforecast is installed")
    code = main(["backtest", "--data", str(BUNDLED_DATA / "san-siro"), "--weeks", "1", "--models", "mstl",
                 "--out", str(tmp_path)])
    error = capsys.readouterr().err

    assert code == 2
    assert error == ("Erreur\u00a0: le modèle de référence mstl nécessite le paquet statsforecast, qui n’est pas "
                     "installé\u202f; installez l’extra bench avec pip install -e \".[bench]\" dans le dossier de "
                     "planner\n")
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("blocked", ["dodgers", "dodgers/2005-W32"])
def test_output_file_in_the_way(monkeypatch, capsys, tmp_path, blocked):
    # The check runs before the week is planned, so planning must not be reached.
    def not_planned(*arguments):
        raise AssertionError("the week was planned")

    monkeypatch.delenv("PLANNER_LANG", raising=False)
    monkeypatch.setattr(cli, "plan_with_usual_week", not_planned)
    (tmp_path / blocked).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / blocked).write_text("not a folder\n", encoding="utf-8")
    code = main(["report", "--data", str(BUNDLED_DATA / "dodgers"), "--week", "2005-W32", "--out", str(tmp_path)])
    error = capsys.readouterr().err

    assert code == 2
    assert error == (f"Erreur\u00a0: impossible de créer le dossier {tmp_path / blocked}\u00a0: un fichier de ce nom est "
                     "déjà là\u202f; déplacez ou renommez le fichier, ou choisissez un autre dossier avec --out\n")


def test_os_error_without_known_cause():
    error = OSError(errno.EIO, "Input/output error", "/mnt/reports/milan")

    text = render_message(os_error_message(error), "fr")

    assert text == ("impossible d’écrire /mnt/reports/milan\u00a0: Input/output error (errno 5)\u202f; vérifiez le chemin, ou "
                    "choisissez un autre dossier avec --out")


def test_verbose_after_command_accepted(monkeypatch):
    seen = {}

    def run(arguments, message):
        seen["verbose"] = arguments.verbose
        return 0

    monkeypatch.setattr(cli, "_report", run)
    for argv, verbose in ((["report", "-v"], True), (["-v", "report"], True), (["report"], False)):
        code = main([*argv, "--data", str(BUNDLED_DATA / "dodgers"), "--week", "2005-W32"])
        assert code == 0
        assert seen.pop("verbose") is verbose, argv


def test_version_printed(capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["--version"])

    assert stopped.value.code == 0
    assert capsys.readouterr().out == "planner 0.1.0\n"


def test_week_before_data_error_in_french(monkeypatch, capsys, tmp_path):
    monkeypatch.delenv("PLANNER_LANG", raising=False)
    code = main(["report", "--data", str(BUNDLED_DATA / "san-siro"), "--week", "2013-W44", "--out", str(tmp_path)])
    error = capsys.readouterr().err

    assert code == 2
    assert error == ("Erreur\u00a0: seulement 0 heure de trafic avant le 28 oct. 2013 00:00 dans le jeu de données "
                     "«\u00a0san-siro\u00a0», alors que la planification en exige au moins 24\u202f; les données vont du 1er nov. 2013 "
                     "00:00 au 1er déc. 2013 23:00\u00a0: planifiez une semaine plus tardive\n")
