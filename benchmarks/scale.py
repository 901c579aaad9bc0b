"""Scale benchmark: the weekly plan of N synthetic cells, stage by stage, against MSTL and Prophet.

Run from the repository root (the bench extra provides statsforecast and Prophet)::

    .venv/bin/python benchmarks/scale.py --cells 1000 10000 50000

For each N it writes a synthetic dataset folder in a temporary folder, then
plans its last week in a child process that times each stage (load,
forecast, capacity, staffing, report) and reports that process's peak
resident memory. In the same run it fits statsforecast MSTL (seasons 24 and
168 hours) on a sample of the same cells and Prophet on a smaller sample,
and extrapolates their time per cell to N. Accuracy is the MAE of the p50
forecast on event windows (start - 1 h to end + 2 h at the cells that the
generator made respond), against the actual week that the generator also
wrote. It is measured on the planned week and on the weeks before it
(``--scored-weeks``), each forecast by every model with only the history
before its Monday, because a small network has only a few events a week.

The data are synthetic, resampled from the real bundled series: each cell
takes a Milan square or the San Siro square (``data/milan``,
``data/san-siro``) as its base, as a random sequence of its whole weeks,
times a random scale, with its hours moved by -1, 0 or +1 (phase noise) and
2 % hourly noise. Cells sit in cities of 400 cells; each city has a venue,
and the venue's events take the shape of a real Dodgers game or San Siro
match (``data/dodgers``, ``data/san-siro``: observed over the same hours of
the neighbouring weeks, minus 1), scaled by attendance and decaying with
distance from the venue.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TIMEZONE = "Europe/Rome"
FIRST_MONDAY = pd.Timestamp("2013-11-04", tz=TIMEZONE)
WEEKS = 9
"""Eight weeks of history and the planned week, 2013-11-04 to 2014-01-05: no daylight-saving change."""
PLANNED_WEEK = "2014-W01"
CITY_CELLS = 400
CITY_RADIUS_DEGREES = 0.03
RESPONSE_DECAY_M = 700.0
RESPONSE_RADIUS_M = 1500.0
SCORING_RADIUS_M = 1000.0
MSTL_SAMPLE = 240
PROPHET_SAMPLE = 8
SCORED_WEEKS = 4
"""Weeks scored for accuracy: the planned week and the ones before it, each forecast from its own Monday."""


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark for each size and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, nargs="+", default=[1000, 10000, 50000])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--mstl-sample", type=int, default=MSTL_SAMPLE,
                        help="cells MSTL is fitted on; 0 fits all of them")
    parser.add_argument("--prophet-sample", type=int, default=PROPHET_SAMPLE)
    parser.add_argument("--scored-weeks", type=int, default=SCORED_WEEKS,
                        help="weeks scored for accuracy, the planned week and the ones before it, each forecast "
                             "with only the history before its Monday (at most 7)")
    parser.add_argument("--keep", help="write the datasets under this folder and keep them")
    parser.add_argument("--planner-python", default=sys.executable,
                        help="Python interpreter that plans each network, e.g. .venv/bin/python for the runtime "
                             "environment (pandas 3) while this one has the bench extra (pandas < 3); "
                             "by default this interpreter")
    parser.add_argument("--child", nargs=2, metavar=("FOLDER", "OUT"), help=argparse.SUPPRESS)
    arguments = parser.parse_args(argv)
    if not 1 <= arguments.scored_weeks <= WEEKS - 2:
        parser.error(f"--scored-weeks must be between 1 and {WEEKS - 2}, got {arguments.scored_weeks}")
    if arguments.child:
        return _plan_in_child(Path(arguments.child[0]), Path(arguments.child[1]), arguments.scored_weeks)

    rows = []
    with tempfile.TemporaryDirectory(prefix="planner-scale-") as temporary:
        root = Path(arguments.keep) if arguments.keep else Path(temporary)
        for cells in arguments.cells:
            folder = root / f"synthetic-{cells}"
            started = time.perf_counter()
            build_dataset(folder, cells, arguments.seed)
            print(f"synthetic dataset of {cells} cells written in {time.perf_counter() - started:.1f} s", flush=True)
            row = {"cells": cells, **_run_child(folder, arguments.planner_python, arguments.scored_weeks)}
            row.update(_references(folder, row, arguments.mstl_sample, arguments.prophet_sample, arguments.seed,
                                   arguments.scored_weeks))
            rows.append(row)
            print(json.dumps(row), flush=True)
    _print_tables(rows)
    return 0


# -- the synthetic dataset ---------------------------------------------------------------------------


def build_dataset(folder: Path, cells: int, seed: int) -> None:
    """Write a synthetic dataset folder of ``cells`` cells (see the module docstring)."""
    from planner.inputs import load_dataset

    rng = np.random.default_rng(seed + cells)
    folder.mkdir(parents=True, exist_ok=True)
    bases = _base_weeks(load_dataset(ROOT / "data" / "milan"), load_dataset(ROOT / "data" / "san-siro"))
    shapes = _event_shapes(load_dataset(ROOT / "data" / "dodgers"), load_dataset(ROOT / "data" / "san-siro"))

    cell_table, venues = _geography(cells, rng)
    hours = pd.date_range(FIRST_MONDAY, periods=WEEKS * 168, freq="h")
    # Each cell: a base series, a random week of it for every week, a scale, a phase shift and noise.
    base = rng.integers(0, bases.shape[2], cells)
    weeks = rng.integers(0, bases.shape[0], (WEEKS, cells))
    traffic = np.empty((len(hours), cells), dtype=np.float32)
    for week in range(WEEKS):
        traffic[week * 168:(week + 1) * 168] = bases[weeks[week], :, base].T
    shift = rng.integers(-1, 2, cells)
    for value in (-1, 1):
        traffic[:, shift == value] = np.roll(traffic[:, shift == value], value, axis=0)
    traffic *= rng.lognormal(0.0, 0.8, cells).astype(np.float32)[None, :]
    traffic *= rng.lognormal(0.0, 0.02, traffic.shape).astype(np.float32)

    events = _place_events(venues, cell_table, shapes, traffic, hours, rng)
    history = traffic[: 8 * 168]
    capacity = np.round(1.5 * np.nanpercentile(history, 99, axis=0), 1)
    cell_table["utilisation_threshold"] = ""
    cell_table["capacity_internet"] = np.maximum(capacity, 1.0)

    cell_table.to_csv(folder / "cells.csv", index=False)
    venues.drop(columns=["city"]).to_csv(folder / "venues.csv", index=False)
    events.drop(columns=["scoring_cells"]).to_csv(folder / "events.csv", index=False)
    scoring = events[["event_id", "scoring_cells"]].explode("scoring_cells").rename(columns={"scoring_cells": "cell_id"})
    scoring.to_csv(folder / "event_cells.csv", index=False)
    _write_settings(folder, cells)
    _write_traffic(folder / "traffic.parquet", cell_table["cell_id"].to_numpy(), hours, traffic)
    (folder / "PROVENANCE.md").write_text(
        "# Synthetic dataset\n\nWritten by benchmarks/scale.py: synthetic cells resampled from the bundled Milan, "
        "San Siro and Dodgers series; not real traffic. event_cells.csv lists the cells made to respond to each "
        "event.\n", encoding="utf-8")


def _base_weeks(milan, san_siro) -> np.ndarray:
    """Return the whole Monday-to-Sunday weeks of the real series, shape (weeks, 168, series)."""
    hours = pd.date_range(FIRST_MONDAY, periods=4 * 168, freq="h")
    series = [milan.traffic_matrix("internet").reindex(hours),
              san_siro.traffic_matrix("internet").reindex(hours)]
    matrix = pd.concat(series, axis=1)
    matrix = matrix.fillna(matrix.shift(168)).fillna(matrix.shift(-168)).fillna(matrix.mean())
    values = matrix.to_numpy(dtype=np.float32)
    return values.reshape(4, 168, values.shape[1])


def _event_shapes(dodgers, san_siro) -> list[tuple[np.ndarray, float]]:
    """Return real event responses: (observed / same hours of the neighbouring weeks - 1, duration in hours).

    The San Siro feed's clock drifts by hours over the month, so a match's surge is read where it lies
    in the data: the window moves by the lag that lines the match's traffic up with the first match's.
    Without it, the later matches' surges sat up to 6 hours before their kick-off, and a transplanted
    response would start hours before its event.
    """
    shapes = []
    for dataset, measure, follow_clock in ((dodgers, "cars", False), (san_siro, "internet", True)):
        matrix = dataset.traffic_matrix(measure).iloc[:, 0]
        matches = dataset.events[dataset.events["kind"] == "match"]
        template = _around(matrix, matches["start"].iloc[0].floor("h"))
        for event in matches.itertuples(index=False):
            lag = _lag_to(template, matrix, event.start.floor("h")) if follow_clock else pd.Timedelta(0)
            first = event.start.floor("h") - pd.Timedelta(hours=3) + lag
            window = pd.date_range(first, event.end.ceil("h") + pd.Timedelta(hours=4) + lag, freq="h",
                                   inclusive="left")
            observed = matrix.reindex(window).to_numpy(float)
            neighbours = np.nanmedian([matrix.reindex(window + pd.Timedelta(weeks=k)).to_numpy(float)
                                       for k in (-2, -1, 1, 2)], axis=0)
            shape = observed / neighbours - 1.0
            if np.isfinite(shape).all() and shape.max() > 0.1:
                shapes.append((np.clip(shape, -0.5, 5.0), (event.end - event.start) / pd.Timedelta(hours=1)))
    return shapes


def _around(matrix: pd.Series, hour: pd.Timestamp, lag_hours: int = 0) -> np.ndarray:
    """Return the traffic from 8 hours before to 8 hours after ``hour`` moved by ``lag_hours``."""
    hours = pd.date_range(hour - pd.Timedelta(hours=8 - lag_hours), periods=17, freq="h")
    return matrix.reindex(hours).to_numpy(float)


def _lag_to(template: np.ndarray, matrix: pd.Series, hour: pd.Timestamp) -> pd.Timedelta:
    """Return the lag, 8 hours earlier to 2 hours later, at which the traffic best correlates with ``template``."""
    correlations = {lag: np.corrcoef(template, _around(matrix, hour, lag))[0, 1] for lag in range(-8, 3)}
    return pd.Timedelta(hours=max(correlations, key=lambda lag: np.nan_to_num(correlations[lag], nan=-1.0)))


def _geography(cells: int, rng) -> tuple[pd.DataFrame, pd.DataFrame]:
    cities = math.ceil(cells / CITY_CELLS)
    centres = np.column_stack([rng.uniform(43.5, 50.5, cities), rng.uniform(-1.0, 7.0, cities)])
    city = np.arange(cells) // CITY_CELLS
    latitude = centres[city, 0] + rng.normal(0, CITY_RADIUS_DEGREES, cells)
    longitude = centres[city, 1] + rng.normal(0, CITY_RADIUS_DEGREES / math.cos(math.radians(47)), cells)
    cell_ids = [f"syn-{number:06d}" for number in range(cells)]
    cell_table = pd.DataFrame({"cell_id": cell_ids, "site_id": [f"site-{number // 3:06d}" for number in range(cells)],
                               "latitude": latitude.round(6), "longitude": longitude.round(6)})
    anchor = [rng.choice(np.flatnonzero(city == number)) for number in range(cities)]
    venues = pd.DataFrame({"venue_id": [f"venue-{number:04d}" for number in range(cities)],
                           "name": [f"Synthetic venue {number}" for number in range(cities)],
                           "latitude": (latitude[anchor] + 0.001).round(6),
                           "longitude": (longitude[anchor] + 0.001).round(6),
                           "capacity_people": 60000, "city": np.arange(cities)})
    return cell_table, venues


def _place_events(venues, cell_table, shapes, traffic, hours, rng) -> pd.DataFrame:
    """Add events to ``traffic`` in place: about two weeks in three per venue, half of the planned week's venues."""
    rows = []
    latitude, longitude = cell_table["latitude"].to_numpy(), cell_table["longitude"].to_numpy()
    for venue in venues.itertuples(index=False):
        distance = _distance_m(venue.latitude, venue.longitude, latitude, longitude)
        responding = np.flatnonzero(distance <= RESPONSE_RADIUS_M)
        gain = np.exp(-distance[responding] / RESPONSE_DECAY_M).astype(np.float32)
        scoring = np.flatnonzero(distance <= SCORING_RADIUS_M)
        if len(scoring) == 0:
            scoring = np.array([int(np.argmin(distance))])
        for week in range(WEEKS):
            if rng.random() > (0.5 if week == WEEKS - 1 else 0.65):
                continue
            shape, duration = shapes[rng.integers(len(shapes))]
            day = rng.integers(0, 7)
            start = FIRST_MONDAY + pd.Timedelta(days=7 * week + int(day), hours=int(rng.integers(14, 21)),
                                                minutes=int(rng.choice([0, 30])))
            end = start + pd.Timedelta(hours=duration)
            attendance = float(rng.integers(15000, 60000))
            first = hours.get_loc(start.floor("h") - pd.Timedelta(hours=3))
            span = slice(first, min(first + len(shape), len(hours)))
            effect = shape[: span.stop - span.start, None] * (attendance / 40000.0) * gain[None, :]
            traffic[span, responding] *= np.maximum(1.0 + effect, 0.0).astype(np.float32)
            rows.append({"event_id": f"{venue.venue_id}-w{week}", "name": f"Synthetic event at {venue.name}",
                         "kind": "match", "venue_id": venue.venue_id, "start": start.isoformat(),
                         "end": end.round("min").isoformat(), "expected_attendance": attendance,
                         "attendance_low": "", "attendance_high": "",
                         "scoring_cells": list(cell_table["cell_id"].to_numpy()[scoring])})
    return pd.DataFrame(rows)


