"""Entry point of the ``planner`` command and of ``python -m planner``.

Importing the command's modules (pandas, SciPy, Matplotlib, WeasyPrint) takes
about a second. This module imports only the standard library, Babel and the
light :mod:`planner.catalog` and :mod:`planner.messages`, and imports
:mod:`planner.cli` inside :func:`main`. So a Ctrl-C during those imports ends
with the command's one-line message and exit code 130, as later, instead of a
traceback.

NOTE: a Ctrl-C during the interpreter's start-up or the import of this module,
the first few tens of milliseconds, still ends with Python's traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence

from planner.catalog import DEFAULT_LANGUAGE, SUPPORTED_LANGUAGES, translations
from planner.messages import translatable

EXIT_INTERRUPTED = 130
"""Exit code after Ctrl-C: 128 + SIGINT, as shells report a process that SIGINT stopped."""

LANGUAGE_VARIABLE = "PLANNER_LANG"
"""Environment variable that sets the default language when no ``--lang`` is given: ``fr`` or ``en``."""


def main(argv: Sequence[str] | None = None) -> int:
    """Import the command's modules and run the command line; return the process exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        from planner import cli

        return cli.main(argv)
    except KeyboardInterrupt:
        # cli.main handles Ctrl-C once it runs, so this catches one during the imports or its first lines.
        print(interrupted_message(_language_or_default(argv)), file=sys.stderr)
        return EXIT_INTERRUPTED


def interrupted_message(lang: str) -> str:
    """Return the error line that the command prints after Ctrl-C, in ``lang``."""
    gettext = translations(lang).gettext
    reason = gettext("interrupted (Ctrl-C); the outputs of earlier runs are left as they were")
    return gettext("Error: {message}").format(message=reason)


def requested_language(argv: Sequence[str], environ: Mapping[str, str] = os.environ) -> str:
    """Return the language of the command's help, messages and report.

    The rule, in order: the last ``--lang`` of ``argv`` (before or after the
    command) when its value is supported, then the ``PLANNER_LANG``
    environment variable, then French. The machine's locale (``LANG``,
    ``LC_ALL``) is not read, so a scheduled job on an English-speaking server
    still writes the French report unless it sets ``--lang`` or
    ``PLANNER_LANG``. An unsupported
    ``--lang`` is left for the parser to reject, in the language that this
    rule gives without it.

    Raises
    ------
    ValueError
        If ``PLANNER_LANG`` is set to an unsupported language and no
        ``--lang`` is given.
    """
    pre_parser = argparse.ArgumentParser(add_help=False, exit_on_error=False)
    pre_parser.add_argument("--lang")
    try:
        known, _unknown = pre_parser.parse_known_args(list(argv))
    except argparse.ArgumentError:
        known = argparse.Namespace(lang=None)
    if known.lang in SUPPORTED_LANGUAGES:
        return known.lang
    configured = environ.get(LANGUAGE_VARIABLE, "").strip()
    if not configured:
        return DEFAULT_LANGUAGE
    if configured not in SUPPORTED_LANGUAGES:
        raise ValueError(translatable("invalid {variable}={value!r}; set it to one of {choices}, or unset it",
                                      variable=LANGUAGE_VARIABLE, value=configured,
                                      choices=list(SUPPORTED_LANGUAGES)))
    return configured


def _language_or_default(argv: Sequence[str]) -> str:
    """Return the requested language, or French when ``PLANNER_LANG`` is invalid."""
    try:
        return requested_language(argv)
    except ValueError:
        return DEFAULT_LANGUAGE
