"""Backtest tables written as CSV, in one swap like the weekly report, and printed on the console."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

# NOTE: the forecasting layer scores only all measures pooled, so its private scorer is reused here per measure.
from planner.forecasting.backtest import METRIC_COLUMNS, BacktestResult, _metrics
from planner.inputs.settings import Settings
from planner.messages import translatable
from planner.reporting.i18n import (
    DEFAULT_LANGUAGE,
    N_,
    format_number,
    format_percent,
    localized_measure,
    translations,
)
from planner.reporting.writer import safe_folder_name, staged_folder

logger = logging.getLogger(__name__)

# Headers of the printed backtest table, by column of ``BacktestResult.metrics``.
BACKTEST_HEADERS: dict[str, str] = {
    "model": N_("model"),
    "scope": N_("scope"),
    "measure": N_("measure"),
    "hours": N_("hours"),
    "mae": N_("mean abs. error"),
    "mae_relative_to_last_week": N_("error vs last week"),
    "peak_error_median": N_("median peak error"),
    "coverage_p10_p90": N_("p10–p90 coverage"),
    "pinball_loss": N_("pinball loss"),
}
SCOPE_NAMES: dict[str, str] = {
    "overall": N_("all hours"),
    "event_windows": N_("event windows"),
    "outside_events": N_("outside events"),
}
# Columns that are fractions, printed as percentages. Model names stay as typed, because --models takes them.
_PERCENT_COLUMNS = ("peak_error_median", "coverage_p10_p90")
# Columns in the unit of the measure they score.
_MEASURE_UNIT_COLUMNS = ("mae", "pinball_loss")


MEASURE_METRIC_COLUMNS: list[str] = [*METRIC_COLUMNS[:2], "measure", *METRIC_COLUMNS[2:]]
"""Columns of ``backtest_by_measure.csv``: those of ``backtest.csv`` with the measure after the scope."""


def write_backtest(result: BacktestResult, dataset_name: str, out_dir: str | Path = "reports") -> Path:
    """Write the backtest's four CSV files to ``out_dir/<dataset>/backtest-<first week>-<last week>/``.

    ``backtest.csv`` has the metrics per model and scope, all measures
    pooled, and ``backtest_by_measure.csv`` the same metrics per measure
    (see :func:`metrics_by_measure`). ``backtest_peaks.csv`` has the daily
    peak per model, event day, measure and venue cell, and
    ``backtest_forecasts.csv`` every forecast hour with its actual value.
    The folder replaces an earlier one only once every file is written.
    """
    root = Path(out_dir).resolve()
    parent = root / safe_folder_name(dataset_name, translatable("dataset name"))
    name = safe_folder_name(f"backtest-{result.weeks[0].label}-{result.weeks[-1].label}",
                            translatable("backtest name"))
    target = parent / name
    with staged_folder(target) as staging:
        result.metrics.to_csv(staging / "backtest.csv", index=False, float_format="%.6g")
        metrics_by_measure(result).to_csv(staging / "backtest_by_measure.csv", index=False, float_format="%.6g")
        result.peaks.to_csv(staging / "backtest_peaks.csv", index=False, float_format="%.6g")
        forecasts = result.forecasts.copy()
        forecasts["timestamp"] = forecasts["timestamp"].map(lambda stamp: stamp.isoformat())
        forecasts.to_csv(staging / "backtest_forecasts.csv", index=False, float_format="%.6g")
    logger.info("backtest of %s written to %s", dataset_name, target)
    return target


def metrics_by_measure(result: BacktestResult) -> pd.DataFrame:
    """Return the backtest metrics per model, measure and scope, with the columns ``MEASURE_METRIC_COLUMNS``.

    ``result.metrics`` pools the measures: its ``hours`` counts an hour once
    per cell and measure, and its errors average values of different units.
    Here each measure is scored alone, so ``hours`` counts cell-hours and
    ``mae`` is in the measure's unit. The peak error is that of the
    measure's event-day peaks.
    """
    frames = []
    for measure in pd.unique(result.forecasts["measure"]):
        metrics = _metrics(result.forecasts[result.forecasts["measure"] == measure],
                           result.peaks[result.peaks["measure"] == measure])
        metrics.insert(2, "measure", measure)
        frames.append(metrics)
    if not frames:
        return pd.DataFrame(columns=MEASURE_METRIC_COLUMNS)
    return pd.concat(frames, ignore_index=True)[MEASURE_METRIC_COLUMNS]


def measure_units(settings: Settings, lang: str = DEFAULT_LANGUAGE) -> dict[str, str]:
    """Return each measure's unit in ``lang``, by measure name, for :func:`format_backtest_table`."""
    return {measure.name: localized_measure(settings, measure.name, lang).unit for measure in settings.measures}


def format_backtest_table(metrics: pd.DataFrame, lang: str = DEFAULT_LANGUAGE,
                          units: dict[str, str] | None = None) -> str:
    """Format the backtest metrics as a text table with translated headers and numbers formatted for ``lang``.

    ``metrics`` has the columns of ``BacktestResult.metrics``, or those of
    :func:`metrics_by_measure`. The CSV files keep the machine column names,
    and this table is for reading on the console. A missing score is shown
    as an en dash. ``units`` maps each measure of the dataset to its unit
    (see :func:`measure_units`). With one measure, the headers of the
    errors in the measure's unit name it. With a ``measure`` column, each
    measure is followed by its unit. Pooled metrics of several measures, or
    of unknown ones, end with a line that explains what ``hours`` counts and
    that the errors mix units.
    """
    gettext = translations(lang).gettext
    units = units or {}
    single_unit = next(iter(units.values())) if len(units) == 1 else None
    table = pd.DataFrame(index=metrics.index)
    for column in metrics.columns:
        values = metrics[column]
        if column == "model":
            cells = values.astype(str)
        elif column == "measure":
            cells = values.map(lambda name: f"{name} ({units[name]})" if name in units else str(name))
        elif column == "scope":
            cells = values.map(lambda scope: gettext(SCOPE_NAMES[scope]) if scope in SCOPE_NAMES else str(scope))
        elif column == "hours":
            cells = values.map(lambda hours: format_number(hours, lang, decimals=0))
        elif column in _PERCENT_COLUMNS:
            cells = values.map(lambda value: format_percent(value, lang, decimals=1))
        else:
            cells = values.map(lambda value: format_number(value, lang, decimals=3))
        header = gettext(BACKTEST_HEADERS[column]) if column in BACKTEST_HEADERS else column
        if column in _MEASURE_UNIT_COLUMNS and single_unit and "measure" not in metrics.columns:
            header = f"{header} ({single_unit})"
        table[header] = cells
    text = table.to_string(index=False)
    if "measure" not in metrics.columns and "hours" in metrics.columns and single_unit is None:
        text += "\n" + gettext("hours: one per hour, cell and measure. With several measures, the errors average "
                                "values of different units; backtest_by_measure.csv scores each measure alone.")
    return text
