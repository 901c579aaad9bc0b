"""Message catalogs of the user-facing text, loaded with Babel alone.

The French texts are in ``reporting/locales/fr/LC_MESSAGES/planner.po``,
which is read and compiled in memory at run time, so no ``.mo`` file is
built or shipped. This module imports neither pandas nor any layer, so the
``planner`` command can translate its Ctrl-C message while the heavy modules
are still importing. :mod:`planner.reporting.i18n` builds the number and date
formatting on it.
"""

from __future__ import annotations

from functools import lru_cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

SUPPORTED_LANGUAGES: tuple[str, ...] = ("fr", "en")
DEFAULT_LANGUAGE = "fr"
DOMAIN = "planner"
LOCALES_DIR = Path(__file__).parent / "reporting" / "locales"


def check_language(lang: str) -> str:
    """Return ``lang`` if the report supports it.

    Raises
    ------
    ValueError
        Naming the supported languages.
    """
    if lang not in SUPPORTED_LANGUAGES:
        supported = ", ".join(SUPPORTED_LANGUAGES)
        raise ValueError(f"unsupported report language {lang!r}; supported languages: {supported}")
    return lang


def translations(lang: str = DEFAULT_LANGUAGE) -> NullTranslations:
    """Return the message catalog of ``lang``, compiled in memory from its ``.po`` file.

    English is the language of the message ids, so it gets a catalog that
    returns every message unchanged.

    Raises
    ------
    ValueError
        If ``lang`` is not one of ``SUPPORTED_LANGUAGES``.
    """
    return _translations(check_language(lang))


@lru_cache(maxsize=None)
def _translations(lang: str) -> NullTranslations:
    if lang == "en":
        return NullTranslations()
    po_path = LOCALES_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=lang, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(fp=compiled, domain=DOMAIN)
