"""Replay the real February 1999 calls of the "Anonymous Bank" call centre through the planner's staffing.

Usage::

    .venv/bin/python benchmarks/call_centre_replay.py --data ../shared/data/call_centre_anonymous_bank

For each Monday-to-Sunday week of February 1999 after the first, the script

1. forecasts the arrivals of every half-hour as the mean count of the same
   weekday and half-hour over the weeks before (February 1999 starts on a
   Monday, so the first week has no history and is only learned from);
2. estimates from those weeks the mean handle time (answered calls) and the
   mean patience (total queue wait of queued calls over the abandonments,
   the censored maximum likelihood estimate for exponential patience);
3. staffs every half-hour with the planner's Erlang C and Erlang A inverses
   for the service level target, with no occupancy cap and no shrinkage,
   because the replay checks the agents on the phones;
4. replays the week's real calls through that staffing (FIFO; a call
   abandons when its wait passes its patience) and reports the achieved
   service level per half-hour, the share of half-hours meeting the target,
   and the staff-hours above the least staffing that meets it, found per
   half-hour by re-simulating.

The calls replayed are those that reached the agent queue: outcome AGENT,
and outcome HANG with a queue entry. PHANTOM calls and calls that hung up in
the voice response unit are left out. A call arrives at its ``vru_exit``
time. An answered call keeps its real ``ser_time``. An abandoned call's
patience is its real queue time. An answered call's patience is unknown but
at least its real wait, so it is that wait plus an exponential draw with the
estimated mean (memoryless). An abandoned call that the replay answers gets
a handle time drawn from the week's answered calls. The draws use a fixed
seed, so a run is repeatable.
"""

from __future__ import annotations

import argparse
import logging
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from planner.decisions import erlang, erlang_a  # noqa: E402
from planner.decisions.simulation import least_agents_per_interval, replay_calls  # noqa: E402

logger = logging.getLogger("call_centre_replay")

TIMEZONE = "Asia/Jerusalem"
INTERVAL_SECONDS = 1800.0
INTERVALS_PER_WEEK = 7 * 48
FIRST_MONDAY = pd.Timestamp("1999-02-01", tz=TIMEZONE)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, required=True,
                        help="folder with data_anonymous_bank_february.txt")
    parser.add_argument("--answer-time", type=float, default=20.0,
                        help="answer time of the service level target, seconds (default 20)")
    parser.add_argument("--target", type=float, default=0.8,
                        help="share of offered calls to answer within the answer time (default 0.8)")
    parser.add_argument("--seed", type=int, default=1999, help="seed of the patience and handle time draws")
    parser.add_argument("--out", type=Path, default=None, help="optional CSV of the per-half-hour results")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    started = time.perf_counter()
    calls = read_calls(args.data / "data_anonymous_bank_february.txt")
    rows = []
    for week_index in (1, 2, 3):
        for model in ("erlang_c", "erlang_a"):
            rows.append(replay_week(calls, week_index, model, args.answer_time, args.target, args.seed))
    intervals = pd.concat(rows, ignore_index=True)
    if args.out is not None:
        intervals.to_csv(args.out, index=False)

    summary = summarise(intervals, args.target)
    print(f"\nService level target: {args.target:.0%} of offered calls answered within {args.answer_time:g} s "
          "(abandoned calls count as not answered)")
    print(summary.to_markdown(index=False, floatfmt=".3f") if _has_tabulate() else summary.to_string(index=False))
    print(f"\nRan in {time.perf_counter() - started:.0f} s on {platform.machine()}, Python {platform.python_version()}")
    return 0


def read_calls(path: Path) -> pd.DataFrame:
    """Read the calls that reached the agent queue, with tz-aware arrival times."""
    raw = pd.read_csv(path, sep="\t")
    queued = (raw["outcome"] == "AGENT") | ((raw["outcome"] == "HANG") & (raw["q_start"] != "0:00:00"))
    calls = raw[queued].copy()
    day = pd.to_datetime(calls["date"].astype(str), format="%y%m%d")
    arrival = day + pd.to_timedelta(calls["vru_exit"])
    calls["arrival"] = arrival.dt.tz_localize(TIMEZONE)
    calls["abandoned"] = calls["outcome"] == "HANG"
    calls = calls.sort_values("arrival", kind="stable").reset_index(drop=True)
    logger.info("read %d calls that reached the queue (%d left out: PHANTOM or hung up in the voice unit)",
                len(calls), len(raw) - len(calls))
    return calls[["arrival", "q_time", "ser_time", "abandoned"]]


