"""The Dask engine gives the in-process plans; partitions read only their own rows of Parquet traffic."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from planner.engine import context_cells, partition_cells, plan_on_cluster, plan_with_usual_week
from planner.forecasting.model import EventForecaster
from planner.inputs import InputError, load_dataset, load_settings
from planner.inputs.geography import distance_m
from planner.inputs.traffic import read_traffic
from planner.inputs.weeks import resolve_week
from planner.reporting import write_report
from planner.reporting.tables import staffing_table

pytest.importorskip("dask.distributed")


@pytest.fixture
def milan_parquet(bundled_folder, tmp_path) -> Path:
    """Return a copy of data/milan whose traffic is Parquet, sorted by cell, ten cells per row group."""
    folder = tmp_path / "milan"
    shutil.copytree(bundled_folder("milan"), folder)
    traffic = pd.read_csv(folder / "traffic.csv", dtype={"cell_id": str})
    traffic["timestamp"] = pd.to_datetime(traffic["timestamp"], utc=True).dt.tz_convert("Europe/Rome")
    traffic = traffic.sort_values(["cell_id", "timestamp"], kind="stable").reset_index(drop=True)
    (folder / "traffic.csv").unlink()
    rows_per_group = 10 * traffic.groupby("cell_id").size().max()
    pq.write_table(pa.Table.from_pandas(traffic, preserve_index=False), folder / "traffic.parquet",
                   row_group_size=int(rows_per_group))
    return folder


def assert_same_report_files(local, clustered, folder: Path) -> None:
    """Assert that the in-process and cluster pairs of plans (with events, usual week) write the same CSV files."""
    local_folder = write_report(local[0], folder / "local", lang="en", with_pdf=False,
                                usual_staffing=local[1].staffing)
    cluster_folder = write_report(clustered[0], folder / "cluster", lang="en", with_pdf=False,
                                  usual_staffing=clustered[1].staffing)
    for name in ("forecast.csv", "events.csv", "capacity.csv", "staffing.csv"):
        assert (cluster_folder / name).read_bytes() == (local_folder / name).read_bytes(), name


def test_plan_on_cluster_matches_local_csv(milan_parquet, tmp_path):
    dataset = load_dataset(milan_parquet)
    local, local_usual = plan_with_usual_week(dataset, resolve_week("2013-W48", dataset))
    clustered, clustered_usual = plan_on_cluster(milan_parquet, "2013-W48", partitions=4, workers=2)

    assert_same_report_files((local, local_usual), (clustered, clustered_usual), tmp_path)
    assert staffing_table(clustered_usual).equals(staffing_table(local_usual))
    assert len(clustered.forecast) == 100 * 168
    traffic_quality = clustered.dataset.quality.table("traffic")
    assert traffic_quality.rows_read == dataset.quality.table("traffic").rows_read == 67200


DRIFT_HOURS_PER_DAY = -1 / 6
"""Ten minutes earlier every day, as on the San Siro data."""


@pytest.fixture
def drifting_milan(milan_parquet) -> Path:
    """Return the Parquet copy of data/milan with a synthetic clock drift laid over its real traffic.

    Each cell's series is read ``-DRIFT_HOURS_PER_DAY`` hours later per day
    elapsed (linear interpolation), so its daily pattern comes earlier
    day after day, as when the feed's clock runs fast.
    """
    path = milan_parquet / "traffic.parquet"
    traffic = pd.read_parquet(path)
    elapsed = ((traffic["timestamp"] - traffic["timestamp"].min()) / pd.Timedelta(hours=1)).to_numpy()
    drifted = []
    for _, rows in traffic.groupby("cell_id", sort=False):
        hours = elapsed[rows.index]
        values = rows["internet"].to_numpy(dtype=float)
        drifted.append(pd.Series(np.interp(hours - DRIFT_HOURS_PER_DAY * hours / 24.0, hours, values),
                                 index=rows.index))
    traffic["internet"] = pd.concat(drifted).sort_index().round(3)
    rows_per_group = 10 * traffic.groupby("cell_id").size().max()
    pq.write_table(pa.Table.from_pandas(traffic, preserve_index=False), path, row_group_size=int(rows_per_group))
    return milan_parquet


def test_plan_on_cluster_follows_dataset_drift(drifting_milan, tmp_path):
    dataset = load_dataset(drifting_milan)
    week = resolve_week("2013-W48", dataset)
    drift = EventForecaster().fit(dataset, week.start).clock_drift_
    local, local_usual = plan_with_usual_week(dataset, week)
    clustered, clustered_usual = plan_on_cluster(drifting_milan, "2013-W48", partitions=3, workers=2)

    assert drift is not None
    assert drift.hours_per_day == pytest.approx(DRIFT_HOURS_PER_DAY, abs=0.03)
    note = f"drifts by {drift.hours_per_day * 60:+.1f} min a day"
    assert any(note in str(line) for line in local.notes)
    assert any(note in str(line) for line in clustered.notes)
    pd.testing.assert_frame_equal(clustered.forecast, local.forecast, check_exact=True)
    assert_same_report_files((local, local_usual), (clustered, clustered_usual), tmp_path)


def test_context_cells_milan_near_san_siro(bundled_folder):
    dataset = load_dataset(bundled_folder("milan"))
    context = context_cells(dataset)
    venue = dataset.venues.iloc[0]
    distance = pd.Series(distance_m(venue["latitude"], venue["longitude"], dataset.cells["latitude"],
                                    dataset.cells["longitude"]), index=dataset.cells["cell_id"].to_numpy())
    assert distance.idxmin() in context
    assert set(context) == set(distance.index[distance <= 3000.0]) | {distance.idxmin()}
    assert 0 < len(context) < len(dataset.cells)


def test_partition_cells_contiguous_in_table_order():
    cells = pd.DataFrame({"cell_id": ["c", "a", "e", "b", "d"]})
    assert partition_cells(cells, 2) == [["c", "a", "e"], ["b", "d"]]
    assert partition_cells(cells, 10) == [["c"], ["a"], ["e"], ["b"], ["d"]]


def test_read_traffic_cell_ids_keeps_file_lines(bundled_folder, tmp_path):
    # Synthetic: three cells of five hours, one row group per cell, a negative value on line 13.
    settings = load_settings(bundled_folder("milan") / "settings.toml")
    hours = pd.date_range("2013-11-04", periods=5, freq="h", tz="Europe/Rome")
    table = pd.DataFrame({"cell_id": np.repeat(["a", "b", "c"], 5), "timestamp": np.tile(hours, 3),
                          "internet": np.arange(15, dtype=float)})
    table.loc[11, "internet"] = -1.0
    path = tmp_path / "traffic.parquet"
    pq.write_table(pa.Table.from_pandas(table, preserve_index=False), path, row_group_size=5)

    traffic, quality = read_traffic(path, settings, ["a", "b", "c"], cell_ids=["a"])
    assert set(traffic["cell_id"]) == {"a"}
    assert quality.rows_read == 5
    with pytest.raises(InputError) as raised:
        read_traffic(path, settings, ["a", "b", "c"], cell_ids=["c"])
    assert [problem.row for problem in raised.value.problems] == [13]
