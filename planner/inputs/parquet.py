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
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from planner.inputs.errors import InputError, Problem
from planner.inputs.reading import RawTable, check_header

logger = logging.getLogger(__name__)


def read_parquet_table(path: str | Path, required: list[str], text_columns: list[str],
                       column_reasons: dict[str, str] | None = None) -> RawTable:
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
        raise InputError([Problem(file, None, None, None, "file not found; every dataset folder needs this file")]) from None
    except (pa.ArrowInvalid, OSError) as error:
        raise InputError([Problem(file, None, None, None, f"not a readable Parquet file ({error}); write it again "
                                                          "with pyarrow or pandas.DataFrame.to_parquet")]) from None
    header = list(schema.names)
    check_header(file, header, required, column_reasons)

    frame = pq.read_table(path, columns=list(required)).to_pandas()
    frame = frame.reset_index(drop=True)
    for name in text_columns:
        values = frame[name]
        text = values.astype(object).where(values.notna(), "").astype(str).str.strip()
        frame[name] = text
    lines = pd.Series(np.arange(len(frame), dtype=np.int64) + 2, index=frame.index)
    logger.info("%s: read %d rows from Parquet", file, len(frame))
    return RawTable(file=file, frame=frame, lines=lines, columns_found=header, rows_read=len(frame))
