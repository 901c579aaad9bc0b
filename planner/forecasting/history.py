"""Read the event history that post-event reviews store in a dataset folder, as past events to learn from.

The history is ``<dataset>/history/events.parquet``, written by
:func:`planner.review.save_event_history`: one row per event, cell, measure
and window hour, with ``event_id``, ``kind``, ``venue_id``, ``start``,
``end``, ``attendance`` (actual when the review was given it), ``cell_id``,
``measure``, ``position_hours``, ``excess`` (traffic minus baseline over the
cell's level), ``week`` and ``reviewed_at``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from planner.forecasting.uplift import PastEvent
from planner.messages import translatable

HISTORY_PATH = Path("history") / "events.parquet"
HISTORY_COLUMNS: tuple[str, ...] = (
    "event_id", "kind", "venue_id", "start", "end", "attendance", "cell_id", "measure", "position_hours",
    "excess", "week", "reviewed_at",
)


def load_event_history(dataset_path: str | Path) -> pd.DataFrame:
    """Return the stored event history of a dataset folder, or an empty table with its columns.

    Raises
    ------
    ValueError
        If the file lacks a column, naming the file and the missing columns.
    """
    path = Path(dataset_path) / HISTORY_PATH
    if not path.exists():
        return pd.DataFrame({column: pd.Series(dtype=object) for column in HISTORY_COLUMNS})
    history = pd.read_parquet(path)
    missing = [column for column in HISTORY_COLUMNS if column not in history.columns]
    if missing:
        raise ValueError(translatable("invalid event history {path}: missing column {columns}; delete the file and "
                                      "review the weeks again", path=str(path), columns=", ".join(missing)))
    return history


def history_to_past_events(history: pd.DataFrame, cells: Sequence[str], measure: str | None = None,
                           timezone=None) -> list[PastEvent]:
    """Turn history rows into one :class:`PastEvent` per event, with the excess on the given cells.

    Parameters
    ----------
    history : DataFrame
        Rows of :func:`load_event_history`.
    cells : sequence of str
        Columns of each event's ``excess``; a cell with no row in the history gets NaN.
    measure : str, optional
        The measure to take; required when the history has several.
    timezone : tzinfo, optional
        Local time zone for ``start_hour``; the stored times are in UTC.

    Raises
    ------
    ValueError
        If ``measure`` is not given and the history has several measures.
    """
    if history.empty:
        return []
    measures = sorted(history["measure"].unique())
    if measure is None:
        if len(measures) > 1:
            raise ValueError(f"the event history has several measures ({', '.join(measures)}); give measure=")
        measure = measures[0]
    rows = history[history["measure"] == measure]
    cell_order = {str(cell): column for column, cell in enumerate(cells)}

    events = []
    for event_id, group in rows.groupby("event_id", sort=False):
        positions = np.sort(group["position_hours"].unique().astype(float))
        position_row = {position: row for row, position in enumerate(positions)}
        excess = np.full((len(positions), len(cells)), np.nan)
        for cell_id, position, value in zip(group["cell_id"].astype(str), group["position_hours"], group["excess"]):
            column = cell_order.get(cell_id)
            if column is not None:
                excess[position_row[float(position)], column] = value
        first = group.iloc[0]
        start = pd.Timestamp(first["start"])
        local_start = start.tz_convert(timezone) if timezone is not None else start
        events.append(PastEvent(
            event_id=str(event_id), kind=str(first["kind"]), venue_id=str(first["venue_id"] or ""),
            attendance=float(first["attendance"]), positions=positions, excess=excess,
            start_hour=local_start.hour + local_start.minute / 60,
            duration_hours=(pd.Timestamp(first["end"]) - start) / pd.Timedelta(hours=1),
        ))
    return events
