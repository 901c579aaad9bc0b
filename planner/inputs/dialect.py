"""Detect how a CSV file was written: its encoding and its field separator.

Spreadsheet software writes CSV in the conventions of the user's locale. A
French export typically uses ``;`` as the separator (because the comma is the
decimal mark), cp1252 or UTF-8 with a byte-order mark, and day-first dates.
The separator and the encoding are detected here, for the whole file at once.
The decimal mark is detected in ``planner.inputs.numbers`` and the date
format in ``planner.inputs.dates``. A value declared under ``[inputs]`` in
``settings.toml`` replaces the detection.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
from dataclasses import dataclass

from planner.inputs.errors import InputError, Problem
from planner.messages import Message, translatable

logger = logging.getLogger(__name__)

# Tried in this order when the header does not decide between them.
SEPARATOR_CANDIDATES: tuple[str, ...] = (",", ";", "\t", "|")
SEPARATOR_NAMES: dict[str, str] = {",": translatable("comma"), ";": translatable("semicolon"),
                                   "\t": translatable("tab"), "|": translatable("vertical bar")}


@dataclass(frozen=True)
class CsvDialect:
    """The encoding and separator a CSV file was read with, and whether each was detected."""

    encoding: str
    separator: str
    encoding_detected: bool = True
    separator_detected: bool = True

    @property
    def is_plain(self) -> bool:
        """Whether the file is UTF-8 and comma separated, the format the bundled datasets use."""
        return self.encoding in ("utf-8", "utf-8-sig") and self.separator == ","

    def describe(self) -> Message:
        name = SEPARATOR_NAMES.get(self.separator, repr(self.separator))
        return translatable("encoding {encoding} ({encoding_origin}), separator {separator} ({separator_origin})",
                            encoding=self.encoding, encoding_origin=_origin(self.encoding_detected),
                            separator=name, separator_origin=_origin(self.separator_detected))


def decode_file(data: bytes, file: str, encoding: str = "auto") -> tuple[str, str, bool]:
    """Decode the bytes of a text file.

    With ``encoding = "auto"``, a UTF-8 or UTF-16 byte-order mark decides;
    otherwise the file is UTF-8 when all of it decodes as UTF-8, and cp1252
    (the Windows encoding of Western European spreadsheet software) when it
    does not. A declared encoding is used as it is.

    Returns
    -------
    text : str
        The text, without a byte-order mark.
    encoding : str
        The codec used.
    detected : bool
        False when the encoding was declared.

    Raises
    ------
    InputError
        If the bytes do not decode, naming the line and the byte.
    """
    if encoding != "auto":
        return _decode(data, file, codecs.lookup(encoding).name, declared=True), encoding, False
    if data.startswith(codecs.BOM_UTF8):
        return _decode(data, file, "utf-8-sig", declared=False), "utf-8-sig", True
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _decode(data, file, "utf-16", declared=False), "utf-16", True
    try:
        return data.decode("utf-8"), "utf-8", True
    except UnicodeDecodeError:
        pass
    return _decode(data, file, "cp1252", declared=False), "cp1252", True


def detect_separator(header_line: str, required: list[str], separator: str = "auto") -> tuple[str, bool]:
    """Choose the field separator from the header line.

    The candidate that finds the most required column names wins; a tie goes
    to the one that splits the header into the most fields, then to the order
    of ``SEPARATOR_CANDIDATES``. A declared separator is used as it is.

    Returns
    -------
    separator : str
    detected : bool
        False when the separator was declared.
    """
    if separator != "auto":
        return separator, False
    best, best_score = ",", (-1, -1)
    for candidate in SEPARATOR_CANDIDATES:
        fields = next(csv.reader(io.StringIO(header_line), delimiter=candidate), [])
        names = {field.strip() for field in fields}
        score = (sum(name in names for name in required), len(fields))
        if score > best_score:
            best, best_score = candidate, score
    return best, True


def _decode(data: bytes, file: str, encoding: str, declared: bool) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        byte = data[error.start:error.start + 1].hex().upper()
        if declared:
            fix = translatable("save the file as {encoding}, or change [inputs] encoding in settings.toml",
                               encoding=encoding)
        else:
            fix = translatable("save the file as UTF-8, or declare its encoding with [inputs] encoding in "
                               "settings.toml, such as \"latin-1\"")
        message = translatable("the file cannot be decoded as {encoding} (byte 0x{byte} at offset {offset:d}); {fix}",
                               encoding=encoding, byte=byte, offset=error.start, fix=fix)
        raise InputError([Problem(file, line, None, None, message)]) from None


def _origin(detected: bool) -> Message:
    return translatable("detected") if detected else translatable("declared")
