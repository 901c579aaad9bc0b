"""Read a Parquet file into the same ``RawTable`` as a CSV file.

Parquet keeps column types, so a number column stays numeric and a timestamp
column may be a datetime type: tz-aware (exact instants) or naive (local
wall-clock time in the dataset's time zone, under the same daylight-saving
rules as CSV text). Text columns are read as text; an integer id such as a
cell id of 5738 becomes the text ``"5738"``. A row's number in problems is
counted as in a CSV export of the table: the header is line 1 and the first
row line 2.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from planner.inputs.errors import InputError, Problem
from planner.inputs.reading import RawTable, check_header
from planner.messages import translatable

logger = logging.getLogger(__name__)


def read_parquet_table(path: str | Path, required: list[str], text_columns: list[str],
                       column_reasons: dict[str, str] | None = None, *,
                       cell_ids: Collection[str] | None = None) -> RawTable:
    """Read the required columns of a Parquet file.

    Parameters
    ----------
    path : str or Path
        The Parquet file.
    required : list of str
        Columns that must be in the file; other columns are not read.
    text_columns : list of str
        Columns read as text (stripped, empty string where null).
    column_reasons : dict, optional
        Why a required column is needed, added to its missing-column problem.
    cell_ids : collection of str, optional
        Read only the rows whose ``cell_id`` is one of these, one row group
        at a time: a row group whose ``cell_id`` statistics exclude them all
        is skipped unread. Line numbers stay those of the whole file.

    Raises
    ------
    InputError
        If the file is missing or not a Parquet file, or lacks a required column.
    """
    path = Path(path)
    file = str(path)
    try:
        schema = pq.read_schema(path)
    except FileNotFoundError:
        raise InputError([Problem(file, None, None, None, translatable("file not found; every dataset folder needs "
                                                                       "this file"))]) from None
    except (pa.ArrowInvalid, OSError) as error:
        raise InputError([Problem(file, None, None, None,
                                  translatable("not a readable Parquet file ({error}); write it again with pyarrow or "
                                               "pandas.DataFrame.to_parquet", error=str(error)))]) from None
    header = list(schema.names)
    check_header(file, header, required, column_reasons)

    if cell_ids is None:
        # self_destruct frees each Arrow column once converted, so the file is not held twice in memory.
        frame = pq.read_table(path, columns=list(required)).to_pandas(self_destruct=True).reset_index(drop=True)
        positions = np.arange(len(frame), dtype=np.int64)
    else:
        frame, positions = _read_cells(path, list(required), cell_ids)
    for name in text_columns:
        frame[name] = _stripped_text(frame[name])
    lines = pd.Series(positions + 2, index=frame.index)
    logger.info("%s: read %d rows from Parquet", file, len(frame))
    return RawTable(file=file, frame=frame, lines=lines, columns_found=header, rows_read=len(frame))


def _stripped_text(values: pd.Series) -> pd.Series:
    """Return a column as stripped text, empty where null, converting each distinct value once.

    A long traffic table repeats each ``cell_id`` over thousands of rows, so
    the per-value Python work runs on the distinct values only.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    # A null value (code -1) becomes the empty string, appended as the last distinct value.
    distinct = pd.Series([*(str(value).strip() for value in uniques), ""]).astype(str)
    codes = np.where(codes < 0, len(uniques), codes)
    return pd.Series(distinct.array.take(codes), index=values.index)


def _read_cells(path: Path, columns: list[str], cell_ids: Collection[str]) -> tuple[pd.DataFrame, np.ndarray]:
    """Return the rows of the given cells and their 0-based row numbers in the whole file."""
    wanted = sorted({str(cell) for cell in cell_ids})
    parquet = pq.ParquetFile(path)
    cell_column = parquet.schema_arrow.get_field_index("cell_id")
    frames, positions = [], []
    offset = 0
    for group in range(parquet.metadata.num_row_groups):
        metadata = parquet.metadata.row_group(group)
        rows = metadata.num_rows
        statistics = metadata.column(cell_column).statistics
        if wanted and statistics is not None and statistics.has_min_max and isinstance(statistics.min, str):
            low, high = statistics.min, statistics.max
            first = np.searchsorted(wanted, low)
            if first >= len(wanted) or wanted[first] > high:
                offset += rows
                continue
        if wanted:
            frame = parquet.read_row_group(group, columns=columns).to_pandas()
            keep = frame["cell_id"].astype(str).str.strip().isin(wanted).to_numpy()
            frames.append(frame[keep])
            positions.append(offset + np.flatnonzero(keep))
        offset += rows
    if not frames:
        empty = parquet.schema_arrow.empty_table().select(columns).to_pandas()
        return empty, np.zeros(0, dtype=np.int64)
    return pd.concat(frames, ignore_index=True), np.concatenate(positions).astype(np.int64)
