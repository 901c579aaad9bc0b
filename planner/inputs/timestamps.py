"""Parse timestamp columns into tz-aware values in the dataset's time zone.

A timestamp with a UTC offset (``2024-10-27T02:00:00+02:00``) is exact and is
converted to the dataset time zone: an offset in the file always wins. A
timestamp without an offset is local wall-clock time in that zone. Such a
time can be ambiguous (the hour repeated when clocks go back in autumn) or
non-existent (the hour skipped when clocks go forward in spring); the rules
for both are in :func:`parse_timestamp_column`. Numeric dates such as
``05/01/2024 14:30`` are first rewritten as ISO 8601 by
``planner.inputs.dates``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from planner.inputs.dates import normalize_dates
from planner.inputs.errors import Problem
from planner.messages import Message, translatable

logger = logging.getLogger(__name__)

# A time of day followed by "Z" or a "+HH:MM" / "-HHMM" / "+HH" offset.
_OFFSET_PATTERN = r"[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)$"


@dataclass
class TimestampColumn:
    """A parsed timestamp column and what parsing found.

    ``row_problems`` maps the index of each row whose own value is bad
    (missing, invalid, non-existent) to its problem; such a row could be
    rejected alone. ``file_problems`` are problems of the whole column (mixed
    formats or offsets), which no repair can fix. ``shifted`` lists the rows
    moved forward out of the skipped spring hour.
    """

    values: pd.Series
    row_problems: dict[int, Problem] = field(default_factory=dict)
    file_problems: list[Problem] = field(default_factory=list)
    shifted: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[Problem]:
        return sorted([*self.file_problems, *self.row_problems.values()], key=lambda problem: problem.row or 0)


def parse_timestamp_column(values: pd.Series, timezone, file: str, column: str, lines: pd.Series,
                           groups: pd.Series | None = None, date_format: str = "auto",
                           nonexistent: str = "reject") -> TimestampColumn:
    """Parse a timestamp column, from text or from datetime values.

    Parameters
    ----------
    values : Series
        Text as read from the file (empty string or NaN where missing), or
        datetime64 values from a Parquet file. Naive datetimes are local
        wall-clock time, like text without an offset; tz-aware ones are exact.
    timezone : zoneinfo.ZoneInfo
        The dataset time zone.
    file, column : str
        Where the values come from, for the problems.
    lines : Series of int
        The 1-based line number of each value in the file (header = line 1).
    groups : Series, optional
        A series key such as ``cell_id``. A local time written twice in the
        repeated autumn hour is summer time at its first occurrence in the
        key's rows (file order) and standard time at the second. Without
        ``groups`` every ambiguous local time is read as summer time.
    date_format : str
        ``[inputs] date_format``: ``"auto"``, ``"iso"``, ``"day_first"`` or
        ``"month_first"``.
    nonexistent : str
        ``"reject"``: a local time in the skipped spring hour is a row
        problem. ``"shift_forward"``: it is moved forward by the length of
        the gap (one hour in Europe/Paris, so 02:10 becomes 03:10), which is
        the instant a clock that was not changed meant, and listed in
        ``shifted``.
    """
    if pd.api.types.is_datetime64_any_dtype(values):
        return _from_datetimes(values, timezone, file, column, lines, groups, nonexistent)
    text = values.fillna("").astype(str).str.strip()
    dates = normalize_dates(text, file, column, lines, date_format)
    timestamps, problems, mixed, shifted = _parse_iso(dates.text, timezone, file, column, lines, groups,
                                                      nonexistent)
    disagreeing = {problem.row for problem in dates.problems}
    result = TimestampColumn(values=timestamps, file_problems=list(dates.problems), shifted=shifted,
                             notes=list(dates.notes))
    note = _foreign_offset_note(dates.text, timestamps, timezone, file, column)
    if note:
        logger.warning(note)
        result.notes.append(note)
    result.file_problems += [problem for problem in mixed if problem.row not in disagreeing]
    for index, problem in problems:
        if problem.row not in disagreeing:
            result.row_problems[int(index)] = problem
    if disagreeing:
        result.values = result.values.where(~lines.isin(disagreeing))
    return result


def _foreign_offset_note(text: pd.Series, timestamps: pd.Series, timezone, file: str, column: str) -> Message | None:
    """Return a note when written UTC offsets are ones the dataset's time zone does not use at those times.

    An offset always wins, so such a file still reads correctly, but its
    local times are then off by the difference: a sign that the settings
    name the wrong time zone.
    """
    text = text.drop_duplicates()
    timestamps = timestamps.loc[text.index]
    written = text.str.extract(r"(Z|[+-]\d{2}:?\d{2}|[+-]\d{2})$", expand=False)
    present = written.notna() & timestamps.notna()
    if not present.any():
        return None
    pairs = pd.DataFrame({"written": written[present], "moment": timestamps[present]}).drop_duplicates("written")
    foreign = []
    for written_offset, moment in zip(pairs["written"], pairs["moment"]):
        zone_offset = moment.tz_convert(timezone).strftime("%z")
        normalised = "+0000" if written_offset == "Z" else written_offset.replace(":", "").ljust(5, "0")
        if normalised != zone_offset:
            offset = f"{zone_offset[:3]}:{zone_offset[3:]}"
            foreign.append(translatable("{written} where {timezone} is at {offset}", written=written_offset,
                                        timezone=timezone.key, offset=offset))
    if not foreign:
        return None
    return translatable("{file}, column {column!r}: UTC offsets that the time zone {timezone} does not use at "
                        "those times ({offsets}); the offsets are kept, so local times differ from the file's "
                        "clock: check [dataset] timezone in settings.toml", file=file, column=column,
                        timezone=timezone.key, offsets=foreign[:3])


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
    result = parse_timestamp_column(values, timezone, file, column, lines, groups)
    return result.values, result.problems


def _parse_iso(text: pd.Series, timezone, file: str, column: str, lines: pd.Series, groups: pd.Series | None,
               nonexistent: str) -> tuple[pd.Series, list[tuple[int, Problem]], list[Problem], list[int]]:
    """Parse ISO 8601 text.

    Returns the timestamps, the (index, problem) pairs of bad values, the
    problems of a column that mixes values with and without an offset, and
    the shifted rows.
    """
    mixed: list[Problem] = []
    problems: list[tuple[int, Problem]] = []

    empty = text == ""
    for index in text.index[empty]:
        problems.append((index, Problem(file, int(lines[index]), column, "",
                                        translatable("missing timestamp; write the start of the interval in ISO "
                                                     "8601, such as 2024-03-31T01:00:00+01:00"))))

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
    local, shifted = _localize(naive, timezone, groups, nonexistent)
    result = exact.dt.tz_convert(timezone).where(has_offset, local)

    odd = pd.Series(False, index=text.index)
    # Only values that parse take part: "09/11/2013 20h45" is an invalid timestamp, not one without an offset.
    parsed_with_offset, parsed_without_offset = has_offset & exact.notna(), without_offset & naive.notna()
    if parsed_with_offset.any() and parsed_without_offset.any():
        odd, mixed_problems = _mixed_offset_problems(text, parsed_with_offset, parsed_without_offset, file, column,
                                                     lines)
        mixed.extend(mixed_problems)
        result = result.where(~odd)

    skipped = naive.notna() & local.isna() & ~odd
    for index in text.index[skipped]:
        problems.append((index, _nonexistent_problem(file, int(lines[index]), column, text[index], timezone)))

    invalid = ((has_offset & exact.isna()) | (without_offset & naive.isna())) & ~odd
    for index in text.index[invalid]:
        problems.append((index, Problem(file, int(lines[index]), column, text[index],
                                        translatable("invalid timestamp; expected ISO 8601 such as "
                                                     "2024-03-31T01:00:00+01:00 or 2024-03-31 01:00:00, or a "
                                                     "day-first date such as 31/03/2024 01:00"))))

    # One resolution for every table, whatever precision the text had.
    shifted_rows = [int(index) for index in text.index[shifted & without_offset & ~odd]]
    return result.dt.as_unit("us"), problems, mixed, shifted_rows


def _from_datetimes(values: pd.Series, timezone, file: str, column: str, lines: pd.Series,
                    groups: pd.Series | None, nonexistent: str) -> TimestampColumn:
    """Parse datetime64 values: tz-aware ones are converted, naive ones localized like text."""
    result = TimestampColumn(values=pd.Series(pd.NaT, index=values.index, dtype=f"datetime64[us, {timezone.key}]"))
    if getattr(values.dt, "tz", None) is not None:
        result.values = values.dt.tz_convert(timezone).dt.as_unit("us")
        skipped = pd.Series(False, index=values.index)
        shifted = pd.Series(False, index=values.index)
    else:
        local, shifted = _localize(values, timezone, groups, nonexistent)
        result.values = local.dt.as_unit("us")
        skipped = values.notna() & local.isna()
    for index in values.index[values.isna()]:
        result.row_problems[int(index)] = Problem(file, int(lines[index]), column, None,
                                                  translatable("missing timestamp; every row needs the start of "
                                                               "its interval"))
    for index in values.index[skipped]:
        result.row_problems[int(index)] = _nonexistent_problem(file, int(lines[index]), column,
                                                               str(values[index]), timezone)
    result.shifted = [int(index) for index in values.index[shifted]]
    return result


def _nonexistent_problem(file: str, line: int, column: str, value: str, timezone) -> Problem:
    return Problem(file, line, column, value,
                   translatable("local time does not exist in {timezone} because clocks jump forward at the "
                                "daylight-saving change; add the UTC offset to every timestamp, such as "
                                "2024-03-31T03:10:00+02:00, or set [inputs] nonexistent_local_time = "
                                "\"shift_forward\"", timezone=timezone.key))


def _localize(naive: pd.Series, timezone, groups: pd.Series | None,
              nonexistent: str = "reject") -> tuple[pd.Series, pd.Series]:
    """Localize wall-clock times; return them and which ones were shifted out of the spring gap.

    A skipped spring time becomes NaT, or with ``nonexistent="shift_forward"``
    the time one gap length later.
    """
    if groups is None:
        summer_time = np.ones(len(naive), dtype=bool)
    else:
        # The n-th occurrence of the same local time in a series' rows: 0 is summer time.
        occurrence = naive.groupby([groups, naive], sort=False, dropna=False).cumcount()
        summer_time = (occurrence == 0).to_numpy()
    local = naive.dt.tz_localize(timezone, ambiguous=summer_time, nonexistent="NaT")
    skipped = naive.notna() & local.isna()
    if nonexistent != "shift_forward" or not skipped.any():
        return local, pd.Series(False, index=naive.index)
    # The gap's length is the change of UTC offset across it (one hour in Europe/Paris).
    gap = _gap_lengths(naive[skipped], timezone)
    moved = (naive[skipped] + gap).dt.tz_localize(timezone, ambiguous=True, nonexistent="NaT")
    local = local.where(~skipped, moved)
    return local, skipped & local.notna()


def _gap_lengths(naive: pd.Series, timezone) -> pd.Series:
    before = (naive - pd.Timedelta(hours=3)).dt.tz_localize(timezone, ambiguous=True, nonexistent="shift_backward")
    after = (naive + pd.Timedelta(hours=3)).dt.tz_localize(timezone, ambiguous=True, nonexistent="shift_forward")
    offset_before = before.apply(lambda moment: moment.utcoffset())
    offset_after = after.apply(lambda moment: moment.utcoffset())
    return (offset_after - offset_before).astype("timedelta64[us]")


def _mixed_offset_problems(text: pd.Series, has_offset: pd.Series, without_offset: pd.Series,
                           file: str, column: str, lines: pd.Series) -> tuple[pd.Series, list[Problem]]:
    """Report each value of the less common form; return which values those are."""
    with_count, without_count = int(has_offset.sum()), int(without_offset.sum())
    if without_count <= with_count:
        odd, usual_line = without_offset, int(lines[has_offset.idxmax()])
        message = translatable("timestamp has no UTC offset but {count} others have one (such as line {line:d}); "
                               "write every timestamp of the column with its offset, or none of them",
                               count=with_count, line=usual_line)
    else:
        odd, usual_line = has_offset, int(lines[without_offset.idxmax()])
        message = translatable("timestamp has a UTC offset but {count} others have none (such as line {line:d}); "
                               "write every timestamp of the column with its offset, or none of them",
                               count=without_count, line=usual_line)
    return odd, [Problem(file, int(lines[index]), column, text[index], message) for index in text.index[odd]]


def floor_hour(timestamp: pd.Timestamp) -> pd.Timestamp:
    """Return the start of the local hour of a tz-aware timestamp, also inside the repeated hour of autumn.

    ``Timestamp.floor`` works on the wall-clock time, so 02:15+02:00 on the
    night clocks go back floors to 02:00, which occurs twice. The
    timestamp's own offset tells which of the two it is.
    """
    return timestamp.floor("h", ambiguous=bool(timestamp.dst()), nonexistent="shift_backward")


def floor_hours(timestamps: pd.Series) -> pd.Series:
    """Return the start of the local hour of each tz-aware timestamp (see :func:`floor_hour`)."""
    daylight_saving = timestamps.map(lambda value: bool(value.dst()) if pd.notna(value) else False)
    return timestamps.dt.floor("h", ambiguous=daylight_saving.to_numpy(), nonexistent="shift_backward")
