"""Dataset settings: one TOML file per dataset, read into frozen dataclasses.

The file declares the time zone, the measures and their units, the capacity
rules and the staffing parameters. Every value that nobody measured is listed
under ``[assumptions]`` with its reason, so that the report can show it.
The optional ``[translations.<language>]`` tables give the report's texts of
this file (title, measure labels and units, extra unit names, assumption
reasons) in another language, keyed by the English text.
"""

from __future__ import annotations

import codecs
import datetime
import difflib
import logging
import re
import tomllib
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from planner.inputs.errors import InputError, Problem
from planner.messages import Message, translatable

logger = logging.getLogger(__name__)

MeasureKind = Literal["volume", "rate"]
MEASURE_KINDS: tuple[str, ...] = ("volume", "rate")
ROLES: tuple[str, ...] = ("supervision_engineer", "customer_care_agent")
QUEUE_MODELS: tuple[str, ...] = ("erlang_c", "erlang_a")
SEPARATORS: tuple[str, ...] = ("auto", ",", ";", "\t", "|")
DECIMAL_MARKS: tuple[str, ...] = ("auto", ".", ",")
DATE_FORMATS: tuple[str, ...] = ("auto", "iso", "day_first", "month_first")
BAD_ROW_POLICIES: tuple[str, ...] = ("reject_file", "repair")
NONEXISTENT_TIME_POLICIES: tuple[str, ...] = ("reject", "shift_forward")


@dataclass(frozen=True)
class Measure:
    """One traffic measure: its unit and how it is brought to hourly values.

    A volume (MB, calls, cars) is summed over the hour; a rate (Erlangs,
    Mbit/s) is averaged over the hour.
    """

    name: str
    unit: str
    kind: MeasureKind
    label: str = ""


@dataclass(frozen=True)
class ExtraUnit:
    """A unit of capacity that can be added to a cell for an event."""

    name: str
    capacity: dict[str, float]


@dataclass(frozen=True)
class CapacitySettings:
    """Thresholds that turn a utilisation forecast into an action."""

    default_utilisation_threshold: float = 0.8
    watch_margin: float = 0.1
    extra_units: tuple[ExtraUnit, ...] = ()
    grade_of_service: float = 0.01


@dataclass(frozen=True)
class Shift:
    """A named shift that starts at a local wall-clock time."""

    name: str
    start: time
    duration_hours: float


@dataclass(frozen=True)
class RoleSettings:
    """How one role's workload follows the traffic forecast.

    Expected arrivals per hour are ``base_arrivals_per_hour`` scaled by the
    ratio of the forecast network traffic of ``driver_measure`` to its mean
    over the history, plus ``arrivals_per_overloaded_cell_hour`` for every
    cell whose p90 utilisation passes its threshold in that hour.

    ``model`` is the queue model, ``"erlang_c"`` (no caller abandons) or
    ``"erlang_a"`` (callers abandon after an exponential patience of mean
    ``patience_seconds``). ``calibration_log`` names a CSV of real arrivals,
    relative to the dataset folder, from which the base arrival rate, the
    handle time and the patience are estimated in place of the set values.

    ``service_level_probability`` is the probability that an interval meets
    the service level target: each interval is staffed for the arrival count
    it stays at or below with that probability, for counts whose variance is
    ``arrival_dispersion`` times their mean. ``service_level_probability``
    ``None`` staffs for the expected arrivals, and ``arrival_dispersion``
    ``None`` means Poisson arrivals (dispersion 1) unless the calibration log
    measures the dispersion.
    """

    name: str
    driver_measure: str
    base_arrivals_per_hour: float
    arrivals_per_overloaded_cell_hour: float
    handle_time_seconds: float
    service_level_target: float
    answer_time_seconds: float
    max_occupancy: float = 0.85
    model: str = "erlang_c"
    patience_seconds: float | None = None
    calibration_log: str = ""
    service_level_probability: float | None = 0.8
    arrival_dispersion: float | None = None


