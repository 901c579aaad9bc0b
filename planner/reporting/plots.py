"""Forecast plots of one cell and measure over the week, as PNG bytes.

Figures are built with ``matplotlib.figure.Figure`` and the Agg canvas it
picks for PNG output, never through ``pyplot``. No global figure registry
keeps a reference to them, so they are freed once the bytes are returned. The time
axis is in the dataset's local time and its day names come from Babel, so
they do not depend on the operating system's locale.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from io import BytesIO
from zoneinfo import ZoneInfo

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from planner.decisions.plan import WeeklyPlan, placed_times  # noqa: E402
from planner.inputs.settings import Measure  # noqa: E402
from planner.reporting.i18n import (  # noqa: E402
    format_datetime,
    format_number,
    format_percent,
    localized_measure,
    translations,
)

FIGURE_SIZE_INCHES = (10.0, 3.5)
FIGURE_DPI = 110
_EVENT_LABEL_CHARS = 28


@dataclass(frozen=True)
class EventWindow:
    """An event shaded on a plot: its name and local start and end."""

    name: str
    start: pd.Timestamp
    end: pd.Timestamp


def plot_plan_cell(plan: WeeklyPlan, cell_id: str, measure: str, lang: str = "fr") -> bytes:
    """Draw the week's forecast of one cell and measure of a plan, as PNG bytes.

    The capacity and utilisation threshold come from the plan's capacity
    table, or from the dataset's cells table when the plan kept no hour of
    that cell. The shaded windows are the events the capacity table ties to
    the cell plus the events of the whole area (empty ``venue_id``), each
    from its start to its end as the forecast placed it (moved by its
    ``offset_hours``).
    """
    forecast = plan.forecast
    rows = forecast[(forecast["cell_id"] == cell_id) & (forecast["measure"] == measure)]
    capacity, threshold = _capacity_of(plan, cell_id, measure)
    return plot_cell_forecast(
        rows,
        measure=localized_measure(plan.dataset.settings, measure, lang),
        timezone=plan.dataset.timezone,
        capacity=capacity,
        threshold=threshold,
        event_windows=_event_windows(plan, cell_id, measure),
        lang=lang,
        title=_title(cell_id, localized_measure(plan.dataset.settings, measure, lang), lang),
        week_start=plan.week.start,
        week_end=plan.week.end,
    )


def plot_cell_forecast(forecast: pd.DataFrame, measure: Measure, timezone: ZoneInfo, *,
                       capacity: float | None = None, threshold: float | None = None,
                       event_windows: Sequence[EventWindow] = (), lang: str = "fr", title: str = "",
                       week_start: pd.Timestamp | None = None, week_end: pd.Timestamp | None = None) -> bytes:
    """Draw the p50 line, the p10–p90 band, the baseline and the actual traffic of one cell, as PNG bytes.

    Parameters
    ----------
    forecast : DataFrame
        Hourly rows of one cell and measure: ``timestamp`` (tz-aware),
        ``p10``, ``p50``, ``p90``, ``baseline`` and ``actual`` (NaN where
        unknown). The actual line is drawn only when some value is known.
    measure : Measure
        Gives the y-axis label and unit.
    timezone : ZoneInfo
        Local time zone of the time axis.
    capacity, threshold : float, optional
        The cell's capacity in the measure's unit and its utilisation
        threshold as a fraction; each is drawn as a horizontal line when given.
    event_windows : sequence of EventWindow
        Shaded and labelled on the plot.
    week_start, week_end : Timestamp, optional
        Limits of the time axis; the forecast's first and last hour otherwise.
    """
    gettext = translations(lang).gettext
    data = _with_closing_hour(forecast.sort_values("timestamp"))
    times = [pd.Timestamp(value).tz_convert(timezone).to_pydatetime() for value in data["timestamp"]]

    figure = Figure(figsize=FIGURE_SIZE_INCHES, dpi=FIGURE_DPI, layout="constrained")
    axes = figure.subplots()

    for index, window in enumerate(event_windows):
        axes.axvspan(window.start.to_pydatetime(), window.end.to_pydatetime(), color="#f2c14e", alpha=0.25,
                     linewidth=0, label=gettext("event window") if index == 0 else None)
        axes.annotate(_plain_text(window.name, _EVENT_LABEL_CHARS), xy=(window.start.to_pydatetime(), 1.0),
                      xycoords=("data", "axes fraction"), xytext=(2, -2), textcoords="offset points",
                      va="top", ha="left", fontsize=7, color="#7a5a00", clip_on=True)

    # Each value covers its whole hour, so the lines are steps that start at the hour.
    axes.fill_between(times, data["p10"].to_numpy(dtype=float), data["p90"].to_numpy(dtype=float), step="post",
                      color="#4c78a8", alpha=0.25, linewidth=0, label=gettext("p10–p90 band"))
    axes.plot(times, data["baseline"].to_numpy(dtype=float), drawstyle="steps-post", color="#555555",
              linestyle="--", linewidth=1.0, label=gettext("baseline (no event)"))
    axes.plot(times, data["p50"].to_numpy(dtype=float), drawstyle="steps-post", color="#1f77b4", linewidth=1.6,
              label=gettext("forecast p50"))
    actual = data["actual"].to_numpy(dtype=float)
    if np.isfinite(actual).any():
        axes.plot(times, actual, drawstyle="steps-post", color="#111111", linewidth=1.0,
                  label=gettext("actual traffic"))
    if capacity is not None and np.isfinite(capacity):
        axes.axhline(capacity, color="#b22222", linewidth=1.4, label=gettext("capacity"))
        if threshold is not None and np.isfinite(threshold):
            axes.axhline(capacity * threshold, color="#e07b00", linestyle=":", linewidth=1.4,
                         label=gettext("threshold (%(percent)s of capacity)")
                         % {"percent": format_percent(threshold, lang)})

    if week_start is not None and week_end is not None:
        axes.set_xlim(week_start.to_pydatetime(), week_end.to_pydatetime())
    _format_time_axis(axes, timezone, lang)
    axes.set_ylim(bottom=0)
    axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _position: format_number(value, lang)))
    axes.set_xlabel(gettext("local time (%(timezone)s)") % {"timezone": str(timezone)})
    unit = f" ({measure.unit})" if measure.unit else ""
    axes.set_ylabel(_plain_text(f"{measure.label or measure.name}{unit}", 40))
    axes.grid(True, which="major", color="#dddddd", linewidth=0.6)
    if title:
        axes.set_title(_plain_text(title, 120), fontsize=10, loc="left")
    axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)

    buffer = BytesIO()
    figure.savefig(buffer, format="png", dpi=FIGURE_DPI)
    figure.clear()
    return buffer.getvalue()


def _format_time_axis(axes, timezone: ZoneInfo, lang: str) -> None:
    axes.xaxis.set_major_locator(mdates.DayLocator(tz=timezone))
    axes.xaxis.set_minor_locator(mdates.HourLocator(byhour=(6, 12, 18), tz=timezone))

    right_edge = axes.get_xlim()[1]

    def day_label(value: float, _position: int) -> str:
        # A day label is left-aligned at midnight, so the one at the right edge would name a day not shown.
        if value >= right_edge:
            return ""
        return format_datetime(pd.Timestamp(mdates.num2date(value, tz=timezone)), lang, format="EEE d MMM")

    axes.xaxis.set_major_formatter(FuncFormatter(day_label))
    for label in axes.get_xticklabels():
        label.set_horizontalalignment("left")


def _with_closing_hour(data: pd.DataFrame) -> pd.DataFrame:
    """Repeat the last hour one hour later, so that a step line also draws the last hour."""
    if data.empty:
        return data
    closing = data.iloc[[-1]].copy()
    closing["timestamp"] = closing["timestamp"] + pd.Timedelta(hours=1)
    return pd.concat([data, closing], ignore_index=True)


def _capacity_of(plan: WeeklyPlan, cell_id: str, measure: str) -> tuple[float | None, float | None]:
    rows = plan.capacity[(plan.capacity["cell_id"] == cell_id) & (plan.capacity["measure"] == measure)]
    capacity = _first_finite(rows["capacity"])
    threshold = _first_finite(rows["threshold"])
    cells = plan.dataset.cells
    cell = cells[cells["cell_id"] == cell_id]
    if capacity is None and f"capacity_{measure}" in cell.columns:
        capacity = _first_finite(cell[f"capacity_{measure}"])
    if threshold is None and "utilisation_threshold" in cell.columns:
        threshold = _first_finite(cell["utilisation_threshold"])
    if threshold is None:
        threshold = plan.dataset.settings.capacity.default_utilisation_threshold
    return capacity, threshold


def _event_windows(plan: WeeklyPlan, cell_id: str, measure: str) -> list[EventWindow]:
    rows = plan.capacity[(plan.capacity["cell_id"] == cell_id) & (plan.capacity["measure"] == measure)]
    tied: set[str] = set()
    for text in rows["event_id"].fillna("").astype(str):
        tied.update(part.strip() for part in text.split(";") if part.strip())
    # The offset can differ between measures, so each event is shaded as placed for the plotted one.
    events = plan.events[plan.events["measure"] == measure].drop_duplicates("event_id")
    area_wide = events["venue_id"].fillna("").astype(str) == ""
    chosen = events[events["event_id"].isin(tied) | area_wide].sort_values("start")
    timezone = plan.dataset.timezone
    # Shaded where the forecast placed each event, which a learned timing offset moves from the calendar's times.
    windows = []
    for event in chosen.itertuples(index=False):
        start, end = placed_times(event)
        windows.append(EventWindow(name=str(event.name), start=max(start, plan.week.start).tz_convert(timezone),
                                   end=min(end, plan.week.end).tz_convert(timezone)))
    return windows


def _title(cell_id: str, measure: Measure, lang: str) -> str:
    gettext = translations(lang).gettext
    return gettext("Cell %(cell)s: %(measure)s") % {"cell": cell_id, "measure": measure.label or measure.name}


def _first_finite(values: pd.Series) -> float | None:
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    finite = numbers[np.isfinite(numbers)]
    return float(finite[0]) if finite.size else None


def _plain_text(text: str, max_chars: int) -> str:
    """Shorten user text and escape ``$`` so that matplotlib never reads it as mathtext."""
    text = " ".join(str(text).split())
    if len(text) > max_chars:
        text = text[: max_chars - 1] + "…"
    return text.replace("$", r"\$")