def _distance_m(latitude, longitude, latitudes, longitudes) -> np.ndarray:
    phi1, phi2 = np.radians(latitude), np.radians(latitudes)
    dphi, dlambda = phi2 - phi1, np.radians(longitudes - longitude)
    a = np.sin(dphi / 2) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(dlambda / 2) ** 2
    return 2 * 6371000.0 * np.arcsin(np.sqrt(a))


def _write_settings(folder: Path, cells: int) -> None:
    text = f'''# Synthetic dataset of {cells} cells written by benchmarks/scale.py; not real traffic.
[dataset]
name = "synthetic-{cells}"
title = "Synthetic network of {cells} cells (benchmark)"
timezone = "{TIMEZONE}"
country = ""

[traffic]
step_minutes = 60

[measures.internet]
unit = "activity units"
kind = "volume"
label = "Internet activity (synthetic)"

[capacity]
default_utilisation_threshold = 0.8
watch_margin = 0.1

[[capacity.extra_units]]
name = "temporary carrier"
capacity = {{internet = 300.0}}

[staffing]
interval_minutes = 30
shrinkage = 0.3

[staffing.roles.customer_care_agent]
driver_measure = "internet"
base_arrivals_per_hour = {max(40.0, cells / 10):.1f}
arrivals_per_overloaded_cell_hour = 2.0
handle_time_seconds = 180
service_level_target = 0.8
answer_time_seconds = 20
max_occupancy = 0.85
'''
    (folder / "settings.toml").write_text(text, encoding="utf-8")