@dataclass(frozen=True)
class StaffingSettings:
    """Parameters of the staffing plan shared by every role."""

    interval_minutes: int = 30
    shrinkage: float = 0.3
    shifts: tuple[Shift, ...] = ()
    roles: tuple[RoleSettings, ...] = ()


@dataclass(frozen=True)
class InputSettings:
    """How the input files are read: their dialect and what to do with bad rows.

    Every field defaults to detection or to the strict choice. ``"auto"``
    detects the separator, decimal mark and encoding from the whole file and
    the date format from the whole column (see ``planner.inputs.dialect`` and
    ``planner.inputs.dates``). ``on_bad_rows`` applies to the traffic table:
    ``"reject_file"`` raises ``InputError`` listing every bad row, and
    ``"repair"`` keeps the file, repairs what it can and counts every repair
    and rejection in ``TableQuality``. ``max_interpolated_gap_hours`` is the
    longest run of missing hours that ``"repair"`` fills by linear
    interpolation. ``nonexistent_local_time`` sets what a local time in the
    skipped spring hour becomes: an error (``"reject"``) or the same instant
    one gap later (``"shift_forward"``, 02:10 becomes 03:10 in Europe/Paris).
    ``traffic_file`` and ``events_file`` name the files in the dataset folder;
    empty means the defaults ``traffic.parquet`` or ``traffic.csv``, and
    ``events.csv`` and/or ``events.ics``.
    """

    separator: str = "auto"
    decimal: str = "auto"
    encoding: str = "auto"
    date_format: str = "auto"
    on_bad_rows: str = "reject_file"
    max_interpolated_gap_hours: int = 3
    nonexistent_local_time: str = "reject"
    traffic_file: str = ""
    events_file: str = ""


DEFAULT_FOOTPRINT_RADIUS_M: dict[str, float] = {
    "match": 800.0, "concert": 800.0, "festival": 1000.0, "demonstration": 300.0, "marathon": 300.0,
    "holiday": 0.0, "other": 500.0,
}
"""Assumed reach of a crowd around its venue or route, per event kind; nobody measured these."""


@dataclass(frozen=True)
class FootprintSettings:
    """How an event's uplift spreads over the cells near its venue or route.

    A cell at distance ``d`` from the venue receives ``max(0, 1 - (d / r)^2)``
    of the uplift, with ``r`` the radius of the event's kind: the full uplift
    at the venue, none at or beyond the radius. The kernel applies where the
    venue has no history to learn per-cell effects from, and to routes.
    """

    radius_m: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_FOOTPRINT_RADIUS_M))
    default_radius_m: float = 500.0

    def radius_for(self, kind: str) -> float:
        """Return the footprint radius in metres of an event kind."""
        return float(self.radius_m.get(kind, self.default_radius_m))


@dataclass(frozen=True)
class RouteSettings:
    """Assumptions that turn a moving crowd's size into a length along its route.

    The march is ``attendance / (density_people_per_m2 * street_width_m)``
    metres long from head to tail. Waypoints without times are reached at
    ``speed_m_per_s`` from the event's start.
    """

    density_people_per_m2: float = 1.5
    street_width_m: float = 20.0
    speed_m_per_s: float = 0.6


@dataclass(frozen=True)
class ForecastSettings:
    """The forecast's correction for a recent change of a cell's level.

    The last ``level_window_hours`` hours before the forecast origin are
    compared with what the baseline, from the weeks before, expected of
    them. Their ratio, taken at each hour of the day, multiplies the
    baseline, in full at the origin and fading as
    ``exp(-lead / level_decay_days)`` over the horizon.
    ``follow_clock_drift`` lets the baseline follow a steady drift of the
    data's clock (see ``planner.forecasting.clock_drift``).
    """

    level_window_hours: int = 72
    level_decay_days: float = 3.0
    follow_clock_drift: bool = True


