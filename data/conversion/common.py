"""Helpers shared by the dataset converters: CSV text, local timestamps, templates.

Every helper returns text or frames that depend only on its input, so that a
converter run twice on the same source files writes the same bytes.
"""

from __future__ import annotations

import math
import re
import string
import tomllib
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

EVENT_COLUMNS: list[str] = [
    "event_id", "name", "kind", "venue_id", "start", "end",
    "expected_attendance", "attendance_low", "attendance_high",
]
VENUE_COLUMNS: list[str] = ["venue_id", "name", "latitude", "longitude", "capacity_people"]

NARROW_NO_BREAK_SPACE = "\u202f"
NO_BREAK_SPACE = "\u00a0"
# French typography puts a narrow no-break space before ; ! ? and a no-break space before : and inside « ».
# A mark counts when a space, a quote or the end follows it, so the colon of a time (18:00) is left alone.
FRENCH_SPACING_ERROR = re.compile(
    rf"(?<!{NARROW_NO_BREAK_SPACE})[;!?](?=[\s\"»)]|$)|(?<!{NO_BREAK_SPACE}):(?=[\s\"»)]|$)"
    rf"|«(?!{NO_BREAK_SPACE})|(?<!{NO_BREAK_SPACE})»")


def csv_text(frame: pd.DataFrame) -> str:
    """Return ``frame`` as UTF-8 CSV text: comma separator, header row, ``\\n`` line ends.

    Missing values (None, NaN, empty strings) are written as empty fields.
    """
    return frame.to_csv(index=False, lineterminator="\n", na_rep="")


def localize(naive: pd.Series, timezone: str) -> pd.Series:
    """Attach ``timezone`` to naive local wall-clock timestamps.

    Raises
    ------
    ValueError
        If a timestamp falls in a repeated or a skipped daylight-saving hour,
        because the source files carry no offset to settle which one is meant.
    """
    try:
        return naive.dt.tz_localize(ZoneInfo(timezone), ambiguous="raise", nonexistent="raise")
    except (ValueError, TypeError) as error:
        raise ValueError(f"local timestamps cannot be placed in {timezone} without guessing: {error}") from None


def iso_text(aware: pd.Series) -> pd.Series:
    """Format tz-aware timestamps as ISO 8601 with the UTC offset, such as ``2005-04-10T00:00:00-07:00``."""
    return aware.map(lambda moment: moment.isoformat())


def hourly_volume(values: pd.Series, step_minutes: int) -> pd.Series:
    """Sum a volume measure over local clock hours by the bundled format's rule.

    ``values`` is indexed by tz-aware interval starts and contains NaN where a
    step is missing. An hour with at least half of its steps present is
    scaled up by expected over present steps; with fewer present, it is NaN.
    """
    steps_per_hour = 60 // step_minutes
    grouped = values.groupby(values.index.floor("h"))
    present = grouped.count()
    total = grouped.sum(min_count=1)
    hourly = total * steps_per_hour / present
    return hourly.where(present * 2 >= steps_per_hour)


def render_template(name: str, values: dict[str, object]) -> str:
    """Fill ``templates/<name>`` with ``values`` using ``${key}`` placeholders.

    Raises
    ------
    KeyError
        If the template names a placeholder that ``values`` lacks.
    ValueError
        If a TOML template has a French text without its no-break spaces
        (see :func:`check_french_spacing`).
    """
    text = (TEMPLATES / name).read_text(encoding="utf-8")
    rendered = string.Template(text).substitute({key: str(value) for key, value in values.items()})
    if name.endswith(".toml.in"):
        check_french_spacing(rendered, name)
    return rendered


def check_french_spacing(toml_text: str, name: str) -> None:
    """Check the no-break spaces of the ``[translations.fr]`` texts of a settings file.

    Raises
    ------
    ValueError
        If a French text has ; ! ? without a narrow no-break space (U+202F)
        before it, or : or « » without a no-break space (U+00A0).
    """
    french = tomllib.loads(toml_text).get("translations", {}).get("fr", {})
    for english, text in french.items():
        match = FRENCH_SPACING_ERROR.search(text)
        if match:
            key = english if len(english) <= 60 else english[:57] + "..."
            excerpt = text[max(0, match.start() - 20):match.end() + 1]
            raise ValueError(f"templates/{name}: the French text of {key!r} has {match.group()!r} without its "
                             f"no-break space in {excerpt!r}; write U+202F before ; ! ? and U+00A0 before : "
                             "and inside « »")


def round_to(value: float, step: float) -> float:
    """Round ``value`` to the nearest multiple of ``step``, rounding halves up."""
    return math.floor(value / step + 0.5) * step


def number_text(value: float, decimals: int) -> str:
    """Format a number with a fixed count of decimals, or as an integer when ``decimals`` is 0."""
    if decimals == 0:
        return str(int(round(value)))
    return f"{value:.{decimals}f}"
