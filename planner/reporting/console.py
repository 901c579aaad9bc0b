"""Log records on the console in the user's language.

The library logs user-relevant warnings as :class:`~planner.messages.Message`
objects, whose ``str`` is English. :class:`ConsoleFormatter` renders them in
the language of the command line, with a translated level word. The INFO and
DEBUG records, shown with ``-v``, are developer diagnostics logged as plain
English text, so they are shown in English, level word included. It is a
formatter only: the library never installs it, and the ``planner`` command
attaches it to its own console handler.
"""

from __future__ import annotations

import logging

from planner.messages import Message
from planner.reporting.i18n import DEFAULT_LANGUAGE, N_, check_language, render_message, translations

# Level names of the translated records, from WARNING up. Other levels are shown in lower case as logging names them.
LEVEL_NAMES: dict[int, str] = {
    logging.WARNING: N_("warning"),
    logging.ERROR: N_("error"),
    logging.CRITICAL: N_("critical"),
}
_PACKAGE = "planner"


class ConsoleFormatter(logging.Formatter):
    """Format a log record as ``level: message``, such as ``avertissement : …`` in French.

    A record from WARNING up is for the user, so its level word and its line
    are in the formatter's language. Its message, or a ``%`` argument, is
    translated when it is a :class:`~planner.messages.Message`. Other text,
    such as the warnings of other packages, is shown as logged. A record
    below WARNING is a developer diagnostic, shown in English as the code
    logged it, with its level word and ``Message`` arguments in English. The
    logger name is shown with ``show_names``, and always for records of
    other packages (``weasyprint``, ``distributed``), whose English text
    would otherwise have no visible source. A traceback or a stack, when the
    record carries one, follows the line as :class:`logging.Formatter`
    writes it.
    """

    def __init__(self, lang: str = DEFAULT_LANGUAGE, *, show_names: bool = False) -> None:
        super().__init__()
        self.lang = check_language(lang)
        self.show_names = show_names

    def format(self, record: logging.LogRecord) -> str:
        lang = self.lang if record.levelno >= logging.WARNING else "en"
        gettext = translations(lang).gettext
        level = gettext(LEVEL_NAMES[record.levelno]) if record.levelno in LEVEL_NAMES else record.levelname.lower()
        message = self._message(record, lang)
        own_record = record.name == _PACKAGE or record.name.startswith(_PACKAGE + ".")
        if self.show_names or not own_record:
            text = gettext("{level} {logger}: {message}").format(level=level, logger=record.name, message=message)
        else:
            text = gettext("{level}: {message}").format(level=level, message=message)

        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            text += "\n" + record.exc_text
        if record.stack_info:
            text += "\n" + self.formatStack(record.stack_info)
        return text

    @staticmethod
    def _message(record: logging.LogRecord, lang: str) -> str:
        if not record.args:
            return render_message(record.msg, lang)
        if isinstance(record.args, tuple):
            arguments = tuple(render_message(value, lang) if isinstance(value, Message) else value
                              for value in record.args)
            return str(record.msg) % arguments
        return record.getMessage()