@dataclass(frozen=True)
class Settings:
    """Everything a dataset's ``settings.toml`` declares."""

    name: str
    title: str
    timezone: ZoneInfo
    country: str
    subdivision: str
    step_minutes: int
    measures: tuple[Measure, ...]
    capacity: CapacitySettings
    staffing: StaffingSettings
    assumptions: dict[str, str] = field(default_factory=dict)
    path: Path | None = None
    inputs: InputSettings = field(default_factory=InputSettings)
    footprint: FootprintSettings = field(default_factory=FootprintSettings)
    routes: RouteSettings = field(default_factory=RouteSettings)
    translations: dict[str, dict[str, str]] = field(default_factory=dict)
    forecast: ForecastSettings = field(default_factory=ForecastSettings)

    def measure(self, name: str) -> Measure:
        """Return the measure called ``name``, or raise ``KeyError`` naming the known ones."""
        for measure in self.measures:
            if measure.name == name:
                return measure
        known = ", ".join(m.name for m in self.measures)
        raise KeyError(f"measure {name!r} is not declared in the settings; declared measures: {known}")

    @property
    def measure_names(self) -> tuple[str, ...]:
        return tuple(m.name for m in self.measures)


DEFAULT_SHIFTS: tuple[Shift, ...] = (
    Shift("night", time(22, 0), 8.0),
    Shift("morning", time(6, 0), 8.0),
    Shift("afternoon", time(14, 0), 8.0),
)


def load_settings(path: str | Path) -> Settings:
    """Read and check a dataset's ``settings.toml``.

    Raises
    ------
    InputError
        Listing every missing or invalid key with its value and the fix.
    """
    path = Path(path)
    try:
        with path.open("rb") as handle:
            raw = tomllib.load(handle)
    except FileNotFoundError:
        raise InputError([Problem(str(path), None, None, None,
                                  translatable("settings file not found; every dataset folder needs a "
                                               "settings.toml"))]) from None
    except tomllib.TOMLDecodeError as error:
        raise InputError([_syntax_problem(path, str(error))]) from None

    reader = _Reader(path, raw)
    settings = reader.settings()
    reader.raise_if_problems()
    return settings


