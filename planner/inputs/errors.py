"""The error raised for bad input, listing every problem found in one pass.

Each problem's text is a :class:`~planner.messages.Message`, so that the
command line can show it in the user's language. ``str()`` gives English.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from planner.messages import Message, translatable, translatable_plural


@dataclass(frozen=True)
class Problem:
    """One bad value: where it sits, what it is, and what to do about it.

    ``row`` is the 1-based line number in the file, header included, so that
    the user can open the file at that line; it is ``None`` for a problem
    with the whole file or a settings key. ``message`` says what is wrong
    and the fix, as a translatable message or as plain English text.
    """

    file: str
    row: int | None
    column: str | None
    value: Any
    message: str

    def describe(self) -> Message:
        """Build the problem's line: the file, line, column or key, value, and the message."""
        place: str = self.file
        if self.row is not None:
            place = translatable("{place}, line {row:d}", place=place, row=self.row)
        if self.column is not None and self.file.endswith(".toml"):
            place = translatable("{place}, key {key!r}", place=place, key=self.column)
        elif self.column is not None:
            place = translatable("{place}, column {column!r}", place=place, column=self.column)
        if self.value is not None:
            place = translatable("{place} (value {value!r})", place=place, value=_plain(self.value))
        return translatable("{place}: {problem}", place=place, problem=self.message)

    def __str__(self) -> str:
        return str(self.describe())


class InputError(ValueError):
    """Raised when an input file or setting is invalid.

    ``problems`` lists every problem found, not only the first one.
    ``str()`` gives the English text; :meth:`render` gives it in another
    language.
    """

    def __init__(self, problems: list[Problem], max_listed: int = 50) -> None:
        self.problems = list(problems)
        self.max_listed = max_listed
        super().__init__(self.render(str))

    def render(self, render_message: Callable[[str], str]) -> str:
        """Return the error's text, with each message passed through ``render_message``.

        The command line passes a function that translates a message, such
        as ``planner.reporting.i18n.render_message`` bound to a language.
        """
        count = len(self.problems)
        header = translatable_plural("{count} problem in the input:", "{count} problems in the input:", count)
        lines = [render_message(problem.describe()) for problem in self.problems[:self.max_listed]]
        hidden = count - len(lines)
        if hidden > 0:
            lines.append(render_message(translatable_plural("... and {count} more problem",
                                                            "... and {count} more problems", hidden)))
        return "\n".join([render_message(header), *("  " + line for line in lines)])


def _plain(value: Any) -> Any:
    """Return a numpy scalar as the Python value it holds, so that its repr reads 12.5, not np.float64(12.5)."""
    return value.item() if isinstance(value, np.generic) else value
