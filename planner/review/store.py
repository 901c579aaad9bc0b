"""The event history: the measured effect of every reviewed event, stored in the dataset folder.

The history is one Parquet file, ``<dataset>/history/events.parquet``. Parquet
keeps the column types (tz-aware times, floats with NaN) without a schema of
our own, is read by pandas in one call and is already a dependency for the
Parquet inputs. SQLite would need a hand-written schema and type mapping for
one table that is always read whole, and DuckDB would add a large dependency
for queries that pandas does as well at this size (a few thousand rows per
event).
"""

from __future__ import annotations

import logging
import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

logger = logging.getLogger(__name__)

HISTORY_FOLDER = "history"
HISTORY_FILE = "events.parquet"
HISTORY_COLUMNS: tuple[str, ...] = (
    "event_id", "kind", "venue_id", "start", "end", "attendance", "cell_id", "measure", "position_hours",
    "excess", "week", "reviewed_at", "offset_hours",
)
"""Columns of the stored history.

``offset_hours`` is how far the plan moved the event from its calendar ``start`` and ``end`` by a learned timing
offset, and ``position_hours`` counts from the moved start. Readers that predate the column ignore it, and rows
written before it have NaN there."""


def save_event_history(dataset_path: str | Path, rows: pd.DataFrame, week_label: str,
                       reviewed_at: datetime | None = None) -> Path:
    """Replace the rows of ``week_label`` in the event history with ``rows``, atomically.

    The new file is written beside the old one and renamed over it, so a
    reader sees either the old or the new history, never a partial one.

    Parameters
    ----------
    dataset_path : str or Path
        The dataset folder; ``history/`` is created inside it when missing.
    rows : DataFrame
        The week's measured effects (:attr:`planner.review.WeekReview.history`).
    week_label : str
        The reviewed week, such as ``2013-W47``; its earlier rows are dropped.
    reviewed_at : datetime, optional
        Time of the review, tz-aware; now in UTC by default.

    Returns
    -------
    Path
        The history file.
    """
    reviewed_at = reviewed_at or datetime.now(timezone.utc)
    folder = Path(dataset_path) / HISTORY_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / HISTORY_FILE

    new_rows = rows.assign(week=week_label, reviewed_at=pd.Timestamp(reviewed_at).tz_convert("UTC"))
    if "offset_hours" not in new_rows.columns:
        new_rows = new_rows.assign(offset_hours=float("nan"))
    new_rows = _utc_times(new_rows)
    if path.exists():
        earlier = pd.read_parquet(path)
        kept = earlier[earlier["week"] != week_label]
        combined = pd.concat([kept, new_rows[list(HISTORY_COLUMNS)]], ignore_index=True)
    else:
        combined = new_rows[list(HISTORY_COLUMNS)].reset_index(drop=True)

    handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{HISTORY_FILE}.", suffix=".tmp")
    os.close(handle)
    try:
        combined.to_parquet(temporary, index=False)
        # mkstemp creates the file with mode 0600. Other users of a shared dataset folder need to read the
        # history, so the file gets the mode of any new file under the user's umask.
        os.chmod(temporary, 0o666 & ~_current_umask())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    logger.info("event history %s: %d rows of %s written, %d rows in all", path, len(new_rows), week_label,
                len(combined))
    return path


def _current_umask() -> int:
    # os.umask can only be read by setting it, so it is set and restored at once.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _utc_times(frame: pd.DataFrame) -> pd.DataFrame:
    # Events of different weeks may carry different UTC offsets, and one Parquet column has one time zone.
    frame = frame.copy()
    for column in ("start", "end", "reviewed_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame
