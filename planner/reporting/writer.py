"""Write a plan's report folder in one swap, so that readers never see half a report.

Every file is written into a hidden temporary folder beside the target, then
the temporary folder is renamed into place. A failed run removes its
temporary folder and leaves the earlier report of the week as it was. Two
runs for the same week each build a complete folder of their own, and the
last one to swap in wins.
"""

from __future__ import annotations

import errno
import glob
import logging
import multiprocessing
import os
import re
import shutil
import signal
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from planner.decisions.plan import WeeklyPlan
from planner.messages import translatable
from planner.reporting import html, i18n, pdf, tables, xlsx

logger = logging.getLogger(__name__)

REPORT_FILE = "report.html"
PDF_FILE = "report.pdf"
XLSX_FILE = "report.xlsx"
_UNSAFE_CHARACTERS = re.compile(r"[^A-Za-z0-9._-]+")
_SWAP_ATTEMPTS = 20


def write_report(plan: WeeklyPlan, out_dir: str | Path = "reports", lang: str = "fr", *,
                 with_pdf: bool = True, usual_staffing: pd.DataFrame | None = None,
                 scenario: dict | None = None) -> Path:
    """Write the plan's CSV tables, ``report.html``, ``report.pdf`` and ``report.xlsx`` to ``out_dir/<dataset>/<week>/``.

    The folder contains ``forecast.csv``, ``events.csv``, ``capacity.csv``,
    ``staffing.csv``, ``report.html``, its PDF copy ``report.pdf`` and
    ``report.xlsx`` (one sheet per table, data quality included). It
    replaces an earlier report of the same dataset and week only once every
    file is written. When the PDF cannot be rendered, the error is logged and
    the folder is written without ``report.pdf``, so the HTML and the tables
    are never lost to a PDF failure; callers check for the file.

    Parameters
    ----------
    plan : WeeklyPlan
        The plan to write.
    out_dir : str or Path
        Root of the reports; created when missing.
    lang : str
        Language of ``report.html``, ``report.pdf`` and ``report.xlsx``:
        ``"fr"`` (default) or ``"en"``. The CSV files are the same in both.
    with_pdf : bool
        Whether to render ``report.pdf``, which takes a few seconds.
    usual_staffing : DataFrame, optional
        Staffing of the usual week, for the staffing changes on the first
        page; see :func:`planner.reporting.summary.usual_week_plan`.
    scenario : dict, optional
        The scenario that ``plan`` includes, shown beside the plan without
        it; see :func:`planner.reporting.html.render_html`.

    Returns
    -------
    Path
        The report folder.

    Raises
    ------
    ValueError
        If ``lang`` is not supported, or the dataset or week name has no
        character left that is safe in a folder name.
    """
    i18n.check_language(lang)
    root = Path(out_dir).resolve()
    parent = root / safe_folder_name(plan.dataset.name, translatable("dataset name"))
    week_name = safe_folder_name(plan.week.label, translatable("week label"))
    target = parent / week_name
    if not target.resolve().is_relative_to(root):
        raise ValueError(f"report folder {target} is outside the output folder {root}")

    pdf_job = None
    try:
        with staged_folder(target, sync_files=True) as staging:
            page = html.render_html(plan, lang, usual_staffing=usual_staffing, scenario=scenario)
            _write_text(staging / REPORT_FILE, page)
            # The PDF renders in a child process while this one writes the tables, because on a large
            # network each takes several seconds.
            pdf_job = _PdfJob(page) if with_pdf else None
            for file_name, build_table in tables.CSV_TABLES.items():
                tables.write_csv(build_table(plan), staging / file_name)
            xlsx.write_xlsx(plan, staging / XLSX_FILE, lang)
            if pdf_job is not None:
                pdf_job.write(staging / PDF_FILE)
    except BaseException:
        if pdf_job is not None:
            pdf_job.cancel()
        raise
    logger.info("report of %s %s written to %s", plan.dataset.name, plan.week.label, target)
    return target


def safe_folder_name(name: str, what: str = translatable("name")) -> str:
    """Return ``name`` reduced to a single safe path component.

    Characters other than ASCII letters, digits, ``.``, ``_`` and ``-`` become
    ``_``, and leading dots are dropped, so ``../etc`` gives ``_etc`` and no
    result can be ``..``, hidden, absolute or hold a separator.

    Raises
    ------
    ValueError
        If nothing is left, naming ``what`` and the value.
    """
    cleaned = _UNSAFE_CHARACTERS.sub("_", str(name)).lstrip(".")
    if not cleaned.strip("_"):
        raise ValueError(translatable("invalid {what} {name!r} for a report folder; use letters, digits, '.', '_' "
                                      "or '-'", what=what, name=name))
    if cleaned != name:
        logger.warning(translatable("{what} {name!r} is written as folder name {folder!r}", what=what, name=name,
                                    folder=cleaned))
    return cleaned


