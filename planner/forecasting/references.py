"""Reference models from general-purpose forecasting libraries, for backtests only.

These run one series at a time (per cell and measure) and need the ``bench``
extra (``pip install -e ".[bench]"``): statsforecast, Prophet, and
statsmodels, which planner already depends on. Each model sees the same
history as planner, strictly before the week, and the week's events as
regressors known in advance.

- ``mstl``: statsforecast MSTL, seasons of 24 and 168 hours, AutoARIMA on the
  trend, no event regressor.
- ``mstl_events``: the same with a 0/1 regressor that is 1 in every event
  window hour (start - 1 h to end + 2 h), passed to AutoARIMA.
- ``prophet_events``: Prophet with daily and weekly seasonality and one 0/1
  regressor per hour of the event window, so that it can learn a shape.
- ``unobserved_components``: statsmodels UnobservedComponents with a local
  level, seasonal harmonics of 24 and 168 hours and the 0/1 event regressor.

Every model gives p10 and p90 from its own 80 % interval.
"""

from __future__ import annotations

import importlib.util
import logging
import warnings
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from planner.forecasting.windows import HOUR
from planner.inputs.dataset import Dataset
from planner.inputs.timestamps import floor_hour
from planner.inputs.weeks import Week
from planner.messages import Message, translatable

logger = logging.getLogger(__name__)

HISTORY_WEEKS = 8
"""Weeks of history each reference model is fitted on, as for planner's baseline."""

WINDOW_HOURS_BEFORE = 1
WINDOW_HOURS_AFTER = 2
MAX_WINDOW_HOURS = 12
"""Hours of an event window that get their own Prophet regressor; later hours share the last one."""


MODEL_PACKAGES: dict[str, str] = {"mstl": "statsforecast", "mstl_events": "statsforecast", "prophet_events": "prophet"}
"""The package of the ``bench`` extra that each reference model imports; the other models need no extra."""


def check_model_packages(models: Sequence[str]) -> None:
    """Raise ImportError naming the ``bench`` extra when a requested model's package is not installed.

    A backtest calls this before its first week, so that a missing package
    fails at once rather than after planner's own forecasts.
    """
    for name in models:
        package = MODEL_PACKAGES.get(name)
        if package is not None and importlib.util.find_spec(package) is None:
            raise ImportError(_missing_package(name, package))


def _missing_package(model: str, package: str) -> Message:
    return translatable("the {model} reference model needs the {package} package, which is not installed; install "
                        "the bench extra with pip install -e \".[bench]\" in the planner folder", model=model,
                        package=package)


def reference_models() -> dict[str, Callable[[Dataset, Week], pd.DataFrame]]:
    """Return the reference models by name; each raises ImportError naming the extra when missing."""
    return {
        "mstl": lambda dataset, week: _per_series(dataset, week, _mstl, with_events=False),
        "mstl_events": lambda dataset, week: _per_series(dataset, week, _mstl, with_events=True),
        "prophet_events": lambda dataset, week: _per_series(dataset, week, _prophet, with_events=True),
        "unobserved_components": lambda dataset, week: _per_series(dataset, week, _unobserved_components,
                                                                   with_events=True),
    }


def event_offsets(events: pd.DataFrame, hours: pd.DatetimeIndex) -> np.ndarray:
    """Return, per hour, the hour's offset inside an event window (0 for its first hour), or -1 outside.

    Windows run from ``WINDOW_HOURS_BEFORE`` hours before the start to
    ``WINDOW_HOURS_AFTER`` hours after the end, as in the backtest's scoring.
    Where windows overlap, the earlier offset wins.
    """
    offsets = np.full(len(hours), -1, dtype=np.int64)
    for start, end in zip(events["start"], events["end"]):
        first = floor_hour(start - WINDOW_HOURS_BEFORE * HOUR)
        inside = np.asarray((hours + HOUR > start - WINDOW_HOURS_BEFORE * HOUR) & (hours < end + WINDOW_HOURS_AFTER * HOUR))
        offset = np.round(np.asarray((hours - first) / HOUR, dtype=float)).astype(np.int64)
        update = inside & ((offsets < 0) | (offset < offsets))
        offsets[update] = offset[update]
    return offsets


