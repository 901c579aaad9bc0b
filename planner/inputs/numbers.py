"""Read numbers written with a decimal point or a decimal comma, with optional thousands separators.

A file has one decimal mark, detected from every number field of the file or
declared with ``[inputs] decimal``. With the decimal comma, the thousands
separator may be a space, a no-break space (U+00A0) or a narrow no-break space
(U+202F), as French spreadsheet software writes them: ``1 234,5``. With the
decimal point it may also be a comma: ``1,234.5``. A thousands separator must
split the integer part into groups of three digits, so ``12 34`` is invalid,
never 1234. A leading ``-``, ``+`` or minus sign (U+2212) is accepted, and so
is an exponent (``1.5e-3``, ``1,5E3``) on a number without thousands
separators.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from planner.inputs.errors import Problem
from planner.messages import translatable

SPACES = " \u00a0\u202f"
_SIGN = r"[-+\u2212]?"
_EXPONENT = r"(?:[eE][-+]?\d+)?"


def _grammar(decimal: str, groupings: str) -> re.Pattern:
    point = re.escape(decimal)
    group = f"[{re.escape(groupings)}]"
    plain = rf"(?:\d+(?:{point}\d*)?|{point}\d+){_EXPONENT}"
    grouped = rf"\d{{1,3}}(?:{group}\d{{3}})+(?:{point}\d+)?"
    return re.compile(rf"^{_SIGN}(?:{plain}|{grouped})$")


GRAMMARS: dict[str, re.Pattern] = {".": _grammar(".", SPACES + ","), ",": _grammar(",", SPACES)}
# A comma field that reads as a whole number with comma thousands separators: 1,234 or 12,345,678.5.
_COMMA_GROUPED = re.compile(rf"^{_SIGN}\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?$")


def detect_decimal(fields: pd.Series, separator: str) -> tuple[str | None, str]:
    """Detect the decimal mark of a file from all its number fields.

    Parameters
    ----------
    fields : Series of str
        Every non-empty field of the file's number columns, stripped.
    separator : str
        The file's field separator. In a comma-separated file a comma in a
        number needs quoting, and ``1,234`` could be either reading.

    Returns
    -------
    decimal : str or None
        ``"."`` or ``","``; None when the file cannot be read without a
        declared decimal mark.
    reason : str
        Why, in words for the data-quality notes or the error.
    """
    commas = fields[fields.str.contains(",", regex=False)]
    dots = fields[fields.str.contains(".", regex=False)]
    if commas.empty:
        return ".", translatable("no number has a decimal comma")
    grouped = commas.str.match(_COMMA_GROUPED)
    if dots.empty:
        if separator == "," and grouped.all():
            return None, translatable("every number with a comma (such as {example!r}) could use it as the "
                                      "decimal mark or as the thousands separator", example=commas.iloc[0])
        return ",", translatable("numbers such as {example!r} use the decimal comma", example=commas.iloc[0])
    if grouped.all():
        return ".", translatable("numbers such as {example!r} use the comma as the thousands separator",
                                 example=commas.iloc[0])
    return None, translatable("some numbers use a decimal point (such as {point!r}) and others a decimal comma "
                              "(such as {comma!r})", point=dots.iloc[0], comma=commas[~grouped].iloc[0])


def parse_number_text(text: pd.Series, decimal: str) -> tuple[pd.Series, pd.Series]:
    """Convert number text to float64.

    Returns
    -------
    numbers : Series of float64
        NaN where the text is empty or invalid.
    invalid : Series of bool
        True where the text is not empty and is not a finite number in the
        grammar of ``decimal``.
    """
    present = text.notna() & (text != "")
    valid = text.str.match(GRAMMARS[decimal]).fillna(False).astype(bool) & present
    cleaned = text.where(valid)
    if valid.any():
        for space in SPACES:
            cleaned = cleaned.str.replace(space, "", regex=False)
        cleaned = cleaned.str.replace("\u2212", "-", regex=False)
        if decimal == ",":
            cleaned = cleaned.str.replace(",", ".", regex=False)
        else:
            cleaned = cleaned.str.replace(",", "", regex=False)
    numbers = pd.to_numeric(cleaned, errors="coerce").astype("float64")
    invalid = present & (numbers.isna() | np.isinf(numbers))
    return numbers.where(~invalid), invalid


def number_problem(file: str, line: int, column: str, value: str, decimal: str) -> Problem:
    """Return the problem of a field that is not a number in the file's decimal convention."""
    if decimal == ",":
        example = translatable("12,5 or 1 234,5 (decimal comma, file's convention)")
    else:
        example = translatable("12.5 or 1234.5 (decimal point, file's convention)")
    return Problem(file, line, column, value,
                   translatable("invalid number; write a number such as {example}, or leave the field empty when "
                                "the value is missing", example=example))