def _write_traffic(path: Path, cell_ids: np.ndarray, hours: pd.DatetimeIndex, traffic: np.ndarray,
                   cells_per_group: int = 500) -> None:
    """Write long traffic sorted by cell, one row group per ``cells_per_group`` cells."""
    schema = pa.schema([("cell_id", pa.string()), ("timestamp", pa.timestamp("us", tz=TIMEZONE)),
                        ("internet", pa.float64())])
    timestamps = pa.array(hours.as_unit("us"), type=pa.timestamp("us", tz=TIMEZONE))
    with pq.ParquetWriter(path, schema) as writer:
        for first in range(0, len(cell_ids), cells_per_group):
            chunk = slice(first, min(first + cells_per_group, len(cell_ids)))
            count = chunk.stop - chunk.start
            table = pa.table({
                "cell_id": pa.array(np.repeat(cell_ids[chunk], len(hours)), type=pa.string()),
                "timestamp": pa.concat_arrays([timestamps] * count),
                "internet": pa.array(traffic[:, chunk].T.ravel().astype(np.float64).round(3)),
            }, schema=schema)
            writer.write_table(table, row_group_size=len(table))


# -- planner, stage by stage, in a child process ----------------------------------------------------


def _run_child(folder: Path, python: str, scored_weeks: int) -> dict:
    out = folder / "planner_result.json"
    subprocess.run([python, __file__, "--child", str(folder), str(out), "--scored-weeks", str(scored_weeks)],
                   check=True)
    return json.loads(out.read_text())


