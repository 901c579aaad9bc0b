"""Translations and locale-aware formatting of the report.

The report is written in French by default and in English on request. Message
ids are English strings in the code and the Jinja2 template. The French texts
are in ``locales/fr/LC_MESSAGES/planner.po``, which :mod:`planner.catalog`
reads and compiles in memory at run time. Numbers, dates and percentages go
through Babel with its own CLDR data, so the output does not depend on the
operating system's locales.
"""

from __future__ import annotations

import math
import numbers
import re
import string
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime

import numpy as np
import pandas as pd
from babel import Locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers

from planner.catalog import DEFAULT_LANGUAGE, SUPPORTED_LANGUAGES, check_language, translations
from planner.inputs.settings import Measure, Settings
from planner.messages import Message, Region

MISSING = "–"
# Magnitude from which numbers are written in scientific notation, such as ``1,5E20``.
_SCIENTIFIC_FROM = 1e15
_SOURCES_PATTERN = re.compile(r"^(?P<count>\d+) events: (?P<first>.*) \.\.\. (?P<last>.*)$")
# A number written in English style inside free text: a decimal point, or five digits or more without grouping.
# Digits that touch a word, a dash, a colon or a slash belong to an id, a date or a time and are left alone.
_TEXT_NUMBER_PATTERN = re.compile(r"(?<![\w.,:/-])(?P<whole>\d+)(?:\.(?P<fraction>\d+))?(?![\w:/-]|[.,]\d)")
_TEXT_DATE_PATTERN = re.compile(r"(?<![\w.:/-])(?P<date>\d{4}-\d{2}-\d{2})(?![\w:/-]|[.,]\d)")
# Fields of a note that name a measure or an event kind, shown by their label rather than their id.
_LABELLED_FIELDS = ("measure", "kind")


def N_(message: str) -> str:
    """Mark a message id for extraction without translating it."""
    return message


# The separator between the clauses of a list joined into one text, in English. clause_separator translates it.
CLAUSE_SEPARATOR = N_("; ")

# Machine values of the plan's tables, as they are shown in the report.
ROLE_NAMES: dict[str, str] = {
    "supervision_engineer": N_("supervision engineer"),
    "customer_care_agent": N_("customer care agent"),
}
ACTION_NAMES: dict[str, str] = {
    "ok": N_("ok"),
    "watch": N_("watch"),
    "add": N_("reinforce"),
}
SHIFT_NAMES: dict[str, str] = {
    "night": N_("night"),
    "morning": N_("morning"),
    "afternoon": N_("afternoon"),
    "evening": N_("evening"),
    "day": N_("day"),
}
EVENT_KIND_NAMES: dict[str, str] = {
    "match": N_("match"),
    "concert": N_("concert"),
    "demonstration": N_("demonstration"),
    "marathon": N_("marathon"),
    "festival": N_("festival"),
    "holiday": N_("public holiday"),
    "other": N_("other"),
}
POOLING_NAMES: dict[str, str] = {
    "venue": N_("same venue"),
    "kind": N_("same kind of event"),
    "all": N_("all past events"),
    "none": N_("no past event"),
}
TABLE_NAMES: dict[str, str] = {
    "traffic": N_("traffic"),
    "events": N_("events"),
    "venues": N_("venues"),
    "cells": N_("cells"),
    "routes": N_("routes"),
}
QUEUE_MODEL_NAMES: dict[str, str] = {
    "erlang_c": N_("Erlang C (callers wait)"),
    "erlang_a": N_("Erlang A (callers abandon)"),
}
VALUE_NAMES: dict[str, dict[str, str]] = {
    "queue_model": QUEUE_MODEL_NAMES,
    "role": ROLE_NAMES,
    "action": ACTION_NAMES,
    "shift": SHIFT_NAMES,
    "event_kind": EVENT_KIND_NAMES,
    "pooling": POOLING_NAMES,
    "table": TABLE_NAMES,
}

