"""Property tests of the traffic reader: every dialect reads back equal, every corruption is reported."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st

from planner.inputs import InputError
from planner.inputs.settings import load_settings
from planner.inputs.tables import read_traffic

BAD_DATA = Path(__file__).resolve().parents[1] / "data" / "bad"
SETTINGS = load_settings(BAD_DATA / "settings.toml")
PARIS = SETTINGS.timezone
# Days without a daylight-saving change; the change days have their own tests.
DAYS = ("2024-01-05", "2024-07-14", "2024-12-31")
PROPERTY_SETTINGS = hypothesis_settings(max_examples=40, deadline=None,
                                        suppress_health_check=[HealthCheck.function_scoped_fixture])


@st.composite
def traffic_tables(draw) -> pd.DataFrame:
    """Synthetic traffic: one or two cells, 1 to 12 consecutive 10-minute steps, values in thousandths or empty."""
    day = draw(st.sampled_from(DAYS))
    hour = draw(st.integers(min_value=0, max_value=20))
    steps = draw(st.integers(min_value=1, max_value=12))
    cells = draw(st.sampled_from([["cell-a"], ["cell-b"], ["cell-a", "cell-b"]]))
    stamps = pd.date_range(pd.Timestamp(f"{day} {hour:02d}:00", tz=PARIS), periods=steps, freq="10min")
    rows = []
    for cell in cells:
        for stamp in stamps:
            thousandths = draw(st.one_of(st.none(), st.integers(min_value=0, max_value=10**10)))
            rows.append({"cell_id": cell, "timestamp": stamp,
                         "calls": float("nan") if thousandths is None else float(f"{thousandths / 1000:.3f}")})
    return pd.DataFrame(rows)


@st.composite
def dialects(draw) -> dict:
    """A way to write CSV that planner reads: detected, or declared where detection cannot decide."""
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
    separator = draw(st.sampled_from([",", ";", "\t"]))
    decimal = draw(st.sampled_from([".", ","]))
    thousands = draw(st.sampled_from(["", " ", "\u00a0"] + ([] if encoding == "cp1252" else ["\u202f"])))
    dates = draw(st.sampled_from(["iso_offset", "iso_local", "day_first"]))
    # A comma-separated file with a decimal comma is only readable with the decimal mark declared.
    declare = separator == "," and decimal == "," or draw(st.booleans())
    return {"encoding": encoding, "separator": separator, "decimal": decimal, "thousands": thousands,
            "dates": dates, "declare": declare}


def _format_number(value: float, decimal: str, thousands: str) -> str:
    if pd.isna(value):
        return ""
    text = f"{value:,.3f}".replace(",", "\x00").replace(".", decimal).replace("\x00", thousands)
    return text


def _format_stamp(stamp: pd.Timestamp, dates: str) -> str:
    if dates == "iso_offset":
        return stamp.isoformat()
    if dates == "iso_local":
        return f"{stamp:%Y-%m-%d %H:%M:%S}"
    return f"{stamp:%d/%m/%Y %H:%M}"


def _write(table: pd.DataFrame, dialect: dict, path: Path) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=dialect["separator"], lineterminator="\r\n")
    writer.writerow(["cell_id", "timestamp", "calls"])
    for row in table.itertuples(index=False):
        writer.writerow([row.cell_id, _format_stamp(row.timestamp, dialect["dates"]),
                         _format_number(row.calls, dialect["decimal"], dialect["thousands"])])
    path.write_bytes(buffer.getvalue().encode(dialect["encoding"]))


@PROPERTY_SETTINGS
@given(table=traffic_tables(), dialect=dialects())
def test_any_dialect_reads_back_equal(tmp_path, table, dialect):
    path = tmp_path / "traffic.csv"
    _write(table, dialect, path)
    inputs = replace(SETTINGS.inputs, decimal=dialect["decimal"]) if dialect["declare"] else SETTINGS.inputs

    traffic, quality = read_traffic(path, replace(SETTINGS, inputs=inputs), known_cells=["cell-a", "cell-b"])

    expected = table.sort_values(["cell_id", "timestamp"]).reset_index(drop=True)
    expected["timestamp"] = expected["timestamp"].dt.as_unit("us")
    pd.testing.assert_frame_equal(traffic, expected)
    assert quality.rows_accepted == len(table)


CORRUPTIONS = {
    "not_a_number": lambda fields: [fields[0], fields[1], "douze"],
    "negative": lambda fields: [fields[0], fields[1], "-4"],
    "impossible_date": lambda fields: [fields[0], "2024-02-30T10:00:00+01:00", fields[2]],
    "empty_timestamp": lambda fields: [fields[0], "", fields[2]],
    "unknown_cell": lambda fields: ["cell-zz", fields[1], fields[2]],
    "off_grid": lambda fields: [fields[0], fields[1].replace(":00:00+", ":07:00+").replace(":10:00+", ":17:00+")
                                .replace(":20:00+", ":27:00+").replace(":30:00+", ":37:00+")
                                .replace(":40:00+", ":47:00+").replace(":50:00+", ":57:00+"), fields[2]],
}


@PROPERTY_SETTINGS
@given(table=traffic_tables(), corruption=st.sampled_from([*CORRUPTIONS, "duplicate"]), data=st.data())
@pytest.mark.parametrize("on_bad_rows", ["reject_file", "repair"])
def test_any_corruption_reported(tmp_path, on_bad_rows, table, corruption, data):
    lines = [["cell_id", "timestamp", "calls"]] + [
        [row.cell_id, row.timestamp.isoformat(), _format_number(row.calls, ".", "")]
        for row in table.itertuples(index=False)]
    index = data.draw(st.integers(min_value=1, max_value=len(lines) - 1), label="corrupted data row")
    if corruption == "duplicate":
        lines.insert(index + 1, list(lines[index]))
        line_number = index + 2
    else:
        lines[index] = CORRUPTIONS[corruption](lines[index])
        line_number = index + 1
    path = tmp_path / "traffic.csv"
    path.write_text("\n".join(",".join(fields) for fields in lines) + "\n", encoding="utf-8")
    policy = replace(SETTINGS, inputs=replace(SETTINGS.inputs, on_bad_rows=on_bad_rows))

    try:
        _, quality = read_traffic(path, policy, known_cells=["cell-a", "cell-b"])
    except InputError as error:
        assert on_bad_rows == "reject_file"
        assert line_number in [problem.row for problem in error.problems]
        return

    assert on_bad_rows == "repair"
    assert quality.rows_repaired + quality.rows_rejected == 1
    assert quality.rows_read == quality.rows_accepted + quality.rows_repaired + quality.rows_rejected
    assert any(f"line {line_number}" in note for note in quality.notes), quality.notes