class _Reader:
    """Collect every problem of a settings file before raising."""

    def __init__(self, path: Path, raw: dict[str, Any]) -> None:
        self.path = path
        self.raw = raw
        self.problems: list[Problem] = []
        self.read_keys: set[str] = set()

    def raise_if_problems(self) -> None:
        if self.problems:
            raise InputError(self.problems)

    def fail(self, key: str, value: Any, message: str) -> None:
        self.problems.append(Problem(str(self.path), None, key, value, message))

    def get(self, table: dict[str, Any], dotted: str, key: str, kind: type | tuple[type, ...],
            default: Any = ..., check=None, expected: str = "") -> Any:
        full_key = f"{dotted}.{key}" if dotted else key
        self.read_keys.add(full_key)
        if key not in table:
            if default is ...:
                self.fail(full_key, None, translatable("missing key; add {key} = <{expected}>", key=full_key,
                                                       expected=expected or _type_name(kind)))
                return None
            return default
        value = table[key]
        if isinstance(value, bool) and kind is not bool:
            self.fail(full_key, value, translatable("invalid value; expected {expected}",
                                                    expected=expected or _type_name(kind)))
            return None
        if not isinstance(value, kind):
            expected = expected or _type_name(kind)
            if isinstance(value, str) and _NUMBER.match(value.strip()) and _numeric(kind):
                self.fail(full_key, value, translatable("invalid value: text where {expected} is expected; write "
                                                        "the number without quotes, such as {key} = {number}",
                                                        expected=expected, key=key, number=value.strip()))
            else:
                self.fail(full_key, value, translatable("invalid value: {found} where {expected} is expected",
                                                        found=_value_type(value), expected=expected))
            return None
        if check is not None and not check(value):
            self.fail(full_key, value, translatable("invalid value; expected {expected}", expected=expected))
            return None
        return value

    def settings(self) -> Settings:
        dataset = self.raw.get("dataset", {})
        name = self.get(dataset, "dataset", "name", str, expected=translatable("a short dataset name"))
        title = self.get(dataset, "dataset", "title", str, default=name or "")
        timezone = self._timezone(dataset)
        country = self.get(dataset, "dataset", "country", str, default="FR", expected=translatable("an ISO 3166 country code or \"\""))
        subdivision = self.get(dataset, "dataset", "subdivision", str, default="")

        traffic = self.raw.get("traffic", {})
        step_minutes = self.get(traffic, "traffic", "step_minutes", int, default=60,
                                check=lambda v: v > 0 and 60 % v == 0,
                                expected=translatable("a whole number of minutes that divides 60 (5, 10, 15, 30, 60)"))

        measures = self._measures()
        measure_names = {m.name for m in measures}
        capacity = self._capacity(measure_names)
        staffing = self._staffing(measure_names)

        assumptions = self.raw.get("assumptions", {})
        if not isinstance(assumptions, dict) or not all(isinstance(v, str) for v in assumptions.values()):
            self.fail("assumptions", assumptions,
                      translatable("expected a table of \"dotted.key\" = \"why this value is assumed\""))
            assumptions = {}

        translations = self._translations()
        inputs = self._inputs()
        footprint = self._footprint()
        routes = self._routes()
        forecast = self._forecast()
        self._check_unknown_keys(self.raw, "")
        return Settings(
            name=name or "", title=title or "", timezone=timezone or ZoneInfo("UTC"), country=country or "",
            subdivision=subdivision or "", step_minutes=step_minutes or 60, measures=measures,
            capacity=capacity, staffing=staffing, assumptions=dict(assumptions), path=self.path, inputs=inputs,
            footprint=footprint, routes=routes, translations=translations, forecast=forecast,
        )

    def _check_unknown_keys(self, table: dict[str, Any], prefix: str) -> None:
        """Report every key that no reader asked for, such as a misspelt one, with the nearest known key.

        A key is known when a reader read it or a key below it; the free-form
        [assumptions] and [translations] tables and the [inputs] table, which
        checks its own keys, are skipped.
        """
        for key, value in table.items():
            dotted = f"{prefix}.{key}" if prefix else key
            if dotted in ("assumptions", "inputs", "translations") or dotted in self.read_keys:
                continue
            if not any(read.startswith((dotted + ".", dotted + "[")) for read in self.read_keys):
                siblings = sorted({read[len(prefix) + 1 if prefix else 0:].split(".")[0].split("[")[0]
                                   for read in self.read_keys if not prefix or read.startswith(prefix + ".")})
                close = difflib.get_close_matches(key, siblings, n=1)
                if close:
                    hint = translatable("did you mean {key!r}?", key=close[0])
                else:
                    hint = translatable("known keys here: {keys}", keys=", ".join(siblings))
                self.fail(dotted, None, translatable("unknown key; {hint} Remove it or correct its name", hint=hint))
            elif isinstance(value, dict):
                self._check_unknown_keys(value, dotted)
            elif isinstance(value, list):
                for index, item in enumerate(value):
                    if isinstance(item, dict):
                        self._check_unknown_keys(item, f"{dotted}[{index}]")

    def _translations(self) -> dict[str, dict[str, str]]:
        """Read ``[translations.<language>]``: English text of this file = its translation."""
        table = self.raw.get("translations", {})
        translations = {}
        for language, texts in (table.items() if isinstance(table, dict) else []):
            if not isinstance(texts, dict) or not all(isinstance(value, str) for value in texts.values()):
                self.fail(f"translations.{language}", texts,
                          translatable("expected a table of \"English text\" = \"translated text\""))
                continue
            translations[language] = dict(texts)
        if not isinstance(table, dict):
            self.fail("translations", table, translatable("expected tables such as [translations.fr]"))
        return translations

    def _footprint(self) -> FootprintSettings:
        table = self.raw.get("footprint", {})
        non_negative = lambda v: v >= 0  # noqa: E731
        radius = self.get(table, "footprint", "radius_m", dict, default={},
                          expected=translatable("a table of event kind = radius in metres, such as {{match = 800}}"))
        radii = dict(DEFAULT_FOOTPRINT_RADIUS_M)
        for kind, value in (radius or {}).items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                self.fail(f"footprint.radius_m.{kind}", value,
                          translatable("invalid radius; expected metres >= 0, such as 800"))
            else:
                radii[kind] = float(value)
        default = self.get(table, "footprint", "default_radius_m", (int, float), default=500.0, check=non_negative,
                           expected=translatable("metres >= 0, such as 500"))
        return FootprintSettings(radius_m=radii, default_radius_m=float(500.0 if default is None else default))

    def _routes(self) -> RouteSettings:
        table = self.raw.get("routes", {})
        positive = lambda v: v > 0  # noqa: E731
        default = RouteSettings()
        values = {}
        for key, expected in (("density_people_per_m2", translatable("people per square metre > 0, such as 1.5")),
                              ("street_width_m", translatable("metres > 0, such as 20")),
                              ("speed_m_per_s", translatable("metres per second > 0, such as 0.6"))):
            value = self.get(table, "routes", key, (int, float), default=getattr(default, key), check=positive,
                             expected=expected)
            values[key] = float(getattr(default, key) if value is None else value)
        return RouteSettings(**values)

    def _forecast(self) -> ForecastSettings:
        table = self.raw.get("forecast", {})
        default = ForecastSettings()
        non_negative = lambda v: v >= 0  # noqa: E731
        hours = self.get(table, "forecast", "level_window_hours", int, default=default.level_window_hours,
                         check=non_negative,
                         expected=translatable("whole hours >= 0, such as 72 (0 turns the correction off)"))
        decay = self.get(table, "forecast", "level_decay_days", (int, float), default=default.level_decay_days,
                         check=non_negative,
                         expected=translatable("days >= 0, such as 3 (0 turns the correction off)"))
        follow = self.get(table, "forecast", "follow_clock_drift", bool, default=default.follow_clock_drift,
                          expected=translatable("true or false (false keeps the baseline on the recorded clock)"))
        return ForecastSettings(level_window_hours=default.level_window_hours if hours is None else hours,
                                level_decay_days=float(default.level_decay_days if decay is None else decay),
                                follow_clock_drift=default.follow_clock_drift if follow is None else follow)

    def _inputs(self) -> InputSettings:
        table = self.raw.get("inputs", {})
        default = InputSettings()
        known = set(InputSettings.__dataclass_fields__)
        for key in sorted(set(table) - known):
            self.fail(f"inputs.{key}", table[key], translatable("unknown key; the [inputs] keys are {keys}",
                                                                keys=", ".join(sorted(known))))

        def choice(key: str, allowed: tuple[str, ...]) -> str:
            listed = ", ".join(repr(value) for value in allowed)
            value = self.get(table, "inputs", key, str, default=getattr(default, key),
                             check=lambda v: v in allowed, expected=translatable("one of {values}", values=listed))
            return getattr(default, key) if value is None else value

        encoding = self.get(table, "inputs", "encoding", str, default="auto", check=_known_encoding,
                            expected=translatable("\"auto\" or a Python codec name such as \"utf-8\" or \"cp1252\""))
        gap_hours = self.get(table, "inputs", "max_interpolated_gap_hours", int, default=3,
                             check=lambda v: v >= 0, expected=translatable("a whole number of hours >= 0, such as 3"))
        file_name = lambda v: v == "" or (Path(v).name == v and v not in (".", ".."))  # noqa: E731
        traffic_file = self.get(table, "inputs", "traffic_file", str, default="", check=file_name,
                                expected=translatable("a file name in the dataset folder, such as \"traffic.parquet\""))
        events_file = self.get(table, "inputs", "events_file", str, default="", check=file_name,
                               expected=translatable("a file name in the dataset folder, such as \"events.ics\""))
        return InputSettings(
            separator=choice("separator", SEPARATORS), decimal=choice("decimal", DECIMAL_MARKS),
            encoding=encoding or "auto", date_format=choice("date_format", DATE_FORMATS),
            on_bad_rows=choice("on_bad_rows", BAD_ROW_POLICIES),
            max_interpolated_gap_hours=3 if gap_hours is None else gap_hours,
            nonexistent_local_time=choice("nonexistent_local_time", NONEXISTENT_TIME_POLICIES),
            traffic_file=traffic_file or "", events_file=events_file or "",
        )

    def _timezone(self, dataset: dict[str, Any]) -> ZoneInfo | None:
        text = self.get(dataset, "dataset", "timezone", str, expected=translatable("an IANA time zone such as \"Europe/Paris\""))
        if text is None:
            return None
        try:
            return ZoneInfo(text)
        except (ZoneInfoNotFoundError, ValueError):
            self.fail("dataset.timezone", text,
                      translatable("unknown time zone; use an IANA name such as \"Europe/Paris\""))
            return None

    def _measures(self) -> tuple[Measure, ...]:
        table = self.raw.get("measures", {})
        if not table:
            self.fail("measures", None,
                      translatable("no measure declared; add a [measures.<name>] table with unit and kind"))
        measures = []
        for name, spec in table.items():
            dotted = f"measures.{name}"
            if not isinstance(spec, dict):
                self.fail(dotted, spec, translatable("expected a table with unit and kind"))
                continue
            unit = self.get(spec, dotted, "unit", str, expected=translatable("the measure's unit, such as \"MB\" or \"cars\""))
            kind = self.get(spec, dotted, "kind", str, check=lambda v: v in MEASURE_KINDS,
                            expected=translatable("\"volume\" (summed per hour) or \"rate\" (averaged per hour)"))
            label = self.get(spec, dotted, "label", str, default=name)
            measures.append(Measure(name=name, unit=unit or "", kind=kind or "volume", label=label or name))
        return tuple(measures)

    def _capacity(self, measure_names: set[str]) -> CapacitySettings:
        table = self.raw.get("capacity", {})
        fraction = lambda v: 0 < v <= 1  # noqa: E731
        threshold = self.get(table, "capacity", "default_utilisation_threshold", (int, float), default=0.8,
                             check=fraction, expected=translatable("a fraction in (0, 1], such as 0.8"))
        margin = self.get(table, "capacity", "watch_margin", (int, float), default=0.1,
                          check=lambda v: 0 <= v < 1, expected=translatable("a fraction in [0, 1), such as 0.1"))
        grade_of_service = self.get(table, "capacity", "grade_of_service", (int, float), default=0.01,
                                    check=lambda v: 0 < v < 1,
                                    expected=translatable("a blocking probability in (0, 1), such as 0.01"))
        units = []
        for index, spec in enumerate(table.get("extra_units", [])):
            dotted = f"capacity.extra_units[{index}]"
            unit_name = self.get(spec, dotted, "name", str, expected=translatable("a name such as \"temporary carrier\""))
            unit_capacity = self.get(spec, dotted, "capacity", dict, expected=translatable("a table of measure = capacity"))
            for measure, value in (unit_capacity or {}).items():
                if measure not in measure_names:
                    self.fail(f"{dotted}.capacity.{measure}", value,
                              translatable("unknown measure; declare it under [measures]"))
                elif isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                    self.fail(f"{dotted}.capacity.{measure}", value, translatable("expected a positive number"))
            units.append(ExtraUnit(name=unit_name or "", capacity={k: float(v) for k, v in (unit_capacity or {}).items()
                                                                   if isinstance(v, (int, float))}))
        return CapacitySettings(default_utilisation_threshold=float(threshold or 0.8),
                                watch_margin=float(margin if margin is not None else 0.1), extra_units=tuple(units),
                                grade_of_service=float(grade_of_service or 0.01))

    def _staffing(self, measure_names: set[str]) -> StaffingSettings:
        table = self.raw.get("staffing", {})
        interval = self.get(table, "staffing", "interval_minutes", int, default=30,
                            check=lambda v: v > 0 and (24 * 60) % v == 0,
                            expected=translatable("a whole number of minutes that divides a day, such as 30"))
        shrinkage = self.get(table, "staffing", "shrinkage", (int, float), default=0.3,
                             check=lambda v: 0 <= v < 1, expected=translatable("a fraction in [0, 1), such as 0.3"))
        shifts = self._shifts(table.get("shifts"))
        roles = []
        for name, spec in table.get("roles", {}).items():
            dotted = f"staffing.roles.{name}"
            if name not in ROLES:
                close = difflib.get_close_matches(name, ROLES, n=1)
                hint = translatable(" Did you mean {role!r}?", role=close[0]) if close else ""
                self.fail(dotted, name, translatable("unknown role; expected one of {roles}.{hint}",
                                                     roles=", ".join(ROLES), hint=hint))
                # Reported here, so the check of unknown keys skips it.
                self.read_keys.add(dotted)
                continue
            number = (int, float)
            positive = lambda v: v > 0  # noqa: E731
            non_negative = lambda v: v >= 0  # noqa: E731
            roles.append(RoleSettings(
                name=name,
                driver_measure=self.get(spec, dotted, "driver_measure", str, check=lambda v: v in measure_names,
                                        expected=translatable("one of the declared measures: {measures}",
                                                              measures=", ".join(sorted(measure_names)))) or "",
                base_arrivals_per_hour=float(self.get(spec, dotted, "base_arrivals_per_hour", number,
                                                      check=non_negative, expected=translatable("arrivals per hour >= 0")) or 0),
                arrivals_per_overloaded_cell_hour=float(self.get(spec, dotted, "arrivals_per_overloaded_cell_hour",
                                                                 number, default=0.0, check=non_negative,
                                                                 expected=translatable("arrivals >= 0")) or 0),
                handle_time_seconds=float(self.get(spec, dotted, "handle_time_seconds", number, check=positive,
                                                   expected=translatable("seconds > 0")) or 1),
                service_level_target=float(self.get(spec, dotted, "service_level_target", number,
                                                    check=lambda v: 0 < v < 1,
                                                    expected=translatable("a fraction in (0, 1), such as 0.8")) or 0.8),
                answer_time_seconds=float(self.get(spec, dotted, "answer_time_seconds", number, check=non_negative,
                                                   expected=translatable("seconds >= 0")) or 0),
                max_occupancy=float(self.get(spec, dotted, "max_occupancy", number, default=0.85,
                                             check=lambda v: 0 < v <= 1,
                                             expected=translatable("a fraction in (0, 1], such as 0.85")) or 0.85),
                service_level_probability=float(self.get(
                    spec, dotted, "service_level_probability", number, default=0.8, check=lambda v: 0 < v < 1,
                    expected=translatable("a probability in (0, 1) that an interval meets its target, such as 0.8")) or 0.8),
                arrival_dispersion=_optional_float(self.get(
                    spec, dotted, "arrival_dispersion", number, default=None, check=lambda v: v >= 1,
                    expected=translatable("the variance over the mean of an interval's arrivals, >= 1 (1 for Poisson)"))),
                **self._queue_model(spec, dotted),
            ))
        return StaffingSettings(interval_minutes=interval or 30,
                                shrinkage=float(shrinkage if shrinkage is not None else 0.3),
                                shifts=shifts, roles=tuple(roles))

    def _queue_model(self, spec: dict[str, Any], dotted: str) -> dict[str, Any]:
        """Read a role's queue model, patience and calibration log."""
        model = self.get(spec, dotted, "model", str, default="erlang_c", check=lambda v: v in QUEUE_MODELS,
                         expected=translatable("one of {values}", values=", ".join(QUEUE_MODELS)))
        patience = self.get(spec, dotted, "patience_seconds", (int, float), default=None, check=lambda v: v > 0,
                            expected=translatable("the mean patience of a waiting caller, seconds > 0"))
        log = self.get(spec, dotted, "calibration_log", str, default="",
                       expected=translatable("a CSV file name relative to the dataset folder"))
        if model == "erlang_a" and patience is None and not log:
            self.fail(f"{dotted}.patience_seconds", None,
                      translatable("missing key; model \"erlang_a\" needs {key}.patience_seconds = <seconds> or a "
                                   "calibration_log with abandonments", key=dotted))
        return {"model": model or "erlang_c", "patience_seconds": float(patience) if patience else None,
                "calibration_log": log or ""}

    def _shifts(self, specs: Any) -> tuple[Shift, ...]:
        if specs is None:
            return DEFAULT_SHIFTS
        shifts = []
        for index, spec in enumerate(specs):
            dotted = f"staffing.shifts[{index}]"
            name = self.get(spec, dotted, "name", str, expected=translatable("a shift name such as \"night\""))
            start = self.get(spec, dotted, "start", str, expected=translatable("a local time \"HH:MM\""))
            hours = self.get(spec, dotted, "duration_hours", (int, float), check=lambda v: 0 < v <= 24,
                             expected=translatable("hours in (0, 24]"))
            try:
                start_time = time.fromisoformat(start) if start else time(0, 0)
            except ValueError:
                self.fail(f"{dotted}.start", start, translatable("invalid time; expected \"HH:MM\" such as \"06:00\""))
                start_time = time(0, 0)
            shifts.append(Shift(name=name or "", start=start_time, duration_hours=float(hours or 8)))
        return tuple(shifts)


