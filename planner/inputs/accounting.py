"""Row accounting shared by the table readers: read = accepted + repaired + rejected."""

from __future__ import annotations

import numpy as np

from planner.inputs.dataset import TableQuality
from planner.inputs.errors import Problem
from planner.inputs.reading import RawTable, describe_lines
from planner.messages import Message, translatable

# At most this many (line, value) pairs are quoted in one data-quality note.
MAX_QUOTED_VALUES = 10


def table_quality(name: str, table: RawTable, rejected: int = 0, repaired: int = 0) -> TableQuality:
    """Start the quality record of a table: its blank lines are rejected, every other row accepted.

    ``rejected`` and ``repaired`` count the rows, other than blank lines,
    that the reader rejected or repaired.
    """
    quality = TableQuality(table=name, file=table.file, rows_read=table.rows_read)
    quality.rows_rejected = rejected + len(table.blank_lines)
    quality.rows_repaired = repaired
    quality.rows_accepted = quality.rows_read - quality.rows_rejected - quality.rows_repaired
    quality.notes.extend(table.notes)
    if table.blank_lines:
        quality.notes.append(translatable("blank lines rejected: {count} ({lines})", count=len(table.blank_lines),
                                          lines=describe_lines(table.blank_lines)))
    return quality


def note_extra_columns(quality: TableQuality, table: RawTable, used: list[str]) -> None:
    """Note the columns of the file that the planner does not read."""
    extra = [column for column in table.columns_found if column not in used]
    if extra:
        quality.notes.append(translatable("ignored columns not used by the planner: {columns}",
                                          columns=", ".join(extra)))


def quote_values(problems: list[Problem]) -> list[Message]:
    """Describe problems as ``line 3: '-2', line 7: 'n/a'``, at most ``MAX_QUOTED_VALUES`` of them.

    The list goes into a message field, which joins it with commas.
    """
    ordered = sorted(problems, key=lambda problem: problem.row or 0)
    quoted = [translatable("line {row}: {value!r}", row=problem.row, value=problem.value)
              for problem in ordered[:MAX_QUOTED_VALUES]]
    hidden = len(ordered) - len(quoted)
    if hidden > 0:
        quoted.append(translatable("and {count} more", count=hidden))
    return quoted


def index_of_line(table: RawTable, line: int | None) -> int:
    """Return the frame index of a line (lines follow the index, except for skipped blank lines)."""
    if line is None:
        return -1
    return int(np.searchsorted(table.lines.to_numpy(), line))