def _per_series(dataset: Dataset, week: Week, fit_forecast, *, with_events: bool) -> pd.DataFrame:
    hours = week.hours()
    history_start = week.start - pd.Timedelta(weeks=HISTORY_WEEKS)
    history_hours = pd.date_range(max(history_start, dataset.first_hour), week.start, freq="h", inclusive="left")
    events = dataset.events[(dataset.events["venue_id"].fillna("") != "")]
    history_offsets = event_offsets(events, history_hours) if with_events else None
    future_offsets = event_offsets(events, hours) if with_events else None

    frames = []
    for measure in dataset.settings.measure_names:
        matrix = dataset.traffic_matrix(measure).reindex(history_hours)
        for cell_id in matrix.columns:
            history = matrix[cell_id].to_numpy(dtype=float)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                p10, p50, p90 = fit_forecast(history, history_hours, hours, history_offsets, future_offsets)
            frames.append(pd.DataFrame({"cell_id": cell_id, "measure": measure, "timestamp": hours,
                                        "p10": p10, "p50": p50, "p90": p90}))
    return pd.concat(frames, ignore_index=True)


def _mstl(history, history_hours, hours, history_offsets, future_offsets):
    try:
        from statsforecast.models import MSTL, AutoARIMA
    except ImportError as error:
        raise ImportError(_missing_package("mstl", "statsforecast")) from error
    series = _filled(history)
    seasons = [season for season in (24, 168) if len(series) >= 2 * season]
    if not seasons:
        return _missing(len(hours))
    model = MSTL(season_length=seasons, trend_forecaster=AutoARIMA())
    regressors = {}
    if history_offsets is not None and (history_offsets >= 0).any():
        regressors = {"X": (history_offsets >= 0).astype(float)[:, None],
                      "X_future": (future_offsets >= 0).astype(float)[:, None]}
    forecast = model.forecast(y=series, h=len(hours), level=[80], **regressors)
    return forecast["lo-80"], forecast["mean"], forecast["hi-80"]


def _prophet(history, history_hours, hours, history_offsets, future_offsets):
    try:
        from prophet import Prophet
    except ImportError as error:
        raise ImportError(_missing_package("prophet_events", "prophet")) from error
    logging.getLogger("cmdstanpy").setLevel(logging.WARNING)
    frame = pd.DataFrame({"ds": history_hours.tz_localize(None), "y": history})
    future = pd.DataFrame({"ds": hours.tz_localize(None)})
    model = Prophet(daily_seasonality=True, weekly_seasonality=True, yearly_seasonality=False, interval_width=0.8)
    seen = sorted(set(np.minimum(history_offsets[history_offsets >= 0], MAX_WINDOW_HOURS - 1)))
    for offset in seen:
        name = f"event_hour_{offset}"
        frame[name] = (np.minimum(history_offsets, MAX_WINDOW_HOURS - 1) == offset).astype(float)
        future[name] = ((np.minimum(future_offsets, MAX_WINDOW_HOURS - 1) == offset) & (future_offsets >= 0)).astype(float)
        model.add_regressor(name)
    frame = frame.dropna(subset=["y"])
    if len(frame) < 48:
        return _missing(len(hours))
    model.fit(frame)
    forecast = model.predict(future)
    return forecast["yhat_lower"].to_numpy(), forecast["yhat"].to_numpy(), forecast["yhat_upper"].to_numpy()


def _unobserved_components(history, history_hours, hours, history_offsets, future_offsets):
    from statsmodels.tsa.statespace.structural import UnobservedComponents

    if np.sum(~np.isnan(history)) < 2 * 24:
        return _missing(len(hours))
    seasonal = [{"period": 24, "harmonics": 6}]
    if len(history) >= 2 * 168:
        seasonal.append({"period": 168, "harmonics": 6})
    exog = future_exog = None
    if history_offsets is not None and (history_offsets >= 0).any():
        exog = (history_offsets >= 0).astype(float)[:, None]
        future_exog = (future_offsets >= 0).astype(float)[:, None]
    model = UnobservedComponents(history, level="local level", freq_seasonal=seasonal, exog=exog)
    result = model.fit(disp=False, maxiter=200)
    prediction = result.get_forecast(steps=len(hours), exog=future_exog)
    interval = prediction.conf_int(alpha=0.2)
    return interval[:, 0], prediction.predicted_mean, interval[:, 1]


def _filled(history: np.ndarray) -> np.ndarray:
    """Fill missing hours by linear interpolation, since MSTL takes no gaps."""
    series = pd.Series(history)
    return series.interpolate(limit_direction="both").fillna(0.0).to_numpy()


def _missing(length: int):
    empty = np.full(length, np.nan)
    return empty, empty, empty
