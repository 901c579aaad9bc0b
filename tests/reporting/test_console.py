"""Tests of the console formatter that shows log records in the user's language."""

from __future__ import annotations

import logging
import sys

from planner.messages import translatable
from planner.reporting.console import ConsoleFormatter


def _record(name: str, level: int, message: object, *args: object) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, message, args or None, None)


def test_console_translates_message_record():
    record = _record("planner.inputs.loading", logging.WARNING,
                     translatable("{place}: {problem}", place="data/milan",
                                  problem=translatable("and {count} more", count=1200)))

    assert ConsoleFormatter("fr").format(record) == "avertissement\u00a0: data/milan\u00a0: et 1\u202f200 autres"
    assert ConsoleFormatter("en").format(record) == "warning: data/milan: and 1,200 more"


def test_console_translates_message_arguments():
    record = _record("planner.engine", logging.ERROR, "%s failed: %s", "cell-7",
                     translatable("and {count} more", count=3))

    assert ConsoleFormatter("fr").format(record) == "erreur\u00a0: cell-7 failed: et 3 autres"


def test_console_names_logger_when_asked():
    record = _record("planner.decisions.plan", logging.INFO, "plain text")

    assert ConsoleFormatter("fr", show_names=True).format(record) == "info planner.decisions.plan\u00a0: plain text"
    assert ConsoleFormatter("en").format(record) == "info: plain text"


def test_console_names_other_packages():
    record = _record("weasyprint", logging.WARNING, "Using fontTools instead of HarfBuzz-Subset")

    expected = "avertissement weasyprint\u00a0: Using fontTools instead of HarfBuzz-Subset"

    assert ConsoleFormatter("fr").format(record) == expected


def test_console_appends_traceback():
    try:
        raise OSError("disk full")
    except OSError:
        record = logging.LogRecord("planner.reporting.writer", logging.ERROR, __file__, 1, "write failed", None,
                                   sys.exc_info())

    lines = ConsoleFormatter("en").format(record).splitlines()

    assert lines[0] == "error: write failed"
    assert lines[1] == "Traceback (most recent call last):"
    assert lines[-1] == "OSError: disk full"
