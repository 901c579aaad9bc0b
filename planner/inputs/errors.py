"""The error raised for bad input, listing every problem found in one pass."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One bad value: where it sits, what it is, and what to do about it.

    ``row`` is the 1-based line number in the file, header included, so that
    the user can open the file at that line; it is ``None`` for a problem
    with the whole file or a settings key.
    """

    file: str
    row: int | None
    column: str | None
    value: Any
    message: str

    def __str__(self) -> str:
        place = [self.file]
        if self.row is not None:
            place.append(f"line {self.row}")
        if self.column is not None:
            noun = "key" if self.file.endswith(".toml") else "column"
            place.append(f"{noun} {self.column!r}")
        value = "" if self.value is None else f" (value {self.value!r})"
        return f"{', '.join(place)}{value}: {self.message}"


class InputError(ValueError):
    """Raised when an input file or setting is invalid.

    ``problems`` lists every problem found, not only the first one.
    """

    def __init__(self, problems: list[Problem], max_listed: int = 50) -> None:
        self.problems = list(problems)
        lines = [str(problem) for problem in self.problems[:max_listed]]
        hidden = len(self.problems) - len(lines)
        if hidden > 0:
            lines.append(f"... and {hidden} more problems")
        count = len(self.problems)
        header = f"{count} problem{'s' if count != 1 else ''} in the input:"
        super().__init__("\n".join([header, *("  " + line for line in lines)]))