def _origins(scored_weeks: int) -> list[pd.Timestamp]:
    """Return the Mondays of the scored weeks, the planned week last."""
    return [FIRST_MONDAY + pd.Timedelta(weeks=week) for week in range(WEEKS - scored_weeks, WEEKS)]


def _plan_in_child(folder: Path, out: Path, scored_weeks: int = 1) -> int:
    from planner.decisions.actions import plan_event_actions, plan_voice_channels
    from planner.decisions.capacity import plan_capacity
    from planner.decisions.plan import WeeklyPlan, _describe_events, _with_actuals, reference_traffic
    from planner.decisions.staffing import plan_staffing
    from planner.forecasting.model import EventForecaster
    from planner.inputs import load_dataset
    from planner.inputs.weeks import resolve_week
    from planner.reporting import write_report

    seconds, cpu_seconds, peak_by_stage = {}, {}, {}
    clock, cpu_clock = time.perf_counter(), _cpu_seconds()
    started = clock

    def lap(stage):
        nonlocal clock, cpu_clock
        now, cpu_now = time.perf_counter(), _cpu_seconds()
        seconds[stage] = seconds.get(stage, 0.0) + now - clock
        cpu_seconds[stage] = cpu_seconds.get(stage, 0.0) + cpu_now - cpu_clock
        # The peak so far: it grows at the stage that reaches a new maximum.
        peak_by_stage[stage] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        clock, cpu_clock = now, cpu_now

    dataset = load_dataset(folder)
    week = resolve_week(PLANNED_WEEK, dataset)
    lap("load")
    forecaster = EventForecaster().fit(dataset, week.start)
    result = forecaster.predict(week.start, week.end)
    usual_result = forecaster.predict(week.start, week.end, dataset.events.iloc[0:0])
    lap("forecast")
    plans = []
    reference = None
    for scenario, forecast_result in ((None, result), (dataset.events.iloc[0:0], usual_result)):
        forecast = _with_actuals(forecast_result.table, dataset, week)
        events = _describe_events(forecast_result.events, scenario if scenario is not None else dataset.events,
                                  dataset.venues)
        capacity = plan_capacity(forecast, dataset.cells, dataset.settings)
        event_actions = plan_event_actions(capacity, dataset.settings)
        voice = plan_voice_channels(forecast, dataset.cells, dataset.settings)
        lap("capacity")
        if reference is None:
            # Both plans share one reference, as in planner.engine.local.plan_with_usual_week.
            reference = reference_traffic(dataset, week)
        staffing, intervals = plan_staffing(forecast, capacity, dataset.settings, reference, week)
        lap("staffing")
        plans.append(WeeklyPlan(dataset=dataset, week=week, forecast=forecast, events=events, capacity=capacity,
                                staffing=staffing, staffing_intervals=intervals, notes=list(forecast_result.notes),
                                event_actions=event_actions, voice_channels=voice))
    report = write_report(plans[0], folder / "reports", lang="en", usual_staffing=plans[1].staffing)
    lap("report")
    plots = len(list(report.glob("*.png"))) + report.joinpath("report.html").read_text().count("<img")
    cells_at_risk_add = int(plans[0].capacity.loc[plans[0].capacity["action"] == "add", "cell_id"].nunique())
    total = time.perf_counter() - started

    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # The PDF is rendered in a forked child, which shares the parent's pages until it writes to them.
    child_peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

    # Accuracy: the planned week's forecast, and each earlier scored week forecast from its own Monday.
    # These extra forecasts come after the timed plan and its peak memory, so neither counts them.
    scored_cells = set(pd.read_csv(folder / "event_cells.csv")["cell_id"])
    columns = ["cell_id", "timestamp", "p50"]
    tables = [plans[0].forecast.loc[plans[0].forecast["cell_id"].isin(scored_cells), columns]]
    del plans, result, usual_result, forecaster
    for origin in _origins(scored_weeks)[:-1]:
        table = EventForecaster().fit(dataset, origin).predict(origin, origin + pd.Timedelta(weeks=1)).table
        tables.append(table.loc[table["cell_id"].isin(scored_cells), columns])
    pd.concat(tables, ignore_index=True).to_parquet(folder / "planner_event_cells.parquet")
    out.write_text(json.dumps({"pandas": pd.__version__, "seconds": seconds, "cpu_seconds": cpu_seconds, "total_seconds": total,
                               "total_cpu_seconds": sum(cpu_seconds.values()), "peak_mib": peak_mib,
                               "child_peak_mib": child_peak_mib, "peak_mib_by_stage": peak_by_stage,
                               "report_images": plots, "cells_at_risk_add": cells_at_risk_add}))
    return 0


