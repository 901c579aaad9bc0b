"""Find the gaps of hourly traffic and fill the short ones by linear interpolation.

A gap is a run of consecutive missing hours of one cell and measure. Every gap
is reported with its cell and hours. Under ``[inputs] on_bad_rows =
"repair"`` a gap of at most ``max_interpolated_gap_hours`` hours with a value
on both sides is filled on the straight line between those two values. A
longer gap, or one at the start or end of the data, stays missing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from planner.messages import Message, translatable, translatable_plural

# At most this many gaps are named in one data-quality note.
MAX_LISTED_GAPS = 10


@dataclass(frozen=True)
class Gap:
    """A run of missing hours of one cell and measure, first and last hour included."""

    cell_id: str
    measure: str
    first: pd.Timestamp
    last: pd.Timestamp
    hours: int
    bounded: bool

    def describe(self) -> Message:
        if self.hours == 1:
            return translatable("{cell} {first:%Y-%m-%d %H:%M} ({hours} h)", cell=self.cell_id, first=self.first,
                                hours=self.hours)
        return translatable("{cell} {first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M} ({hours} h)",
                            cell=self.cell_id, first=self.first, last=self.last, hours=self.hours)


@dataclass
class GapReport:
    """The gaps found per measure, the cell hours filled and a note per measure."""

    gaps: dict[str, list[Gap]] = field(default_factory=dict)
    filled_hours: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def find_gaps(hourly: pd.DataFrame, measure: str) -> list[Gap]:
    """Return every run of missing hours of ``measure`` in hourly traffic, by cell then time.

    ``hourly`` has one row per cell and hour with no hour absent, as from
    :func:`planner.inputs.hourly.to_hourly`. A gap is ``bounded`` when the
    cell has a value in the hours just before and just after it.
    """
    gaps: list[Gap] = []
    missing_rows = hourly[measure].isna().to_numpy()
    if not missing_rows.any():
        return gaps
    # Only the cells with a missing hour can have a gap; a national network has few of them.
    cells_with_gaps = hourly["cell_id"][missing_rows].unique()
    hourly = hourly[hourly["cell_id"].isin(cells_with_gaps).to_numpy()]
    for cell_id, rows in hourly.groupby("cell_id", sort=True):
        missing = rows[measure].isna().to_numpy()
        if not missing.any():
            continue
        edges = np.diff(np.concatenate([[0], missing.astype(np.int8), [0]]))
        starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
        stamps = rows["timestamp"].to_numpy()
        for start, end in zip(starts, ends):
            gaps.append(Gap(cell_id=str(cell_id), measure=measure, first=pd.Timestamp(stamps[start]).tz_convert(
                rows["timestamp"].dt.tz), last=pd.Timestamp(stamps[end - 1]).tz_convert(rows["timestamp"].dt.tz),
                hours=int(end - start), bounded=bool(start > 0 and end < len(missing))))
    return gaps


def report_gaps(hourly: pd.DataFrame, measures: list[str], max_interpolated_hours: int | None
                ) -> tuple[pd.DataFrame, GapReport]:
    """Report the gaps of every measure and, when ``max_interpolated_hours`` is given, fill the short ones.

    Returns
    -------
    hourly : DataFrame
        The input with the short bounded gaps filled (a copy when any is).
    report : GapReport
        The gaps, the cell hours filled per measure and one note per measure
        naming its first gaps.
    """
    report = GapReport()
    for measure in measures:
        gaps = find_gaps(hourly, measure)
        report.gaps[measure] = gaps
        fillable = [gap for gap in gaps if max_interpolated_hours is not None and gap.bounded
                    and gap.hours <= max_interpolated_hours]
        if fillable:
            hourly = _interpolate(hourly, measure, fillable)
        report.filled_hours[measure] = sum(gap.hours for gap in fillable)
        if not gaps:
            continue
        listed = [gap.describe() for gap in gaps[:MAX_LISTED_GAPS]]
        if len(gaps) > MAX_LISTED_GAPS:
            listed.append(translatable("and {count} more", count=len(gaps) - MAX_LISTED_GAPS))
        note = translatable_plural("{measure}: {count} gap of missing hours, {hours} cell hours ({listed})",
                                   "{measure}: {count} gaps of missing hours, {hours} cell hours ({listed})",
                                   len(gaps), measure=measure, hours=sum(gap.hours for gap in gaps), listed=listed)
        if fillable:
            note = translatable_plural(
                "{gaps}; {count} gap of at most {max_hours} h between two values filled by linear interpolation, "
                "{hours} cell hours",
                "{gaps}; {count} gaps of at most {max_hours} h between two values filled by linear interpolation, "
                "{hours} cell hours",
                len(fillable), gaps=note, max_hours=max_interpolated_hours, hours=report.filled_hours[measure])
        report.notes.append(note)
    return hourly, report


def _interpolate(hourly: pd.DataFrame, measure: str, gaps: list[Gap]) -> pd.DataFrame:
    hourly = hourly.copy()
    for cell_id, rows in hourly.groupby("cell_id", sort=False):
        cell_gaps = [gap for gap in gaps if gap.cell_id == str(cell_id)]
        if not cell_gaps:
            continue
        values = rows[measure]
        # Elapsed hours as the interpolation axis: the index of hourly rows is not a time.
        elapsed = ((rows["timestamp"] - rows["timestamp"].iloc[0]) / pd.Timedelta(hours=1)).to_numpy()
        line = pd.Series(np.interp(elapsed, elapsed[values.notna().to_numpy()], values.dropna().to_numpy()),
                         index=rows.index)
        for gap in cell_gaps:
            inside = rows.index[(rows["timestamp"] >= gap.first) & (rows["timestamp"] <= gap.last)]
            hourly.loc[inside, measure] = line[inside]
    return hourly