@contextmanager
def staged_folder(target: Path, *, sync_files: bool = False) -> Iterator[Path]:
    """Yield a new hidden staging folder beside ``target``, and swap it in as ``target`` when the block succeeds.

    The parent of ``target`` is created when missing. When the block or the
    swap raises, including on KeyboardInterrupt, the staging folder is
    removed and an earlier ``target`` is left as it was. Staging folders of
    the same ``target`` left by a killed run, last modified more than an
    hour ago, are deleted first. With ``sync_files``
    each file at the top of the staging folder is flushed to disk before the
    swap. Of several concurrent callers for one ``target``, the last to swap
    in wins.

    Raises
    ------
    NotADirectoryError
        If ``target`` is a file.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    # A process killed with SIGKILL cannot remove its staging folder, so a hidden ".<target>.*" folder may remain
    # beside the target. Nothing reads it, so the next run deletes those older than an hour.
    # NOTE: a run of the same target that writes nothing into its staging folder for an hour loses that folder.
    stale_before = time.time() - 3600.0
    for leftover in target.parent.glob(f".{glob.escape(target.name)}.*"):
        try:
            is_stale = leftover.is_dir() and not leftover.is_symlink() and leftover.stat().st_mtime < stale_before
        except OSError:
            continue
        if is_stale:
            logger.info("removing the staging folder %s that an interrupted run left", leftover)
            shutil.rmtree(leftover, ignore_errors=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}."))
    try:
        yield staging
        if sync_files:
            for path in staging.iterdir():
                _fsync(path)
        os.chmod(staging, 0o755)
        _swap_in(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _swap_in(staging: Path, target: Path) -> None:
    """Rename ``staging`` to ``target``, moving an existing ``target`` aside and deleting it after.

    ``rename`` cannot replace a non-empty folder, so an existing report is
    first renamed to a hidden sibling. Between those two renames the target
    is briefly absent, and another run may swap in first: the loop then moves
    that report aside as well, so the last run to finish wins.
    """
    if target.exists() and not target.is_dir():
        raise NotADirectoryError(f"{target} is a file, not a report folder; move it away and run again")
    for _attempt in range(_SWAP_ATTEMPTS):
        retired = None
        if target.exists():
            retired = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.old."))
            try:
                os.rename(target, retired)
            except FileNotFoundError:
                retired.rmdir()
                retired = None
        try:
            os.rename(staging, target)
        except OSError as error:
            if error.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                if retired is not None:
                    _restore(retired, target)
                raise
            # Another run swapped its report in between the two renames: retire it too.
            if retired is not None:
                shutil.rmtree(retired, ignore_errors=True)
            continue
        if retired is not None:
            shutil.rmtree(retired, ignore_errors=True)
        return
    raise OSError(f"could not swap the report into {target} after {_SWAP_ATTEMPTS} attempts; "
                  "other runs kept replacing it")


class _PdfJob:
    """The PDF copy of a page, rendered in a forked child process from the moment the job is created.

    The child inherits the parent's modules, so it renders with whatever
    ``pdf.render_pdf`` is at that moment, and sends back the bytes or the
    error through a pipe. Where ``fork`` is not available (Windows), the
    page is rendered in this process when :meth:`write` is called.

    NOTE: Python 3.12 and later emit a DeprecationWarning when a process
    with several threads forks (pyarrow starts a thread pool). The child
    only runs WeasyPrint on the page text and exits, but the proper fix is
    a small worker process started before any threads.
    """

    def __init__(self, page: str) -> None:
        self.page = page
        self.process = None
        if "fork" not in multiprocessing.get_all_start_methods():
            return
        context = multiprocessing.get_context("fork")
        self.connection, child_connection = context.Pipe(duplex=False)
        self.process = context.Process(target=_render_pdf_into, args=(page, child_connection, self.connection),
                                       daemon=True)
        self.process.start()
        child_connection.close()

    def write(self, path: Path) -> None:
        """Wait for the PDF and write it to ``path``, or log why it failed and write nothing."""
        try:
            if self.process is None:
                data = pdf.render_pdf(self.page)
            else:
                data = self._receive()
            path.write_bytes(data)
        except Exception as error:  # noqa: BLE001 - any renderer failure must leave the HTML report intact
            path.unlink(missing_ok=True)
            logger.error(translatable("report.pdf not written, the HTML report and tables are kept: {error_type}: "
                                      "{error}", error_type=getattr(error, "type_name", type(error).__name__),
                                      error=str(error)))

    def cancel(self) -> None:
        """Stop the child process, if any, without waiting for its PDF."""
        if self.process is not None and self.process.is_alive():
            self.process.kill()
        if self.process is not None:
            self.process.join()

    def _receive(self) -> bytes:
        try:
            outcome = self.connection.recv()
        except EOFError:
            outcome = ("error", "ChildProcessError", "the PDF process ended without a result")
        except BaseException:
            # Ctrl-C while waiting: the child may be blocked sending a large PDF, so it is stopped, not awaited.
            self.connection.close()
            self.cancel()
            raise
        self.connection.close()
        self.process.join()
        if outcome[0] == "error":
            raise _PdfRenderError(outcome[1], outcome[2])
        return outcome[1]


class _PdfRenderError(RuntimeError):
    """An error raised by the renderer in the child process, under its original type name."""

    def __init__(self, type_name: str, message: str) -> None:
        super().__init__(message)
        self.type_name = type_name


def _render_pdf_into(page: str, connection, parent_end) -> None:
    """Render ``page`` in the child process and send ``("pdf", bytes)`` or ``("error", type, message)``.

    The child closes its inherited copy of the parent's end of the pipe, so that a parent that stops
    reading closes the pipe and a blocked send fails instead of hanging. Ctrl-C is left to the parent,
    which stops the child.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent_end.close()
    try:
        outcome = ("pdf", pdf.render_pdf(page))
    except Exception as error:  # noqa: BLE001 - the parent logs it and keeps the HTML report
        outcome = ("error", type(error).__name__, str(error))
    connection.send(outcome)
    connection.close()


def _restore(retired: Path, target: Path) -> None:
    try:
        os.rename(retired, target)
    except OSError as error:
        logger.error(translatable("could not restore the earlier report {retired} to {target}: {error}",
                                  retired=str(retired), target=str(target), error=str(error)))


def _write_text(path: Path, text: str) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)


def _fsync(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())
