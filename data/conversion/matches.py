"""San Siro matches of November and December 2013, shared by the Milan and San Siro datasets."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from conversion.common import EVENT_COLUMNS, VENUE_COLUMNS, iso_text, localize

TIMEZONE = "Europe/Rome"
VENUE_ID = "san-siro"

# Scheduled kick-off to final whistle: 2 x 45 min play, 15 min half-time and
# about 10 min of stoppage time. The real end of these matches was not recorded.
MATCH_DURATION = pd.Timedelta(hours=1, minutes=55)

MATCHES_FILE = Path("milan_telecom_san_siro") / "san_siro_matches_2013.csv"
ATTENDANCE_FILE = Path("milan_telecom_san_siro") / "Attendees_San_Siro.2013-11-01_to_2013-12-01.csv"


def read_matches(shared: Path) -> pd.DataFrame:
    """Read the match list with its kick-off and attendance text as stored in the source.

    Raises
    ------
    ValueError
        If an attendance differs from the one in the attendance file of the
        Botta, Moat and Preis data, which the match list claims to repeat.
    """
    matches = pd.read_csv(shared / MATCHES_FILE, dtype=str, keep_default_na=False, encoding="utf-8")
    attendance = pd.read_csv(shared / ATTENDANCE_FILE, dtype=str, keep_default_na=False, encoding="utf-8")
    listed = dict(zip(matches["date"], matches["attendance"]))
    for date, attendees in zip(attendance["Date"], attendance["Attendees at San Siro"]):
        if listed.get(date) != attendees:
            raise ValueError(f"{ATTENDANCE_FILE}: attendance {attendees!r} on {date} differs from "
                             f"{listed.get(date)!r} in {MATCHES_FILE}; settle the source before converting")
    return matches


def match_events(matches: pd.DataFrame) -> pd.DataFrame:
    """Turn match rows into ``events.csv`` rows at the San Siro venue.

    The start is the scheduled kick-off in Europe/Rome and the end is
    ``MATCH_DURATION`` later. An empty attendance stays empty.
    """
    kickoff = localize(pd.to_datetime(matches["date"] + " " + matches["kickoff_local"], format="%Y-%m-%d %H:%M"),
                       TIMEZONE)
    events = pd.DataFrame({
        "event_id": "san-siro-" + matches["date"],
        "name": matches["home_team"] + " \u2013 " + matches["away_team"] + " (" + matches["competition"] + ")",
        "kind": "match",
        "venue_id": VENUE_ID,
        "start": iso_text(kickoff),
        "end": iso_text(kickoff + MATCH_DURATION),
        "expected_attendance": matches["attendance"],
        "attendance_low": "",
        "attendance_high": "",
    })
    return events[EVENT_COLUMNS].sort_values("start", kind="stable").reset_index(drop=True)


def san_siro_venue() -> pd.DataFrame:
    """Return the one-row ``venues.csv`` table of the Giuseppe Meazza stadium."""
    return pd.DataFrame([{
        "venue_id": VENUE_ID,
        "name": "San Siro (Giuseppe Meazza)",
        "latitude": "45.4781",
        "longitude": "9.1241",
        "capacity_people": "80018",
    }], columns=VENUE_COLUMNS)
