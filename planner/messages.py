"""Translatable text for users, built by any layer and translated by the reporting layer.

The notes and error bodies that reach the report and the command line are
built deep in the inputs, forecasting and decisions layers, which must not
import the reporting layer. So they build a :class:`Message`: a ``str``
holding the English text, as before, that also keeps its English template
and its parameters. Code and tests that treat notes as strings keep working,
and :func:`planner.reporting.i18n.render_message` translates the template
through the message catalog and formats the parameters for the language
with Babel (``1 234,5``, ``16 nov. 2013``).

This module sits below every layer and imports none of them. Build messages
with :func:`translatable` and :func:`translatable_plural` and a literal
template, so that the message extraction (``babel.messages.extract`` with
those two names as keywords) finds every message id.

Templates use ``str.format`` fields. Each field is formatted for the
language when rendered:

- a number with no format spec is grouped (``1 234``). A ``.Nf`` spec keeps
  N decimals, ``.N%`` shows a fraction as a percentage, and ``d`` writes the
  digits alone, as for line numbers and years. A leading ``+`` shows the
  sign of a positive number;
- a date or a time with a ``strftime`` spec is shown in the language's
  medium date format, with the time when the spec has ``%H``;
- a nested :class:`Message` is rendered in the same language;
- a list or a tuple is joined with commas, each item formatted by these rules;
- a :class:`Region` is shown as its country's name in the language, with
  the subdivision code in brackets (``Italie (MI)``, ``Italy (MI)``);
- ``!r`` quotes a value as Python does, which suits file names, keys and
  values copied from an input file. A translation may show such a field in
  its own quotation marks instead, ``« {value} »`` in French, and the value
  is then shown as ``str(value)``, with no number formatting.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Any

from babel import Locale

# Keywords and argument positions of the message ids, for ``babel.messages.extract``.
EXTRACTION_KEYWORDS: dict[str, tuple[int, ...] | None] = {
    "translatable": None,
    "translatable_plural": (1, 2),
}


class Message(str):
    """English text of a message for users, with what it takes to translate it.

    Attributes
    ----------
    template : str
        The English ``str.format`` template, which is the catalog's message id.
    plural_template : str or None
        The English plural template of a counted message.
    count : int or None
        The count that chooses between the singular and the plural.
    params : dict
        The values of the template's fields.
    """

    template: str
    plural_template: str | None
    count: int | None
    params: dict[str, Any]

    def __new__(cls, template: str, params: dict[str, Any], plural_template: str | None = None,
                count: int | None = None) -> Message:
        chosen = template if plural_template is None or count == 1 else plural_template
        text = super().__new__(cls, _ENGLISH.vformat(chosen, (), params))
        text.template = template
        text.plural_template = plural_template
        text.count = count
        text.params = dict(params)
        return text

    def __reduce__(self):
        # A str subclass pickles as its text only. Keeping the template lets a note made in a
        # Dask worker be translated in the client.
        return (Message, (self.template, self.params, self.plural_template, self.count))


def translatable(template: str, /, **params: Any) -> Message:
    """Build a message from an English template and its field values.

    ``template`` must be a string literal, because it is the catalog's
    message id and the extraction reads it from the source.
    """
    return Message(template, params)


def translatable_plural(singular: str, plural: str, count: int, /, **params: Any) -> Message:
    """Build a counted message whose wording depends on ``count``, such as ``1 gap`` and ``3 gaps``.

    ``count`` is also passed to the templates as the ``count`` field. The
    catalog gives each language its own plural forms.
    """
    return Message(singular, {"count": count, **params}, plural_template=plural, count=count)


@dataclass(frozen=True)
class Region:
    """A country, and optionally one of its subdivisions, as a message field.

    Attributes
    ----------
    country : str
        ISO 3166-1 alpha-2 code, such as ``IT``.
    subdivision : str
        The subdivision code of the ``holidays`` package, such as ``MI``, or
        ``""`` for the whole country.
    """

    country: str
    subdivision: str = ""

    def name(self, lang: str) -> str:
        """Return the country's name in ``lang``, with the subdivision code in brackets, such as ``Italie (MI)``.

        A country code that Babel's territory names lack is shown as written.
        """
        country = Locale.parse(lang).territories.get(self.country.upper(), self.country)
        return f"{country} ({self.subdivision})" if self.subdivision else country

    def __format__(self, format_spec: str) -> str:
        return format(self.name("en"), format_spec)


class _EnglishFormatter(string.Formatter):
    """Python's own formatting, with lists and tuples joined by commas."""

    def format_field(self, value: Any, format_spec: str) -> str:
        if isinstance(value, (list, tuple)):
            return ", ".join(self.format_field(item, format_spec) for item in value)
        return format(value, format_spec)


_ENGLISH = _EnglishFormatter()
