"""Tests of the backtest table printed on the console."""

from __future__ import annotations

import math

import pandas as pd

from planner.reporting.backtest import format_backtest_table

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
