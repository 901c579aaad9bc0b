"""Replay the real February 1999 calls of the "Anonymous Bank" call centre through the planner's staffing.

Usage::

    .venv/bin/python benchmarks/call_centre_replay.py --data ../shared/data/call_centre_anonymous_bank
    .venv/bin/python benchmarks/call_centre_replay.py --data ... --probability 0.9 --sweep none 0.5 0.8

For each Monday-to-Sunday week of February 1999 after the first, the script

1. forecasts the arrivals of every half-hour as the mean count of the same
   weekday and half-hour over the weeks before (February 1999 starts on a
   Monday, so the first week has no history and is only learned from);
2. estimates from those weeks the mean handle time (answered calls) and the
   mean patience (total queue wait of queued calls over the abandonments,
   the censored maximum likelihood estimate for exponential patience);
3. staffs every half-hour with the planner's Erlang C and Erlang A inverses
   for the service level target, with no occupancy cap and no shrinkage,
   because the replay checks the agents on the phones. As the planner does
   with ``service_level_probability``, each half-hour is sized for the count
   it stays at or below with ``--probability`` (never below the forecast),
   for a negative binomial spread whose dispersion is measured between the
   weeks before (Poisson when there is only one) and widened by ``1 + 1/k``
   for a forecast that averages ``k`` weeks;
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
from planner.decisions.arrival_quantiles import (  # noqa: E402
    arrivals_at_probability,
    dispersion_from_counts,
    forecast_dispersion,
)
from planner.decisions.simulation import least_agents_per_interval, replay_calls  # noqa: E402

logger = logging.getLogger("call_centre_replay")

TIMEZONE = "Asia/Jerusalem"
INTERVAL_SECONDS = 1800.0
INTERVALS_PER_WEEK = 7 * 48
FIRST_MONDAY = pd.Timestamp("1999-02-01", tz=TIMEZONE)
ALL_WEEKS = "all three weeks"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, required=True,
                        help="folder with data_anonymous_bank_february.txt")
    parser.add_argument("--answer-time", type=float, default=20.0,
                        help="answer time of the service level target, seconds (default 20)")
    parser.add_argument("--target", type=float, default=0.8,
                        help="share of offered calls to answer within the answer time (default 0.8)")
    parser.add_argument("--probability", type=_probability, default=0.8,
                        help="probability that a half-hour meets the target, as the planner's "
                             "service_level_probability setting, or 'none' to staff for the expected "
                             "arrivals (default 0.8)")
    parser.add_argument("--sweep", type=_probability, nargs="*", default=[],
                        help="further probabilities ('none' allowed) to replay for the trade-off table")
    parser.add_argument("--seed", type=int, default=1999, help="seed of the patience and handle time draws")
    parser.add_argument("--out", type=Path, default=None, help="optional CSV of the per-half-hour results")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    started = time.perf_counter()
    calls = read_calls(args.data / "data_anonymous_bank_february.txt")
    intervals = replay_weeks(calls, args.answer_time, args.target, args.seed, args.probability)
    if args.out is not None:
        intervals.to_csv(args.out, index=False)

    summary = summarise(intervals, args.target)
    print(f"\nService level target: {args.target:.0%} of offered calls answered within {args.answer_time:g} s "
          "(abandoned calls count as not answered); service_level_probability "
          f"{_probability_text(args.probability)}")
    _print_table(summary)

    if args.sweep:
        tradeoff = [summary.assign(service_level_probability=_probability_text(args.probability))]
        for probability in args.sweep:
            swept = summarise(replay_weeks(calls, args.answer_time, args.target, args.seed, probability), args.target)
            tradeoff.append(swept.assign(service_level_probability=_probability_text(probability)))
        table = pd.concat(tradeoff, ignore_index=True)
        table = table[table["week"] == ALL_WEEKS]
        print("\nTrade-off over the three weeks:")
        _print_table(table[["service_level_probability", "model", "share_meeting_target", "overall_service_level",
                            "planned_staff_hours", "least_staff_hours", "extra_staff_hours_share"]])
    print(f"\nRan in {time.perf_counter() - started:.0f} s on {platform.machine()}, Python {platform.python_version()}")
    return 0


def replay_weeks(calls: pd.DataFrame, answer_time: float, target: float, seed: int,
                 probability: float | None) -> pd.DataFrame:
    """Replay weeks 2 to 4 of February 1999 with both queue models; one row per half-hour."""
    rows = []
    for week_index in (1, 2, 3):
        for model in ("erlang_c", "erlang_a"):
            rows.append(replay_week(calls, week_index, model, answer_time, target, seed, probability))
    return pd.concat(rows, ignore_index=True)


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
                seed: int, probability: float | None = None) -> pd.DataFrame:
    """Forecast, staff and replay one week; return one row per half-hour."""
    week_start = FIRST_MONDAY + pd.Timedelta(weeks=week_index)
    history = calls[(calls["arrival"] >= FIRST_MONDAY) & (calls["arrival"] < week_start)]
    week = calls[(calls["arrival"] >= week_start) & (calls["arrival"] < week_start + pd.Timedelta(weeks=1))]

    # Forecast: mean count per weekday and half-hour over the weeks before.
    history_counts = np.bincount(_slot(history["arrival"], FIRST_MONDAY),
                                 minlength=week_index * INTERVALS_PER_WEEK).reshape(week_index, INTERVALS_PER_WEEK)
    forecast = history_counts.mean(axis=0)
    # Spread of a week's count about that forecast: measured between the past weeks when there are two or
    # more, Poisson otherwise, plus the error of averaging only week_index weeks.
    dispersion = dispersion_from_counts(history_counts) if week_index >= 2 else 1.0
    spread = forecast_dispersion(dispersion, week_index)
    sized = arrivals_at_probability(forecast, probability, spread)

    answered = history[~history["abandoned"]]
    handle_time = float(answered["ser_time"].mean())
    patience = float(history["q_time"].sum() / history["abandoned"].sum())
    loads = sized * handle_time / INTERVAL_SECONDS
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
    forecast_slots = forecast > 0
    realised = float(((counts - forecast) ** 2)[forecast_slots].sum() / forecast[forecast_slots].sum())
    logger.info("week of %s, %s: AHT %.1f s, patience %.1f s, dispersion about the forecast %.2f estimated, "
                "%.2f realised, %d calls, %d planned agent half-hours", week_start.date(), model, handle_time,
                patience, spread, realised, len(week), int(planned.sum()))
    return pd.DataFrame({
        "week_start": week_start.date(), "model": model,
        "interval_start": week_start + pd.to_timedelta(np.arange(INTERVALS_PER_WEEK) * INTERVAL_SECONDS, unit="s"),
        "forecast_calls": forecast, "sized_calls": sized, "dispersion": spread, "actual_calls": counts, "planned_agents": planned, "least_agents": least,
        "achieved_service_level": achieved, "handle_time_seconds": handle_time, "patience_seconds": patience,
    })


def summarise(intervals: pd.DataFrame, target: float) -> pd.DataFrame:
    """Share of half-hours with calls that meet the target, and staff-hours against the least."""
    rows = []
    for (week_start, model), group in intervals.groupby(["week_start", "model"], sort=False):
        rows.append(_summary_row(str(week_start), model, group, target))
    for model, group in intervals.groupby("model", sort=False):
        rows.append(_summary_row(ALL_WEEKS, model, group, target))
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


def _probability(text: str) -> float | None:
    if text.lower() == "none":
        return None
    value = float(text)
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"invalid probability {text!r}; expected a number in (0, 1) or 'none'")
    return value


def _probability_text(probability: float | None) -> str:
    return "none (expected arrivals)" if probability is None else f"{probability:g}"


def _print_table(table: pd.DataFrame) -> None:
    print(table.to_markdown(index=False, floatfmt=".3f") if _has_tabulate() else table.to_string(index=False))


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    raise SystemExit(main())