def _cpu_seconds() -> float:
    """Return the processor time of this process and its finished children (the PDF renderer), in seconds."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


# -- reference models on the same cells -------------------------------------------------------------


def _references(folder: Path, row: dict, mstl_sample: int, prophet_sample: int, seed: int,
                scored_weeks: int = 1) -> dict:
    """Fit MSTL and Prophet on samples of the same cells; return throughput and event-window MAE.

    Throughput comes from the planned week, where MSTL is fitted on ``mstl_sample`` cells. Accuracy is
    measured on each scored week, each model fitted with only the history before its Monday, at the
    cells that week's events reach. The pooled MAE is over the event-window cell-hours of all scored weeks.
    """
    rng = np.random.default_rng(seed)
    events = pd.read_csv(folder / "events.csv", parse_dates=["start", "end"])
    scoring = pd.read_csv(folder / "event_cells.csv")
    all_cells = pd.read_csv(folder / "cells.csv", usecols=["cell_id"])["cell_id"].to_numpy()
    planner_p50 = pd.read_parquet(folder / "planner_event_cells.parquet")
    planner_p50["timestamp"] = pd.DatetimeIndex(planner_p50["timestamp"]).tz_convert(TIMEZONE)
    planner_all = planner_p50.pivot(index="timestamp", columns="cell_id", values="p50")
    starts = pd.to_datetime(events["start"], utc=True)

    weeks, errors = [], {"planner": [], "mstl": [], "planner_prophet_sample": [], "prophet": []}
    result = {}
    for origin in _origins(scored_weeks):
        end = origin + pd.Timedelta(weeks=1)
        planned = events[(starts >= origin.tz_convert("UTC")) & (starts < end.tz_convert("UTC"))]
        event_cells = scoring[scoring["event_id"].isin(planned["event_id"])]
        window_cells = sorted(set(event_cells["cell_id"]))
        is_planned_week = end == FIRST_MONDAY + pd.Timedelta(weeks=WEEKS)
        if is_planned_week:
            # The throughput sample: the event cells first (they are scored), then random cells.
            sample_size = len(all_cells) if mstl_sample == 0 else min(mstl_sample, len(all_cells))
            others = rng.permutation(np.setdiff1d(all_cells, window_cells))
            mstl_cells = list(window_cells[:sample_size]) + list(others[: max(0, sample_size - len(window_cells))])
        else:
            mstl_cells = window_cells
        if not mstl_cells:
            weeks.append({"week": _iso_week(origin), "events": 0, "event_window_cell_hours": 0})
            continue

        table = pq.read_table(folder / "traffic.parquet", filters=[("cell_id", "in", mstl_cells)]).to_pandas()
        matrix = table.pivot(index="timestamp", columns="cell_id", values="internet")
        matrix.index = pd.DatetimeIndex(matrix.index).tz_convert(TIMEZONE)
        history = matrix[matrix.index < origin]
        actual = matrix[(matrix.index >= origin) & (matrix.index < end)]
        mask = _window_mask(planned, event_cells, actual)

        mstl_seconds, mstl = _fit_mstl(history)
        prophet_cells = [cell for cell in mstl_cells if cell in window_cells][:prophet_sample] \
            or mstl_cells[:prophet_sample]
        prophet_seconds, prophet = _fit_prophet(history[prophet_cells])
        planner_matrix = planner_all.reindex(index=actual.index, columns=actual.columns)
        if is_planned_week:
            forecast_per_cell = row["seconds"]["forecast"] / row["cells"]
            result.update({
                "mstl_cells_fitted": len(mstl_cells), "mstl_seconds_per_cell": mstl_seconds / len(mstl_cells),
                "mstl_seconds_extrapolated": mstl_seconds / len(mstl_cells) * row["cells"],
                "prophet_cells_fitted": len(prophet_cells),
                "prophet_seconds_per_cell": prophet_seconds / len(prophet_cells),
                "prophet_seconds_extrapolated": prophet_seconds / len(prophet_cells) * row["cells"],
            })
            result["throughput_vs_mstl"] = result["mstl_seconds_per_cell"] / forecast_per_cell
            result["throughput_vs_prophet"] = result["prophet_seconds_per_cell"] / forecast_per_cell

        week_errors = {
            "planner": _errors(planner_matrix, actual, mask),
            "mstl": _errors(mstl.reindex(index=actual.index), actual, mask),
            "planner_prophet_sample": _errors(planner_matrix[prophet_cells], actual[prophet_cells],
                                              mask[prophet_cells]),
            "prophet": _errors(prophet.reindex(index=actual.index), actual[prophet_cells], mask[prophet_cells]),
        }
        for name, values in week_errors.items():
            errors[name].append(values)
        weeks.append({"week": _iso_week(origin), "events": int(planned["event_id"].nunique()),
                      "event_window_cell_hours": int(mask.to_numpy().sum()),
                      **{f"mae_{name}": _mean(values) for name, values in week_errors.items()}})

    # The planned week's figures keep their names; the pooled ones cover every scored week.
    planned_week = weeks[-1]
    result.update({key: planned_week.get(key, float("nan")) for key in
                   ("event_window_cell_hours", "mae_planner", "mae_mstl", "mae_planner_prophet_sample", "mae_prophet")})
    result["weeks"] = weeks
    result["pooled_event_window_cell_hours"] = sum(week["event_window_cell_hours"] for week in weeks)
    for name, values in errors.items():
        result[f"pooled_mae_{name}"] = _mean(np.concatenate(values)) if values else float("nan")
    return result


def _iso_week(monday: pd.Timestamp) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def _window_mask(planned: pd.DataFrame, event_cells: pd.DataFrame, actual: pd.DataFrame) -> pd.DataFrame:
    """Return True at the hours from start - 1 h to end + 2 h of each planned event, at its scored cells."""
    mask = pd.DataFrame(False, index=actual.index, columns=actual.columns)
    cells_of = event_cells.groupby("event_id")["cell_id"].apply(list)
    for event in planned.itertuples(index=False):
        start = pd.Timestamp(event.start).tz_convert(TIMEZONE)
        end = pd.Timestamp(event.end).tz_convert(TIMEZONE)
        hours = (actual.index + pd.Timedelta(hours=1) > start - pd.Timedelta(hours=1)) & \
                (actual.index < end + pd.Timedelta(hours=2))
        columns = [cell for cell in cells_of.get(event.event_id, []) if cell in mask.columns]
        mask.loc[hours, columns] = True
    return mask


def _errors(forecast: pd.DataFrame, actual: pd.DataFrame, mask: pd.DataFrame) -> np.ndarray:
    """Return the absolute errors at the masked cell-hours where both values exist."""
    error = (forecast.reindex(columns=actual.columns) - actual).abs().where(mask).to_numpy(dtype=float).ravel()
    return error[~np.isnan(error)]


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if values.size else float("nan")


def _fit_mstl(history: pd.DataFrame) -> tuple[float, pd.DataFrame]:
    from statsforecast import StatsForecast
    from statsforecast.models import MSTL, AutoARIMA

    long = history.reset_index(names="ds").melt(id_vars="ds", var_name="unique_id", value_name="y")
    long["ds"] = long["ds"].dt.tz_localize(None)
    long["y"] = long["y"].astype(float)
    model = StatsForecast(models=[MSTL(season_length=[24, 168], trend_forecaster=AutoARIMA())], freq="h",
                          n_jobs=os.cpu_count() or 1)
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        forecast = model.forecast(df=long, h=168)
    seconds = time.perf_counter() - started
    forecast["ds"] = pd.DatetimeIndex(forecast["ds"]).tz_localize(TIMEZONE)
    return seconds, forecast.pivot(index="ds", columns="unique_id", values="MSTL")


def _fit_prophet(history: pd.DataFrame) -> tuple[float, pd.DataFrame]:
    import logging

    from prophet import Prophet

    logging.getLogger("cmdstanpy").setLevel(logging.WARNING)
    logging.getLogger("prophet").setLevel(logging.WARNING)
    future_hours = pd.date_range(history.index[-1] + pd.Timedelta(hours=1), periods=168, freq="h")
    started = time.perf_counter()
    columns = {}
    for cell in history.columns:
        frame = pd.DataFrame({"ds": history.index.tz_localize(None), "y": history[cell].to_numpy(float)})
        model = Prophet(daily_seasonality=True, weekly_seasonality=True, yearly_seasonality=False)
        model.fit(frame)
        columns[cell] = model.predict(pd.DataFrame({"ds": future_hours.tz_localize(None)}))["yhat"].to_numpy()
    seconds = time.perf_counter() - started
    return seconds, pd.DataFrame(columns, index=future_hours)


def _print_tables(rows: list[dict]) -> None:
    print("\nplanner, whole weekly plan (synthetic cells): wall-clock seconds (processor seconds) and peak resident "
          f"memory of the planning process, pandas {rows[0].get('pandas', '?') if rows else '?'}")
    print("| cells | load | forecast | capacity | staffing | report | total | peak memory (MiB) | PDF process peak (MiB) "
          "| report images |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        s, cpu = row["seconds"], row["cpu_seconds"]
        stages = " | ".join(f"{s[stage]:.1f} ({cpu[stage]:.1f})"
                            for stage in ("load", "forecast", "capacity", "staffing", "report"))
        print(f"| {row['cells']:,} | {stages} | {row['total_seconds']:.1f} ({row['total_cpu_seconds']:.1f}) | "
              f"{row['peak_mib']:,.0f} | {row['child_peak_mib']:,.0f} | {row['report_images']} |")
    print("\nreference models on the same cells (time per cell measured on a sample, extrapolated to all cells), "
          f"pandas {pd.__version__}")
    print("| cells | MSTL sample | MSTL s/cell | MSTL all cells (s) | planner / MSTL throughput | Prophet sample | "
          "Prophet s/cell | planner / Prophet throughput | event-window cell-hours | MAE planner | MAE MSTL | "
          "MAE planner (Prophet sample) | MAE Prophet |")
    print("|" + "---|" * 13)
    for row in rows:
        print(f"| {row['cells']:,} | {row['mstl_cells_fitted']} | {row['mstl_seconds_per_cell']:.3f} | "
              f"{row['mstl_seconds_extrapolated']:,.0f} | {row['throughput_vs_mstl']:,.0f} | "
              f"{row['prophet_cells_fitted']} | {row['prophet_seconds_per_cell']:.2f} | "
              f"{row['throughput_vs_prophet']:,.0f} | {row['event_window_cell_hours']} | {row['mae_planner']:.2f} | "
              f"{row['mae_mstl']:.2f} | {row['mae_planner_prophet_sample']:.2f} | {row['mae_prophet']:.2f} |")
    print("\nevent-window MAE of the p50 forecast, each scored week forecast with only the history before its "
          "Monday; 'all' pools the cell-hours of every scored week")
    print("| cells | week | events | event-window cell-hours | MAE planner | MAE MSTL | MAE planner (Prophet sample) "
          "| MAE Prophet |")
    print("|" + "---|" * 8)
    for row in rows:
        for week in row["weeks"] + [{"week": "all", "events": sum(week["events"] for week in row["weeks"]),
                                     **{key.removeprefix("pooled_"): value for key, value in row.items()
                                        if key.startswith("pooled_")}}]:
            figures = " | ".join(f"{week.get(key, float('nan')):.2f}" for key in
                                 ("mae_planner", "mae_mstl", "mae_planner_prophet_sample", "mae_prophet"))
            print(f"| {row['cells']:,} | {week['week']} | {week['events']} | {week['event_window_cell_hours']} | "
                  f"{figures} |")


if __name__ == "__main__":
    sys.exit(main())