def replay_week(calls: pd.DataFrame, week_index: int, model: str, answer_time: float, target: float,
                seed: int) -> pd.DataFrame:
    """Forecast, staff and replay one week; return one row per half-hour."""
    week_start = FIRST_MONDAY + pd.Timedelta(weeks=week_index)
    history = calls[(calls["arrival"] >= FIRST_MONDAY) & (calls["arrival"] < week_start)]
    week = calls[(calls["arrival"] >= week_start) & (calls["arrival"] < week_start + pd.Timedelta(weeks=1))]

    # Forecast: mean count per weekday and half-hour over the weeks before.
    history_slots = _slot(history["arrival"], FIRST_MONDAY) % INTERVALS_PER_WEEK
    forecast = np.bincount(history_slots, minlength=INTERVALS_PER_WEEK) / week_index

    answered = history[~history["abandoned"]]
    handle_time = float(answered["ser_time"].mean())
    patience = float(history["q_time"].sum() / history["abandoned"].sum())
    loads = forecast * handle_time / INTERVAL_SECONDS
    if model == "erlang_c":
        planned = erlang.agents_for_service_level(loads, handle_time, answer_time, target)
    else:
        planned = erlang_a.agents_for_service_level(loads, handle_time, patience, answer_time, target)
    planned = np.asarray(planned, dtype=np.int64)

    rng = np.random.default_rng(seed + week_index)
    arrivals = ((week["arrival"] - week_start) / pd.Timedelta(seconds=1)).to_numpy(dtype=float)
    abandoned = week["abandoned"].to_numpy()
    waits = week["q_time"].to_numpy(dtype=float)
    handles = week["ser_time"].to_numpy(dtype=float)
    served_handles = handles[~abandoned]
    handles = np.where(abandoned, rng.choice(served_handles, size=handles.size), handles)
    patiences = np.where(abandoned, waits, waits + rng.exponential(patience, size=waits.size))

    result = replay_calls(arrivals, handles, patiences, planned, INTERVAL_SECONDS)
    least = least_agents_per_interval(arrivals, handles, patiences, planned, INTERVAL_SECONDS, answer_time, target)

    slots = (arrivals // INTERVAL_SECONDS).astype(np.int64)
    in_time = result.answered_within(answer_time)
    counts = np.bincount(slots, minlength=INTERVALS_PER_WEEK)
    met = np.bincount(slots, weights=in_time, minlength=INTERVALS_PER_WEEK)
    with np.errstate(invalid="ignore", divide="ignore"):
        achieved = met / counts
    logger.info("week of %s, %s: AHT %.1f s, patience %.1f s, %d calls, %d planned agent half-hours",
                week_start.date(), model, handle_time, patience, len(week), int(planned.sum()))
    return pd.DataFrame({
        "week_start": week_start.date(), "model": model,
        "interval_start": week_start + pd.to_timedelta(np.arange(INTERVALS_PER_WEEK) * INTERVAL_SECONDS, unit="s"),
        "forecast_calls": forecast, "actual_calls": counts, "planned_agents": planned, "least_agents": least,
        "achieved_service_level": achieved, "handle_time_seconds": handle_time, "patience_seconds": patience,
    })


def summarise(intervals: pd.DataFrame, target: float) -> pd.DataFrame:
    """Share of half-hours with calls that meet the target, and staff-hours against the least."""
    rows = []
    for (week_start, model), group in intervals.groupby(["week_start", "model"], sort=False):
        rows.append(_summary_row(str(week_start), model, group, target))
    for model, group in intervals.groupby("model", sort=False):
        rows.append(_summary_row("all three weeks", model, group, target))
    return pd.DataFrame(rows)


def _summary_row(label: str, model: str, group: pd.DataFrame, target: float) -> dict[str, object]:
    with_calls = group[group["actual_calls"] > 0]
    meeting = with_calls["achieved_service_level"] >= target
    planned_hours = group["planned_agents"].sum() / 2
    least_hours = group["least_agents"].sum() / 2
    return {
        "week": label, "model": model, "half_hours_with_calls": len(with_calls),
        "share_meeting_target": float(meeting.mean()),
        "overall_service_level": float((with_calls["achieved_service_level"] * with_calls["actual_calls"]).sum()
                                       / with_calls["actual_calls"].sum()),
        "planned_staff_hours": planned_hours, "least_staff_hours": least_hours,
        "extra_staff_hours_share": float(planned_hours / least_hours - 1.0),
    }


def _slot(stamps: pd.Series, origin: pd.Timestamp) -> np.ndarray:
    return ((stamps - origin) / pd.Timedelta(seconds=INTERVAL_SECONDS)).to_numpy().astype(np.int64)


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    raise SystemExit(main())
