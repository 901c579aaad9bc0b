"""Tests of the console formatter that shows log records in the user's language."""

from __future__ import annotations

import ast
import logging
import sys
from pathlib import Path

import planner

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
    record = _record("planner.decisions.plan", logging.WARNING, "plain text")

    assert ConsoleFormatter("fr", show_names=True).format(record) == "avertissement planner.decisions.plan\u00a0: plain text"
    assert ConsoleFormatter("en").format(record) == "warning: plain text"


def test_console_diagnostics_in_english():
    # INFO and DEBUG records are logged as English text, so a French level word or colon would mix two languages.
    debug = _record("planner.inputs.loading", logging.DEBUG, "%s: %s", "data/milan",
                    translatable("and {count} more", count=1200))
    info = _record("planner.decisions.plan", logging.INFO, "forecast %s: %d cells", "milan", 12)

    assert ConsoleFormatter("fr", show_names=True).format(debug) == ("debug planner.inputs.loading: data/milan: "
                                                                     "and 1,200 more")
    assert ConsoleFormatter("fr").format(info) == "info: forecast milan: 12 cells"
    assert ConsoleFormatter("en", show_names=True).format(info) == "info planner.decisions.plan: forecast milan: 12 cells"


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


def _literal_warnings(path: Path) -> list[str]:
    """Return the ``logger`` calls of ``path`` from WARNING up whose message is a string literal."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args):
            continue
        if not (isinstance(node.func.value, ast.Name) and node.func.value.id == "logger"):
            continue
        literal = isinstance(node.args[0], ast.JoinedStr) or (isinstance(node.args[0], ast.Constant)
                                                              and isinstance(node.args[0].value, str))
        if node.func.attr in ("warning", "error", "exception", "critical") and literal:
            found.append(f"{path.name}:{node.lineno}")
    return found


def test_library_warnings_translatable():
    # The console translates a record from WARNING up only when its message is a Message built by translatable().
    package = Path(planner.__file__).parent
    literal = [call for path in sorted(package.rglob("*.py")) for call in _literal_warnings(path)]

    assert literal == []