# The TOML words for the Python types that tomllib returns, for the messages.
_TOML_TYPES: dict[type, Message] = {
    bool: translatable("true or false"),
    str: translatable("text"),
    int: translatable("a whole number"),
    float: translatable("a number"),
    list: translatable("an array"),
    dict: translatable("a table"),
    datetime.datetime: translatable("a date and time"),
    datetime.date: translatable("a date"),
    datetime.time: translatable("a time of day"),
}
_NUMBER = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$")
_TOML_POSITION = re.compile(r"^(?P<detail>.*) \(at line (?P<line>\d+), column (?P<column>\d+)\)$", re.S)
_DECIMAL_COMMA = re.compile(r"=\s*[-+]?\d+,\d+\s*(#.*)?$")


def _type_name(kind: type | tuple[type, ...]) -> Message:
    """Name the TOML types of ``kind`` for a message, such as ``a number`` for ``(int, float)``."""
    kinds = list(kind) if isinstance(kind, tuple) else [kind]
    if float in kinds and int in kinds:
        kinds.remove(int)
    names = [_TOML_TYPES.get(item, item.__name__) for item in kinds]
    return names[0] if len(names) == 1 else translatable("{first} or {second}", first=names[0],
                                                             second=_type_name(tuple(kinds[1:])))


