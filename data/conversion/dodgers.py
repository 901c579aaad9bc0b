"""Convert the Dodgers loop sensor (5-minute car counts) into ``data/dodgers``."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from conversion.common import EVENT_COLUMNS, VENUE_COLUMNS, csv_text, hourly_volume, iso_text, localize, render_template

SOURCE = Path("dodgers_loop_sensor")
COUNTS_FILE = SOURCE / "Dodgers.data"
GAMES_FILE = SOURCE / "Dodgers.events"
TIMEZONE = "America/Los_Angeles"
CELL_ID = "glendale-ramp"
VENUE_ID = "dodger-stadium"
STEP_MINUTES = 5
MISSING_COUNT = "-1"
# Assumed discharge rate of a metered single-lane on-ramp, in cars per hour.
CAPACITY_CARS_PER_HOUR = 700
THRESHOLD = 0.8
WATCH_MARGIN = 0.1


def convert(shared: Path) -> dict[str, str]:
    """Build every file of ``data/dodgers`` from the shared source files.

    Returns
    -------
    dict
        File name to file text.

    Raises
    ------
    ValueError
        If a count is neither ``-1`` nor a non-negative integer.
    """
    counts = pd.read_csv(shared / COUNTS_FILE, header=None, names=["end_time", "cars"], dtype=str,
                         keep_default_na=False, encoding="ascii")
    invalid = counts[~counts["cars"].str.fullmatch(r"-1|\d+")]
    if not invalid.empty:
        first = invalid.index[0]
        raise ValueError(f"{COUNTS_FILE}: line {first + 1}: invalid count {invalid['cars'].iloc[0]!r}; "
                         "expected -1 or a non-negative integer")

    # Each count covers the five minutes BEFORE its time stamp; the format stamps the interval start.
    ends = pd.to_datetime(counts["end_time"], format="%m/%d/%Y %H:%M")
    starts = localize(ends - pd.Timedelta(minutes=STEP_MINUTES), TIMEZONE)
    cars_text = counts["cars"].where(counts["cars"] != MISSING_COUNT, "")
    traffic = pd.DataFrame({"cell_id": CELL_ID, "timestamp": iso_text(starts), "cars": cars_text})

    games = _games(shared)
    events = pd.DataFrame({
        "event_id": "dodgers-" + games["start"].dt.strftime("%Y-%m-%d"),
        "name": "Dodgers \u2013 " + games["away_team"],
        "kind": "match",
        "venue_id": VENUE_ID,
        "start": iso_text(games["start"]),
        "end": iso_text(games["end"]),
        "expected_attendance": games["attendance"],
        "attendance_low": "",
        "attendance_high": "",
    })[EVENT_COLUMNS]

    cars = pd.Series(pd.to_numeric(cars_text.replace("", None)).astype("float64").to_numpy(), index=starts)
    facts = _facts(cars, games)
    facts.update({
        "rows": len(traffic),
        "missing_rows": int((cars_text == "").sum()),
        "first_timestamp": traffic["timestamp"].iloc[0],
        "last_timestamp": traffic["timestamp"].iloc[-1],
        "game_count": len(events),
        "capacity_cars": CAPACITY_CARS_PER_HOUR,
        "add_from": int(THRESHOLD * CAPACITY_CARS_PER_HOUR),
        "watch_from": int(round((THRESHOLD - WATCH_MARGIN) * CAPACITY_CARS_PER_HOUR)),
    })
    cells = pd.DataFrame([{
        "cell_id": CELL_ID,
        "site_id": CELL_ID,
        "latitude": "34.0735",
        "longitude": "-118.2410",
        "utilisation_threshold": "",
        "capacity_cars": str(CAPACITY_CARS_PER_HOUR),
    }])
    venues = pd.DataFrame([{
        "venue_id": VENUE_ID,
        "name": "Dodger Stadium",
        "latitude": "34.0739",
        "longitude": "-118.2400",
        "capacity_people": "56000",
    }], columns=VENUE_COLUMNS)
    return {
        "traffic.csv": csv_text(traffic),
        "cells.csv": csv_text(cells),
        "events.csv": csv_text(events),
        "venues.csv": csv_text(venues),
        "settings.toml": render_template("dodgers/settings.toml.in", facts),
        "PROVENANCE.md": render_template("dodgers/PROVENANCE.md.in", facts),
    }


def _games(shared: Path) -> pd.DataFrame:
    """Read the game list: Latin-1 text whose every line ends with a non-breaking space."""
    raw = pd.read_csv(shared / GAMES_FILE, header=None, dtype=str, keep_default_na=False, encoding="latin-1",
                      names=["date", "begin", "end", "attendance", "away_team", "result"])
    raw = raw.apply(lambda column: column.str.strip(" \u00a0"))
    starts = localize(pd.to_datetime(raw["date"] + " " + raw["begin"], format="%m/%d/%y %H:%M:%S"), TIMEZONE)
    ends = localize(pd.to_datetime(raw["date"] + " " + raw["end"], format="%m/%d/%y %H:%M:%S"), TIMEZONE)
    if (ends <= starts).any():
        raise ValueError(f"{GAMES_FILE}: a game ends before it begins; check the begin and end columns")
    if not raw["attendance"].str.fullmatch(r"\d+").all():
        raise ValueError(f"{GAMES_FILE}: an attendance is not a whole number")
    return pd.DataFrame({"start": starts, "end": ends, "attendance": raw["attendance"],
                         "away_team": raw["away_team"]})


def _facts(cars: pd.Series, games: pd.DataFrame) -> dict[str, object]:
    """Measure what the capacity sizing rests on: hourly maxima and hours in the add and watch bands."""
    hourly = hourly_volume(cars, STEP_MINUTES)
    complete_hours = cars.groupby(cars.index.floor("h")).count() == 60 // STEP_MINUTES
    rolling_hour = cars.rolling(60 // STEP_MINUTES, min_periods=60 // STEP_MINUTES).sum()
    peak_hour = hourly[complete_hours].idxmax()

    game_days = set(games["start"].map(lambda moment: moment.date()))
    on_game_day = hourly.index.map(lambda moment: moment.date() in game_days)
    after_game = pd.Series(False, index=hourly.index)
    silent_games = []
    for start, end in zip(games["start"], games["end"]):
        after_game |= (hourly.index >= end.floor("h")) & (hourly.index < end + pd.Timedelta(hours=2))
        if cars[(cars.index >= start) & (cars.index < end + pd.Timedelta(hours=1))].notna().sum() == 0:
            silent_games.append(start.strftime("%Y-%m-%d"))

    add = hourly > THRESHOLD * CAPACITY_CARS_PER_HOUR
    watch = (hourly > (THRESHOLD - WATCH_MARGIN) * CAPACITY_CARS_PER_HOUR) & ~add
    imputed = hourly.notna() & ~complete_hours.reindex(hourly.index, fill_value=False)
    weekday_afternoon = (hourly.index.hour.isin([15, 16])) & (hourly.index.day_of_week < 5)
    return {
        "hours": int(hourly.notna().sum()),
        "missing_hours": int(hourly.isna().sum()),
        "imputed_hours": int(imputed.sum()),
        "max_clock_hour": int(hourly[complete_hours].max()),
        "max_clock_hour_at": peak_hour.strftime("%Y-%m-%d %H:%M"),
        "max_rolling_hour": int(rolling_hour.max()),
        "max_step": int(cars.max()),
        "max_share": int(round(100 * rolling_hour.max() / CAPACITY_CARS_PER_HOUR)),
        "add_hours": int(add.sum()),
        "add_game_days": int((add & on_game_day).sum()),
        "add_after_game": int((add & after_game).sum()),
        "watch_hours": int(watch.sum()),
        "watch_game_days": int((watch & on_game_day).sum()),
        "watch_after_game": int((watch & after_game).sum()),
        "post_game_mean": int(round(hourly[after_game].mean())),
        "weekday_afternoon_mean": int(round(hourly[weekday_afternoon].mean())),
        "last_hour_present": int(cars[cars.index >= hourly.index[-1]].notna().sum()),
        "post_game_ratio": f"{_post_game_ratio(cars, games):.2f}",
        "silent_games": ", ".join(silent_games) or "none",
    }


def _post_game_ratio(cars: pd.Series, games: pd.DataFrame) -> float:
    """Compare the hour after each game's end with the same weekday and steps on days without a game."""
    game_days = set(games["start"].map(lambda moment: moment.date()))
    free_days = cars[[moment.date() not in game_days for moment in cars.index]]
    free_mean = free_days.groupby([free_days.index.day_of_week, free_days.index.hour,
                                   free_days.index.minute]).mean()
    after, usual = [], []
    for end in games["end"]:
        window = cars[(cars.index >= end) & (cars.index < end + pd.Timedelta(hours=1))].dropna()
        for moment, value in window.items():
            after.append(value)
            usual.append(free_mean[(moment.day_of_week, moment.hour, moment.minute)])
    return sum(after) / sum(usual)
