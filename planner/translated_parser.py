"""An ``argparse`` parser whose help and errors are in the user's language.

argparse writes its own words (``usage:``, ``options``, ``show this help
message and exit``, its error messages) through the process-wide GNU gettext
domain, which planner does not use. :class:`TranslatedArgumentParser` takes
those words from planner's catalog instead, for one parser and its
subcommands, without changing any module global:

- the section titles and the ``-h`` help are given translated when the
  parser is built;
- the ``usage:`` prefix and the colon after each section title come from
  :class:`TranslatedHelpFormatter`, so French help reads ``options :``;
- an error message, which argparse has already formatted in English when it
  reaches :meth:`~TranslatedArgumentParser.error`, is matched against
  argparse's English templates and rebuilt from the translated ones. A
  message that matches none of them is shown in English.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from functools import partial
from typing import NoReturn

from planner.reporting.i18n import N_

# argparse's error messages as regular expressions, each with the catalog template that rebuilds it.
# The groups are the fields of the template, and a "message" group is translated in turn.
# NOTE: the patterns follow the wording of argparse in Python 3.11; tests/test_cli.py fails when a
# later Python words the missing-argument or invalid-choice errors differently.
_ERROR_TEMPLATES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^the following arguments are required: (?P<arguments>.+)$", re.S),
     N_("the following arguments are required: {arguments}")),
    (re.compile(r"^argument (?P<argument>\S+): (?P<message>.+)$", re.S),
     N_("argument {argument}: {message}")),
    (re.compile(r"^invalid choice: (?P<value>.+) \(choose from (?P<choices>.+)\)$", re.S),
     N_("invalid choice: {value} (choose from {choices})")),
    (re.compile(r"^expected one argument$"), N_("expected one argument")),
    (re.compile(r"^expected at least one argument$"), N_("expected at least one argument")),
    (re.compile(r"^unrecognized arguments: (?P<arguments>.+)$", re.S),
     N_("unrecognized arguments: {arguments}")),
    (re.compile(r"^ambiguous option: (?P<option>\S+) could match (?P<matches>.+)$", re.S),
     N_("ambiguous option: {option} could match {matches}")),
    (re.compile(r"^ignored explicit argument (?P<value>.+)$", re.S),
     N_("ignored explicit argument {value}")),
)


class TranslatedHelpFormatter(argparse.HelpFormatter):
    """Help formatter that writes the usage prefix and the section headings in the language's typography.

    ``usage_prefix`` replaces ``usage:``, such as ``utilisation :``.
    ``heading_template`` is the translation of ``{heading}:``, such as
    ``{heading} :`` in French, which puts a space before the colon.
    """

    def __init__(self, prog: str, *, usage_prefix: str, heading_template: str = "{heading}:", **kwargs) -> None:
        super().__init__(prog, **kwargs)
        self._usage_prefix = usage_prefix
        self._heading_template = heading_template

    def start_section(self, heading) -> None:
        # argparse writes the colon after the heading itself, so the template's own colon is removed here.
        if heading is not None and heading is not argparse.SUPPRESS:
            heading = self._heading_template.format(heading=heading).removesuffix(":")
        super().start_section(heading)

    def add_usage(self, usage, actions, groups, prefix=None) -> None:
        # argparse passes prefix="" for the usage that it builds as a subcommand's prog; keep it.
        if prefix is None:
            prefix = self._usage_prefix
        super().add_usage(usage, actions, groups, prefix)


class TranslatedArgumentParser(argparse.ArgumentParser):
    """Argument parser whose help, usage and errors go through ``gettext``.

    Parameters
    ----------
    gettext : callable
        Translation function of the language to show, such as
        ``planner.reporting.i18n.translations("fr").gettext``. The parsers
        that :meth:`add_subparsers` creates get the same one.
    *args, **kwargs
        As for :class:`argparse.ArgumentParser`. ``add_help`` and
        ``formatter_class`` are set here.
    """

    def __init__(self, *args, gettext: Callable[[str], str], **kwargs) -> None:
        self.gettext = gettext
        kwargs["formatter_class"] = partial(TranslatedHelpFormatter, usage_prefix=gettext("usage: "),
                                            heading_template=gettext("{heading}:"))
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        self._positionals.title = gettext("positional arguments")
        self._optionals.title = gettext("options")
        self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS,
                          help=gettext("show this help message and exit"))

    def add_subparsers(self, **kwargs):
        """Add subcommands as :meth:`argparse.ArgumentParser.add_subparsers` does, translated the same way."""
        kwargs.setdefault("parser_class", partial(type(self), gettext=self.gettext))
        return super().add_subparsers(**kwargs)

    def error(self, message: str) -> NoReturn:
        """Print the usage and the translated error to standard error, then exit with status 2."""
        self.print_usage(sys.stderr)
        text = self.gettext("{prog}: error: {message}").format(prog=self.prog,
                                                               message=translate_error(message, self.gettext))
        self.exit(2, text + "\n")


def translate_error(message: str, gettext: Callable[[str], str]) -> str:
    """Return an argparse error message rebuilt from the translated template that matches it.

    A message that matches no known template, such as one that a type
    function wrote already translated, is returned unchanged.
    """
    for pattern, template in _ERROR_TEMPLATES:
        match = pattern.match(message)
        if match is None:
            continue
        fields = match.groupdict()
        if "message" in fields:
            fields["message"] = translate_error(fields["message"], gettext)
        return gettext(template).format(**fields)
    return message
