"""Parse ISO 8601 timestamp columns into tz-aware values in the dataset's time zone.

A timestamp with a UTC offset (``2024-10-27T02:00:00+02:00``) is exact and is
converted to the dataset time zone. A timestamp without an offset is local
wall-clock time in that zone. Such a time can be ambiguous (the hour repeated
when clocks go back in autumn) or non-existent (the hour skipped when clocks
go forward in spring).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.inputs.errors import Problem

# A time of day followed by "Z" or a "+HH:MM" / "-HHMM" / "+HH" offset.
_OFFSET_PATTERN = r"[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)$"


def parse_timestamps(values: pd.Series, timezone, file: str, column: str,
                     lines: pd.Series, groups: pd.Series | None = None) -> tuple[pd.Series, list[Problem]]:
    """Parse a column of ISO 8601 text into tz-aware timestamps.

    Parameters
    ----------
    values : Series of str
        The column as read from the file, empty string or NaN where missing.
    timezone : zoneinfo.ZoneInfo
        The dataset time zone: the zone of the result, and the zone of the
        local times written without an offset.
    file, column : str
        Where the values come from, for the problems.
    lines : Series of int
        The 1-based line number of each value in the file (header = line 1).
    groups : Series, optional
        A series key such as ``cell_id``. A local time written twice in the
        repeated autumn hour is summer time at its first occurrence in the
        key's rows (file order) and standard time at the second. Without
        ``groups`` every ambiguous local time is read as summer time.

    Returns
    -------
    timestamps : Series of datetime64 tz-aware
        NaT where a problem was found.
    problems : list of Problem
        One per missing, invalid or non-existent value. When some values have
        an offset and others do not, one per value of the less common form.
    """
    text = values.fillna("").astype(str).str.strip()
    problems: list[Problem] = []

    empty = text == ""
    for index in text.index[empty]:
        problems.append(Problem(file, int(lines[index]), column, "",
                                "missing timestamp; write the start of the interval in ISO 8601, "
                                "such as 2024-03-31T01:00:00+01:00"))

    # Parse each distinct text once: in a traffic file every cell repeats the same timestamps.
    codes, uniques = pd.factorize(text)
    unique_text = pd.Series(uniques, dtype=object)
    unique_has_offset = unique_text.str.contains(_OFFSET_PATTERN, regex=True).to_numpy()
    unique_exact = pd.to_datetime(unique_text.where(unique_has_offset), format="ISO8601", utc=True, errors="coerce")
    unique_naive = pd.to_datetime(unique_text.where(~unique_has_offset), format="ISO8601", errors="coerce")

    has_offset = pd.Series(unique_has_offset[codes], index=text.index) & ~empty
    without_offset = ~has_offset & ~empty
    exact = pd.Series(unique_exact.array.take(codes), index=text.index)
    naive = pd.Series(unique_naive.array.take(codes), index=text.index)
    local = _localize(naive, timezone, groups)
    result = exact.dt.tz_convert(timezone).where(has_offset, local)

    odd = pd.Series(False, index=text.index)
    if has_offset.any() and without_offset.any():
        odd, mixed_problems = _mixed_offset_problems(text, has_offset, without_offset, file, column, lines)
        problems.extend(mixed_problems)
        result = result.where(~odd)

    skipped = naive.notna() & local.isna() & ~odd
    for index in text.index[skipped]:
        problems.append(Problem(
            file, int(lines[index]), column, text[index],
            f"local time does not exist in {timezone.key} because clocks jump forward at the "
            "daylight-saving change; add the UTC offset to every timestamp, such as "
            "2024-03-31T03:10:00+02:00"))

    invalid = ((has_offset & exact.isna()) | (without_offset & naive.isna())) & ~odd
    for index in text.index[invalid]:
        problems.append(Problem(file, int(lines[index]), column, text[index],
                                "invalid timestamp; expected ISO 8601 such as 2024-03-31T01:00:00+01:00 "
                                "or 2024-03-31 01:00:00"))

    # One resolution for every table, whatever precision the text had.
    return result.dt.as_unit("us"), problems


def _localize(naive: pd.Series, timezone, groups: pd.Series | None) -> pd.Series:
    """Localize wall-clock times; a skipped spring time becomes NaT."""
    if groups is None:
        summer_time = np.ones(len(naive), dtype=bool)
    else:
        # The n-th occurrence of the same local time in a series' rows: 0 is summer time.
        occurrence = naive.groupby([groups, naive], sort=False, dropna=False).cumcount()
        summer_time = (occurrence == 0).to_numpy()
    return naive.dt.tz_localize(timezone, ambiguous=summer_time, nonexistent="NaT")


def _mixed_offset_problems(text: pd.Series, has_offset: pd.Series, without_offset: pd.Series,
                           file: str, column: str, lines: pd.Series) -> tuple[pd.Series, list[Problem]]:
    """Report each value of the less common form; return which values those are."""
    with_count, without_count = int(has_offset.sum()), int(without_offset.sum())
    if without_count <= with_count:
        odd, usual_line = without_offset, int(lines[has_offset.idxmax()])
        message = (f"timestamp has no UTC offset but {with_count} others have one (such as line {usual_line}); "
                   "write every timestamp of the column with its offset, or none of them")
    else:
        odd, usual_line = has_offset, int(lines[without_offset.idxmax()])
        message = (f"timestamp has a UTC offset but {without_count} others have none (such as line {usual_line}); "
                   "write every timestamp of the column with its offset, or none of them")
    return odd, [Problem(file, int(lines[index]), column, text[index], message) for index in text.index[odd]]
