"""Backtest tables written as CSV, in one swap like the weekly report."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path

from planner.forecasting.backtest import BacktestResult
from planner.messages import translatable
from planner.reporting.writer import replace_folder, safe_folder_name

logger = logging.getLogger(__name__)


def write_backtest(result: BacktestResult, dataset_name: str, out_dir: str | Path = "reports") -> Path:
    """Write ``backtest.csv`` (metrics), ``backtest_peaks.csv`` and ``backtest_forecasts.csv``.

    The folder is ``out_dir/<dataset>/backtest-<first week>-<last week>/``;
    it replaces an earlier one only once every file is written.
    """
    root = Path(out_dir).resolve()
    parent = root / safe_folder_name(dataset_name, translatable("dataset name"))
    name = safe_folder_name(f"backtest-{result.weeks[0].label}-{result.weeks[-1].label}",
                            translatable("backtest name"))
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=parent, prefix=f".{name}."))
    try:
        result.metrics.to_csv(staging / "backtest.csv", index=False, float_format="%.6g")
        result.peaks.to_csv(staging / "backtest_peaks.csv", index=False, float_format="%.6g")
        forecasts = result.forecasts.copy()
        forecasts["timestamp"] = forecasts["timestamp"].map(lambda stamp: stamp.isoformat())
        forecasts.to_csv(staging / "backtest_forecasts.csv", index=False, float_format="%.6g")
        os.chmod(staging, 0o755)
        target = parent / name
        replace_folder(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    logger.info("backtest of %s written to %s", dataset_name, target)
    return target
