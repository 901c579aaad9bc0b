"""Tests of the backtest table printed on the console."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from planner.forecasting.backtest import METRIC_COLUMNS, BacktestResult, run_backtest
from planner.inputs import load_dataset
from planner.reporting.backtest import MEASURE_METRIC_COLUMNS, format_backtest_table, metrics_by_measure, write_backtest
from tests.conftest import BUNDLED_DATA

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
