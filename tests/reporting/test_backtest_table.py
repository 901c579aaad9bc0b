"""Tests of the backtest table printed on the console."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from planner.forecasting.backtest import METRIC_COLUMNS, REFERENCE_MODEL, BacktestResult, run_backtest
from planner.inputs import load_dataset, parse_week
from planner.inputs.settings import Measure
from planner.reporting.backtest import (
    MEASURE_METRIC_COLUMNS,
    format_backtest_table,
    measure_units,
    metrics_by_measure,
    write_backtest,
)
from tests.conftest import BUNDLED_DATA
from tests.forecasting.synthetic import TIMEZONE, match_events, synthetic_dataset

METRICS = pd.DataFrame({
    "model": ["planner", "same_hour_last_week"],
    "scope": ["event_windows", "overall"],
    "hours": [1234, 21],
    "mae": [1234.5678, 51.14],
    "mae_relative_to_last_week": [0.482, 1.0],
    "peak_error_median": [0.0912, math.nan],
    "coverage_p10_p90": [0.9524, math.nan],
    "pinball_loss": [8.8671, math.nan],
})


def _words(line: str) -> list[str]:
    """Split a printed line on ASCII spaces only, keeping the no-break spaces inside numbers."""
    return [word for word in line.split(" ") if word]


def test_backtest_table_french():
    lines = format_backtest_table(METRICS, "fr").splitlines()

    assert _words(lines[0]) == ["modèle", "périmètre", "heures", "erreur", "abs.", "moy.", "erreur", "/", "sem.",
                                "préc.", "erreur", "de", "pic", "médiane", "couverture", "p10–p90", "perte",
                                "pinball"]
    assert _words(lines[1]) == ["planner", "fenêtres", "d’événement", "1\u202f234", "1\u202f234,568", "0,482",
                                "9,1\xa0%", "95,2\xa0%", "8,867"]
    assert _words(lines[2]) == ["same_hour_last_week", "toutes", "les", "heures", "21", "51,140", "1,000", "–", "–",
                                "–"]


def test_backtest_table_english():
    lines = format_backtest_table(METRICS, "en").splitlines()

    assert _words(lines[0]) == ["model", "scope", "hours", "mean", "abs.", "error", "error", "vs", "last", "week",
                                "median", "peak", "error", "p10–p90", "coverage", "pinball", "loss"]
    assert _words(lines[1]) == ["planner", "event", "windows", "1,234", "1,234.568", "0.482", "9.1%", "95.2%", "8.867"]
    assert _words(lines[2]) == ["same_hour_last_week", "all", "hours", "21", "51.140", "1.000", "–", "–", "–"]


def test_backtest_table_keeps_metrics():
    before = METRICS.copy()

    format_backtest_table(METRICS, "fr")

    pd.testing.assert_frame_equal(METRICS, before)


def test_backtest_table_pooled_footnote():
    french = format_backtest_table(METRICS, "fr").splitlines()
    english = format_backtest_table(METRICS, "en").splitlines()

    assert len(french) == 4
    assert french[3].startswith("heures\u00a0: une par heure, cellule et mesure.")
    assert "backtest_by_measure.csv" in english[3]


def test_backtest_table_by_measure_no_footnote():
    by_measure = METRICS.assign(measure=["internet", "calls_sms"])[MEASURE_METRIC_COLUMNS]
    lines = format_backtest_table(by_measure, "fr").splitlines()

    assert len(lines) == 3
    assert _words(lines[0])[:4] == ["modèle", "périmètre", "mesure", "heures"]
    assert _words(lines[1])[:5] == ["planner", "fenêtres", "d’événement", "internet", "1\u202f234"]


@pytest.fixture(scope="module")
def san_siro_backtest() -> BacktestResult:
    # Real data with two measures, internet and calls_sms, on the stadium's one square.
    dataset = load_dataset(BUNDLED_DATA / "san-siro")
    return run_backtest(dataset, 2, progress_bar=False)


def test_metrics_by_measure_splits_pooled(san_siro_backtest):
    pooled = san_siro_backtest.metrics.set_index(["model", "scope"])
    by_measure = metrics_by_measure(san_siro_backtest)
    overall = by_measure[(by_measure["model"] == "planner") & (by_measure["scope"] == "overall")]

    assert list(by_measure.columns) == MEASURE_METRIC_COLUMNS
    assert len(by_measure) == 2 * len(pooled)
    assert list(overall["measure"]) == ["internet", "calls_sms"]
    assert list(overall["hours"]) == [336, 336]
    assert pooled.loc[("planner", "overall"), "hours"] == 672
    # Both measures have the same hours, so the pooled MAE is the mean of the two.
    assert overall["mae"].mean() == pytest.approx(pooled.loc[("planner", "overall"), "mae"])
    assert overall["mae"].iloc[0] != pytest.approx(overall["mae"].iloc[1])


def test_write_backtest_by_measure_csv(san_siro_backtest, tmp_path):
    folder = write_backtest(san_siro_backtest, "san-siro", tmp_path)
    pooled = pd.read_csv(folder / "backtest.csv")
    by_measure = pd.read_csv(folder / "backtest_by_measure.csv")

    assert sorted(path.name for path in folder.iterdir()) == [
        "backtest.csv", "backtest_by_measure.csv", "backtest_forecasts.csv", "backtest_peaks.csv"]
    assert list(pooled.columns) == METRIC_COLUMNS
    assert list(by_measure.columns) == MEASURE_METRIC_COLUMNS
    assert set(by_measure["measure"]) == {"internet", "calls_sms"}


# Synthetic: every hour of 2024-W02 is 100 for both measures, so same_hour_last_week forecasts a peak of 100 on
# each day of 2024-W03. On each match day of 2024-W03 every hour is the value below, which is that day's actual peak.
SYNTHETIC_MATCH_DAYS = ["2024-01-16 20:00", "2024-01-18 20:00", "2024-01-20 20:00"]
SYNTHETIC_DAY_VALUES = {"volume": [125.0, 80.0, 1000.0], "calls": [200.0, 250.0, 400.0]}
# |100 - actual| / actual: volume 0.2, 0.25, 0.9 (median 0.25) and calls 0.5, 0.6, 0.75 (median 0.6). Pooled, the
# six errors have the median (0.5 + 0.6) / 2 = 0.55, which is neither measure's median nor the mean of the two.
SYNTHETIC_PEAK_ERROR_MEDIANS = {"volume": 0.25, "calls": 0.6}
SYNTHETIC_POOLED_PEAK_ERROR_MEDIAN = 0.55


@pytest.fixture(scope="module")
def two_measure_backtest() -> BacktestResult:
    events = match_events(SYNTHETIC_MATCH_DAYS, [40000.0] * len(SYNTHETIC_MATCH_DAYS))
    dataset = synthetic_dataset(events, {}, weeks=3)
    traffic = dataset.traffic.drop(columns="load")
    local_dates = traffic["timestamp"].dt.date
    for measure, day_values in SYNTHETIC_DAY_VALUES.items():
        traffic[measure] = 100.0
        for start, value in zip(SYNTHETIC_MATCH_DAYS, day_values):
            traffic.loc[local_dates == pd.Timestamp(start).date(), measure] = value
    settings = replace(dataset.settings, measures=(Measure("volume", "MB", "volume"), Measure("calls", "calls", "volume")))
    dataset = replace(dataset, traffic=traffic, settings=settings)
    return run_backtest(dataset, [parse_week("2024-W03", TIMEZONE)], models=[REFERENCE_MODEL], progress_bar=False)


def test_pooled_peak_error_over_all_measures(two_measure_backtest):
    pooled = two_measure_backtest.metrics.set_index("scope")["peak_error_median"]
    peaks = two_measure_backtest.peaks

    assert len(peaks) == 6
    assert sorted(peaks["peak_error"].abs().round(6)) == [0.2, 0.25, 0.5, 0.6, 0.75, 0.9]
    assert pooled["overall"] == pytest.approx(SYNTHETIC_POOLED_PEAK_ERROR_MEDIAN)
    assert pooled["event_windows"] == pytest.approx(SYNTHETIC_POOLED_PEAK_ERROR_MEDIAN)
    assert np.isnan(pooled["outside_events"])


def test_measure_peak_error_own_peaks(two_measure_backtest):
    by_measure = metrics_by_measure(two_measure_backtest)
    overall = by_measure[by_measure["scope"] == "overall"].set_index("measure")["peak_error_median"]

    assert overall.to_dict() == pytest.approx(SYNTHETIC_PEAK_ERROR_MEDIANS)


def test_san_siro_pooled_peak_error_median(san_siro_backtest):
    # Real data: each model has 4 event-day peaks, 2 matches times 2 measures, at the stadium's square.
    pooled = san_siro_backtest.metrics.set_index(["model", "scope"])["peak_error_median"]
    by_measure = metrics_by_measure(san_siro_backtest).set_index(["model", "scope", "measure"])["peak_error_median"]
    peaks = san_siro_backtest.peaks

    for model in ("planner", REFERENCE_MODEL):
        errors = peaks.loc[peaks["model"] == model, "peak_error"].abs()
        assert len(errors) == 4
        assert pooled[(model, "overall")] == pytest.approx(errors.median())
    # The reference model's two middle errors come from different measures, so its pooled median is neither measure's.
    reference = pooled[(REFERENCE_MODEL, "overall")]
    assert reference != pytest.approx(by_measure[(REFERENCE_MODEL, "overall", "internet")])
    assert reference != pytest.approx(by_measure[(REFERENCE_MODEL, "overall", "calls_sms")])


def test_backtest_table_one_measure_unit():
    english = format_backtest_table(METRICS, "en", units={"cars": "cars"}).splitlines()
    french = format_backtest_table(METRICS, "fr", units={"cars": "voitures"}).splitlines()

    # One measure: the errors have one unit, so the headers name it and no footnote warns of mixed units.
    assert len(english) == 3
    assert len(french) == 3
    assert "mean abs. error (cars)" in english[0]
    assert "pinball loss (cars)" in english[0]
    assert "erreur abs. moy. (voitures)" in french[0]
    assert "backtest_by_measure.csv" not in "\n".join(english)


def test_backtest_table_several_units_footnote():
    units = {"internet": "MB", "calls_sms": "calls"}
    pooled = format_backtest_table(METRICS, "en", units=units).splitlines()
    by_measure = METRICS.assign(measure=["internet", "calls_sms"])[MEASURE_METRIC_COLUMNS]
    per_measure = format_backtest_table(by_measure, "en", units=units).splitlines()

    assert len(pooled) == 4
    assert "With several measures" in pooled[3]
    assert "(MB)" not in pooled[0]
    assert _words(per_measure[1])[:4] == ["planner", "event", "windows", "internet"]
    assert _words(per_measure[1])[4] == "(MB)"
    assert _words(per_measure[2])[3:5] == ["calls_sms", "(calls)"]


def test_measure_units_in_language():
    settings = load_dataset(BUNDLED_DATA / "milan").settings

    assert measure_units(settings, "en")["internet"] == "activity units"
    assert measure_units(settings, "fr")["internet"] == "unités d’activité"