# Messages of the command-line interface, listed here so that message extraction finds them.
CLI_MESSAGES: tuple[str, ...] = (
    N_("Report written to {path}"),
    N_("Backtest table written to {path}"),
    N_("Error: {message}"),
    N_("Review written to {path}"),
    N_("Event history updated in {path}"),
    N_("Warning: report.pdf could not be rendered; the HTML report and the tables are written. "
       "Run with -v for the cause."),
)


def cli_messages(lang: str = DEFAULT_LANGUAGE) -> Callable[[str], str]:
    """Return a ``gettext`` function for the command line's own messages.

    The messages use ``str.format`` fields, so translate first and then fill
    them: ``_("Report written to {path}").format(path=folder)``.
    """
    return translations(lang).gettext


def render_message(text: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """Translate a note or an error body into ``lang``, with its numbers and dates formatted by Babel.

    ``text`` is a :class:`~planner.messages.Message` built by any layer. Its
    template is looked up in the catalog, in the plural form that its count
    takes in ``lang``. Plain text, such as a value read from a file, is
    returned unchanged.
    """
    if not isinstance(text, Message):
        return str(text)
    catalog = translations(lang)
    if text.plural_template is None:
        template = catalog.gettext(text.template)
    else:
        template = catalog.ngettext(text.template, text.plural_template, text.count)
    return _MessageFormatter(lang).vformat(template, (), _params_as_written(text, template))


def _params_as_written(text: Message, template: str) -> dict[str, object]:
    """Return the parameters of ``text``, as strings for the fields that the translation shows without ``!r``.

    The English template quotes with ``!r`` a value copied from an input file
    or the command line. A translation may show that field in its own quotation
    marks instead, such as ``« {value} »`` in French. Passed as ``str(value)``,
    a number reads as written in the file (``4360700000``) and is not grouped
    by Babel (``4 360 700 000``).
    """
    english = _quoted_fields(text.template) | _quoted_fields(text.plural_template or "")
    unquoted = english - _quoted_fields(template)
    return {name: str(value) if name in unquoted and not isinstance(value, Message) else value
            for name, value in text.params.items()}


def message_renderer(lang: str = DEFAULT_LANGUAGE) -> Callable[[str], str]:
    """Return :func:`render_message` bound to ``lang``, such as for ``InputError.render``."""
    check_language(lang)
    return lambda text: render_message(text, lang)


def settings_text(settings: Settings, text: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """Return a text of a dataset's settings, such as a measure label, in ``lang``.

    The settings' ``[translations.<lang>]`` table maps the English text to
    its translation; a text it does not list is shown as written.
    """
    check_language(lang)
    return settings.translations.get(lang, {}).get(text, text)


def localized_measure(settings: Settings, name: str, lang: str = DEFAULT_LANGUAGE) -> Measure:
    """Return the measure called ``name`` with its label and unit in ``lang``."""
    measure = settings.measure(name)
    return replace(measure, label=settings_text(settings, measure.label, lang),
                   unit=settings_text(settings, measure.unit, lang))


def localize_text(text: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """Rewrite the numbers and ISO dates of a free text, such as an assumption of the settings, for ``lang``.

    The texts of a dataset's settings are written by hand, often with
    English numbers in their translations too. A number with a decimal
    point, or with five digits or more, is formatted by Babel with the
    decimals it was written with (``15252.8`` gives ``15 252,8`` in French),
    and an ISO date (``2013-11-04``) takes the medium date format. Shorter
    integers, such as years and counts, are kept as written.
    """
    check_language(lang)

    def number(match: re.Match) -> str:
        whole, fraction = match.group("whole"), match.group("fraction")
        if fraction is None and len(whole) < 5:
            return match.group(0)
        decimals = len(fraction) if fraction else 0
        return format_number(float(match.group(0)), lang, decimals=decimals)

    def iso_date(match: re.Match) -> str:
        try:
            return format_date(date.fromisoformat(match.group("date")), lang, format="medium")
        except ValueError:
            return match.group(0)

    return _TEXT_NUMBER_PATTERN.sub(number, _TEXT_DATE_PATTERN.sub(iso_date, str(text)))


def label_message(text: str, settings: Settings, lang: str = DEFAULT_LANGUAGE) -> str:
    """Return a note whose ``measure`` and ``kind`` fields show the measure's label and the event kind's name.

    The forecasting and decisions layers fill those fields with ids, such as
    ``calls_sms`` and ``holiday``. A field quoted with ``!r`` keeps the id,
    because it names a key or a column of an input file. Nested messages
    are relabelled too. Plain text is returned unchanged.
    """
    if not isinstance(text, Message):
        return text
    quoted = _quoted_fields(text.template) | _quoted_fields(text.plural_template or "")
    measures = {measure.name for measure in settings.measures}
    params = {}
    for name, value in text.params.items():
        if isinstance(value, Message):
            value = label_message(value, settings, lang)
        elif name in _LABELLED_FIELDS and name not in quoted and isinstance(value, str):
            if name == "measure" and value in measures:
                measure = localized_measure(settings, value, lang)
                value = measure.label or measure.name
            elif name == "kind":
                value = translate_value("event_kind", value, lang)
        params[name] = value
    return Message(text.template, params, plural_template=text.plural_template, count=text.count)


def _quoted_fields(template: str) -> set[str]:
    """Return the names of the fields that ``template`` shows with ``!r``."""
    return {field for _literal, field, _spec, conversion in string.Formatter().parse(template)
            if field and conversion == "r"}


def clause_separator(lang: str = DEFAULT_LANGUAGE) -> str:
    """Return the separator between the clauses of a list joined into one text, such as data-quality notes.

    English writes ``; ``. French puts a narrow no-break space before the
    semicolon, as before every ``;``, ``:``, ``!`` and ``?``.
    """
    return translations(lang).gettext(CLAUSE_SEPARATOR)


def translate_sources(text: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """Translate the ``learned_from`` column of the events table, such as ``72 events: a ... b``.

    The forecasting layer writes that column as text in the events table,
    which keeps plain strings, so its one English pattern is recognised here.
    A short list of event ids has no words and is returned unchanged.
    """
    match = _SOURCES_PATTERN.match(str(text))
    if match is None:
        return str(text)
    count = int(match.group("count"))
    template = translations(lang).ngettext("%(count)s event: %(first)s ... %(last)s",
                                           "%(count)s events: %(first)s ... %(last)s", count)
    return template % {"count": format_number(count, lang), "first": match.group("first"), "last": match.group("last")}


def translate_value(category: str, value: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """Translate a machine value of the plan, such as a role or an action, for display.

    ``category`` is one of ``role``, ``action``, ``shift``, ``event_kind``,
    ``pooling``, ``queue_model`` and ``table``. A value without a known label, such as a shift name chosen in
    a dataset's settings, is shown as it is, with underscores as spaces.
    """
    names = VALUE_NAMES[category]
    text = "" if value is None else str(value)
    if text in names:
        return translations(lang).gettext(names[text])
    return text.replace("_", " ")


def format_number(value: float | None, lang: str = DEFAULT_LANGUAGE, decimals: int | None = None) -> str:
    """Format a number with the locale's digit grouping and decimal sign.

    Without ``decimals`` at most three decimals are shown, trailing zeros
    dropped (``1234.5`` gives ``1 234,5`` in French); with ``decimals`` that
    many are always shown. A missing value gives an en dash.
    """
    if _is_missing(value):
        return MISSING
    if math.isfinite(value) and abs(value) >= _SCIENTIFIC_FROM:
        # Babel's decimal context overflows near 1e300, and 16 grouped digits are unreadable anyway.
        return babel_numbers.format_scientific(value, format="0.###E0", locale=check_language(lang))
    if decimals is None:
        return babel_numbers.format_decimal(value, locale=check_language(lang))
    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    return babel_numbers.format_decimal(value, format=pattern, locale=check_language(lang))


def format_percent(value: float | None, lang: str = DEFAULT_LANGUAGE, decimals: int = 0) -> str:
    """Format a fraction as a percentage in the locale's style (``0.85`` gives ``85 %`` in French)."""
    if _is_missing(value):
        return MISSING
    if math.isfinite(value) and abs(value) * 100 >= _SCIENTIFIC_FROM:
        return format_number(value * 100, lang) + _percent_sign(lang)
    locale = Locale.parse(check_language(lang))
    pattern = locale.percent_formats[None].pattern
    if decimals > 0:
        pattern = pattern.replace("0", "0." + "0" * decimals, 1)
    return babel_numbers.format_percent(value, format=pattern, locale=locale)


def _percent_sign(lang: str) -> str:
    """Return what follows the number in the locale's percentages, such as a narrow no-break space and ``%``."""
    return babel_numbers.format_percent(0, locale=check_language(lang)).removeprefix("0")


def format_date(value: date | datetime | pd.Timestamp | None, lang: str = DEFAULT_LANGUAGE,
                format: str = "full") -> str:
    """Format a calendar date, such as ``samedi 16 novembre 2013`` with the ``full`` format in French.

    A tz-aware timestamp gives the date it has in its own time zone.
    ``format`` is a Babel format name (``short``, ``medium``, ``long``,
    ``full``) or a CLDR date pattern.
    """
    if _is_missing(value):
        return MISSING
    if isinstance(value, datetime):
        value = value.date()
    text = babel_dates.format_date(value, format=format, locale=check_language(lang))
    return _french_first_of_month(text, value, lang)


def format_datetime(value: datetime | pd.Timestamp | None, lang: str = DEFAULT_LANGUAGE,
                    format: str = "EEE d MMM HH:mm") -> str:
    """Format a tz-aware time in its own time zone, such as ``lun. 12 août 19:00`` in French.

    ``format`` is a Babel format name or a CLDR pattern.

    Raises
    ------
    ValueError
        If ``value`` has no time zone, because a wall-clock time without one
        is ambiguous on daylight-saving days.
    """
    if _is_missing(value):
        return MISSING
    if value.tzinfo is None:
        raise ValueError(f"cannot format naive time {value!r}; give a tz-aware time")
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    text = babel_dates.format_datetime(value, format=format, tzinfo=value.tzinfo, locale=check_language(lang))
    return _french_first_of_month(text, value, lang)


def _french_first_of_month(text: str, value: date, lang: str) -> str:
    """Write the first of the month as an ordinal in French, in every format: « dim. 1er déc. », « 1er déc. 2013 »."""
    if lang == "fr" and value.day == 1:
        text = re.sub(r"(?<![\d/.])1 ", "1er ", text, count=1)
    return text


class _MessageFormatter(string.Formatter):
    """Format a message's fields for one language, by the rules that :mod:`planner.messages` lists."""

    def __init__(self, lang: str) -> None:
        super().__init__()
        self.lang = lang

    def format_field(self, value: object, format_spec: str) -> str:
        if isinstance(value, Message):
            return render_message(value, self.lang)
        if isinstance(value, Region):
            return format(value.name(self.lang), format_spec)
        if isinstance(value, (list, tuple)):
            return ", ".join(self.format_field(item, format_spec) for item in value)
        if isinstance(value, (str, bool, np.bool_)) or value is None:
            return format(value, format_spec)
        if isinstance(value, (date, datetime, pd.Timestamp)) and format_spec.startswith("%"):
            return self._format_time(value, with_time="%H" in format_spec)
        if isinstance(value, numbers.Number):
            return self._format_number(value, format_spec)
        return format(value, format_spec)

    def _format_number(self, value: numbers.Number, format_spec: str) -> str:
        if format_spec.endswith("d"):
            return format(value, format_spec)
        precision = re.search(r"\.(\d+)", format_spec)
        decimals = int(precision.group(1)) if precision else None
        if format_spec.endswith("%"):
            text = format_percent(value, self.lang, decimals=decimals or 0)
        else:
            text = format_number(value, self.lang, decimals=decimals)
        # Babel has no sign option, so a "+" spec (a timing offset, say) gets its sign here.
        if format_spec.startswith("+") and value >= 0:
            text = "+" + text
        return text

    def _format_time(self, value: date | datetime, with_time: bool) -> str:
        day = format_date(value, self.lang, format="medium")
        if not with_time or not isinstance(value, datetime):
            return day
        return f"{day} {value:%H:%M}"


def _is_missing(value: object) -> bool:
    if value is None or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return False