def _value_type(value: Any) -> Message | str:
    """Name the TOML type of a value read by tomllib."""
    for kind, name in _TOML_TYPES.items():
        if isinstance(value, kind):
            return name
    return type(value).__name__


def _numeric(kind: type | tuple[type, ...]) -> bool:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return int in kinds or float in kinds


def _syntax_problem(path: Path, error: str) -> Problem:
    """Build the problem of a file that is not valid TOML, with its line, column and a hint for the usual mistakes.

    Python's ``tomllib`` (3.11 to 3.13) gives the position only inside its
    English message, as ``(at line 39, column 14)``; the message is kept as
    the parser's detail.
    """
    position = _TOML_POSITION.match(error)
    if position is None:
        return Problem(str(path), None, None, None, translatable(
            "invalid TOML syntax ({detail}); check the quotes, brackets and = signs", detail=error))
    line = int(position["line"])
    try:
        text = path.read_text(encoding="utf-8").splitlines()[line - 1].strip()
    except (OSError, UnicodeDecodeError, IndexError):
        text = None
    if text is not None and _DECIMAL_COMMA.search(text):
        hint = translatable("numbers use a decimal point in TOML: write 0.3, not 0,3")
    else:
        hint = translatable("check the quotes, brackets and = signs of this line; text values need quotes")
    return Problem(str(path), line, None, text, translatable(
        "invalid TOML syntax at column {column:d}; {hint} (parser detail: {detail})", column=int(position["column"]),
        hint=hint, detail=position["detail"]))


def _optional_float(value: float | None) -> float | None:
    return None if value is None else float(value)


def _known_encoding(name: str) -> bool:
    if name == "auto":
        return True
    try:
        codecs.lookup(name)
    except LookupError:
        return False
    return True
