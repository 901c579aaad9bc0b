"""The PDF copy of ``report.html``, rendered by WeasyPrint from the same page.

WeasyPrint (PyPI) lays out HTML and CSS with Pango, so the PDF has the same
text, tables and embedded plots as the HTML page. The ``@page`` rule and the
``page-break`` properties of the template set the paper size and the page
breaks. WeasyPrint needs the Pango 1.44 or later system library
(``libpango-1.0-0`` and ``libpangoft2-1.0-0`` on Debian); ``make pdf-deps``
installs them where they are missing.
"""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


class PdfUnavailableError(RuntimeError):
    """Raised when the PDF renderer cannot be loaded, such as when Pango is missing."""


def render_pdf(html_text: str) -> bytes:
    """Render a self-contained HTML page as PDF bytes.

    Images must be ``data:`` URIs. The renderer is allowed no other
    protocol, so rendering never reads the network or the disk.

    Raises
    ------
    PdfUnavailableError
        If WeasyPrint or the Pango library it loads is not installed.
    """
    try:
        import weasyprint
    except (ImportError, OSError) as error:
        # WeasyPrint raises OSError at import time when it cannot load the Pango shared library.
        raise PdfUnavailableError(f"cannot render the PDF: {error}. Install WeasyPrint with pip and the Pango "
                                  "library with 'make pdf-deps' (Debian packages libpango-1.0-0 and "
                                  "libpangoft2-1.0-0)") from error
    # Only data: URIs may be fetched; any other reference is skipped with a WeasyPrint warning.
    fetcher = weasyprint.URLFetcher(allowed_protocols={"data"})
    document = weasyprint.HTML(string=html_text, url_fetcher=fetcher)
    return document.write_pdf()
