"""The ``planner`` command: a thin caller of the public API.

``planner report`` plans one ISO week and writes the report folder; with
``--scenario FILE`` it plans the week with hypothetical events as well and
shows both plans side by side.
``planner backtest`` replays past weeks and prints the accuracy table.
``planner review`` compares a past week's events with their forecast and
records their measured effect in the dataset's event history.
"""

from __future__ import annotations

import argparse
import errno
import logging
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import partial
from pathlib import Path

from planner import __version__
from planner.decisions.scenario import compare_plans, plan_scenario
from planner.engine import ENGINES, plan_on_cluster, plan_with_usual_week
from planner.entry_point import EXIT_INTERRUPTED, interrupted_message, requested_language
from planner.forecasting.backtest import available_models, run_backtest
from planner.inputs import InputError, load_dataset
from planner.inputs.attendance import ATTENDANCE_CAPACITY_MULTIPLE, MAX_ATTENDANCE
from planner.inputs.tables import read_scenario
from planner.inputs.weeks import resolve_week
from planner.messages import Message, translatable
from planner.reporting import SUPPORTED_LANGUAGES, cli_messages, message_renderer, render_message, write_report
from planner.reporting.console import ConsoleFormatter
from planner.reporting.i18n import DEFAULT_LANGUAGE, translations
from planner.reporting.backtest import format_backtest_table, measure_units, metrics_by_measure, write_backtest
from planner.reporting.summary import usual_week_plan
from planner.reporting.writer import safe_folder_name
from planner.review import review_week, save_event_history, write_review
from planner.translated_parser import TranslatedArgumentParser

logger = logging.getLogger(__name__)

_PACKAGE_LOGGER = "planner"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the process exit code.

    The ``planner`` command and ``python -m planner`` start in
    :func:`planner.entry_point.main`, which imports this module and calls
    this function.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        lang = requested_language(argv)
    except ValueError as error:
        print(cli_messages(DEFAULT_LANGUAGE)("Error: {message}").format(
            message=render_message(error.args[0], DEFAULT_LANGUAGE)), file=sys.stderr)
        return 2
    message = cli_messages(lang)
    try:
        arguments = _parser(lang).parse_args(argv)
        lang = arguments.lang
        message = cli_messages(lang)
        with console_logging(lang, verbose=arguments.verbose):
            _check_output_folder(getattr(arguments, "out", None))
            return arguments.run(arguments, message)
    except KeyboardInterrupt:
        print(interrupted_message(lang), file=sys.stderr)
        return EXIT_INTERRUPTED
    except (InputError, ValueError, FileNotFoundError, ImportError) as error:
        print(message("Error: {message}").format(message=_error_text(error, lang)), file=sys.stderr)
        return 2
    except OSError as error:
        # A folder that cannot be written (a file in the way, no permission, a full disk) fails late,
        # after the computation; the message names the path so that the user can fix it.
        print(message("Error: {message}").format(message=render_message(os_error_message(error), lang)),
              file=sys.stderr)
        return 2


def os_error_message(error: OSError) -> Message:
    """Describe an error of the file system with its path and the fix, for the usual causes."""
    path = error.filename
    if path is None:
        return translatable("could not write the output: {error}", error=str(error))
    path = os.fsdecode(path)
    if error.errno in (errno.EEXIST, errno.ENOTDIR):
        return translatable("could not create the folder {path}: a file of that name is in the way; move or rename "
                            "the file, or choose another folder with --out", path=path)
    if error.errno in (errno.EACCES, errno.EPERM):
        return translatable("permission denied on {path}; choose a folder you can write to with --out, or change "
                            "the permissions", path=path)
    if error.errno == errno.ENOSPC:
        return translatable("no space left on the device of {path}; free some space, or choose another folder "
                            "with --out", path=path)
    if error.errno == errno.EROFS:
        return translatable("{path} is on a read-only file system; choose another folder with --out", path=path)
    return translatable("could not write {path}: {reason} (errno {code}); check the path, or choose another folder "
                        "with --out", path=path, reason=error.strerror or str(error), code=error.errno)


@contextmanager
def console_logging(lang: str, *, verbose: bool = False) -> Iterator[None]:
    """Show log records on standard error in ``lang`` while the block runs.

    The handler goes on the root logger, so warnings of other packages show
    too. The level is WARNING; ``verbose`` sets planner's own loggers to
    DEBUG and adds each record's logger name, while other packages stay at
    WARNING. The loggers' handlers and levels are restored on exit, so that
    ``main`` can run several times in one process, as in the tests.
    """
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(ConsoleFormatter(lang, show_names=verbose))
    # Other packages (matplotlib, PIL, WeasyPrint, fontTools) log hundreds of DEBUG lines per report.
    handler.addFilter(_own_or_warning)
    root = logging.getLogger()
    own = logging.getLogger(_PACKAGE_LOGGER)
    previous_levels = root.level, own.level
    root.setLevel(logging.WARNING)
    own.setLevel(logging.DEBUG if verbose else logging.NOTSET)
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(previous_levels[0])
        own.setLevel(previous_levels[1])


def _own_or_warning(record: logging.LogRecord) -> bool:
    """Pass planner's records at every level, and other packages' records from WARNING up."""
    own = record.name == _PACKAGE_LOGGER or record.name.startswith(_PACKAGE_LOGGER + ".")
    return own or record.levelno >= logging.WARNING


def _error_text(error: Exception, lang: str) -> str:
    """Return an error's text in ``lang``: every problem of an ``InputError``, or a translatable message."""
    if isinstance(error, InputError):
        return error.render(message_renderer(lang))
    if isinstance(error, FileNotFoundError) and error.filename:
        return render_message(translatable("file not found: {file}; check the path", file=str(error.filename)), lang)
    if error.args and isinstance(error.args[0], Message):
        return render_message(error.args[0], lang)
    return str(error)


def _check_output_folder(out: str | None) -> None:
    """Reject an output folder that cannot hold a report before any computation runs."""
    if out is None:
        return
    if not out.strip():
        raise ValueError(translatable("invalid --out ''; give a folder, such as --out reports"))
    path = os.path.abspath(out)
    while not os.path.exists(path):
        path = os.path.dirname(path)
    if not os.path.isdir(path):
        raise ValueError(translatable("invalid --out {out!r}: {path} is a file, not a folder; give a folder, such as "
                                      "--out reports", out=out, path=path))


def _report(arguments: argparse.Namespace, message) -> int:
    if arguments.scheduler and arguments.engine != "dask":
        raise ValueError(translatable("--scheduler needs --engine dask"))
    if arguments.scenario and arguments.engine == "dask":
        raise ValueError(translatable("--scenario is not available with --engine dask; run it with the local engine"))
    scenario = None
    if arguments.engine == "dask":
        plan, usual = plan_on_cluster(arguments.data, arguments.week, scheduler=arguments.scheduler)
    elif arguments.scenario:
        dataset = load_dataset(arguments.data)
        week = resolve_week(arguments.week, dataset)
        _check_report_folder(arguments.out, dataset.name, week.label)
        scenario_events, _quality = read_scenario(Path(arguments.scenario), dataset.settings, dataset.venues, week)
        without, plan, changes = plan_scenario(dataset, week, scenario_events)
        scenario = {"name": Path(arguments.scenario).name, "changes": changes,
                    "comparison": compare_plans(without, plan)}
        usual = usual_week_plan(plan)
    else:
        dataset = load_dataset(arguments.data)
        week = resolve_week(arguments.week, dataset)
        _check_report_folder(arguments.out, dataset.name, week.label)
        plan, usual = plan_with_usual_week(dataset, week)
    folder = write_report(plan, arguments.out, lang=arguments.lang, usual_staffing=usual.staffing, scenario=scenario)
    print(message("Report written to {path}").format(path=folder / "report.html"))
    if not (folder / "report.pdf").exists():
        print(message("Warning: report.pdf could not be rendered; the HTML report and the tables are written. "
                      "Run with -v for the cause."), file=sys.stderr)
        return 1
    return 0


def _check_report_folder(out: str, dataset_name: str, week_label: str) -> None:
    """Raise FileExistsError when a file is where the report's folders go, before the week is planned.

    ``write_report`` writes to ``<out>/<dataset>/<week>``, and would find
    the file only after the whole computation.
    """
    dataset_folder = Path(out) / safe_folder_name(dataset_name)
    for folder in (dataset_folder, dataset_folder / safe_folder_name(week_label)):
        if folder.exists() and not folder.is_dir():
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(folder))


def _backtest(arguments: argparse.Namespace, message) -> int:
    dataset = load_dataset(arguments.data)
    result = run_backtest(dataset, arguments.weeks, models=arguments.models,
                          progress_bar=not arguments.no_progress, progress_label=message("backtest weeks"))
    folder = write_backtest(result, dataset.name, arguments.out)
    units = measure_units(dataset.settings, arguments.lang)
    print(format_backtest_table(result.metrics, arguments.lang, units))
    if len(dataset.settings.measure_names) > 1:
        print()
        print(format_backtest_table(metrics_by_measure(result), arguments.lang, units))
    print(message("Backtest table written to {path}").format(path=folder / "backtest.csv"))
    return 0


def _review(arguments: argparse.Namespace, message) -> int:
    dataset = load_dataset(arguments.data)
    week = resolve_week(arguments.week, dataset)
    attendance = dict(arguments.attendance)
    _check_review_attendance(dataset, attendance)
    review = review_week(dataset, week, attendance=attendance)
    history = save_event_history(dataset.path, review.history, week.label)
    folder = write_review(review, arguments.out, lang=arguments.lang)
    print(message("Review written to {path}").format(path=folder / "review.html"))
    print(message("Event history updated in {path}").format(path=history))
    return 0


def _parser(lang: str) -> TranslatedArgumentParser:
    """Build the argument parser with its help and errors in ``lang``, which is also the default of ``--lang``."""
    _ = translations(lang).gettext
    parser = TranslatedArgumentParser(prog="planner", gettext=_,
                                      description=_("Planned-event capacity planner for telecom networks."))
    parser.add_argument("-v", "--verbose", action="store_true", help=_("log every step (DEBUG level)"))
    parser.add_argument("--version", action="version", version=f"planner {__version__}",
                        help=_("show the version of planner and exit"))
    parser.add_argument("--lang", choices=SUPPORTED_LANGUAGES, default=lang,
                        help=_("language of the help, the messages and the errors; a command's own --lang "
                               "gives the same choice (default: fr, or PLANNER_LANG)"))
    commands = parser.add_subparsers(required=True, metavar=_("COMMAND"))
    folder = _("FOLDER")

    report = commands.add_parser("report", help=_("plan one ISO week and write its report"),
                                 description=_("Plan one ISO week and write its report."))
    report.add_argument("--data", required=True, metavar=folder, help=_("dataset folder, such as data/milan"))
    report.add_argument("--week", required=True, metavar=_("WEEK"),
                        help=_("ISO week such as 2013-W48, or 'next' for the week after the latest data"))
    report.add_argument("--out", default="reports", metavar=folder, help=_("output folder (default: reports)"))
    report.add_argument("--lang", choices=SUPPORTED_LANGUAGES, default=lang,
                        help=_("language of the report, the help, the messages and the errors "
                               "(default: fr, or PLANNER_LANG)"))
    report.add_argument("--scenario", metavar=_("FILE"),
                        help=_("hypothetical events in the format of events.csv, added to the week; a row with an "
                               "existing event_id replaces that event. The report compares the plan with and "
                               "without them"))
    report.add_argument("--engine", choices=ENGINES, default="local",
                        help=_("where the cells are forecast: in this process (local, the default) or partitioned "
                               "across a Dask cluster (dask; needs the dask extra)"))
    report.add_argument("--scheduler", metavar=_("ADDRESS"),
                        help=_("address of a running Dask scheduler, such as tcp://10.0.0.5:8786; without it "
                               "--engine dask starts a local cluster on 127.0.0.1"))
    _add_verbose(_, report)
    report.set_defaults(run=_report)

    backtest = commands.add_parser("backtest", help=_("plan past weeks with only earlier history and score them"),
                                   description=_("Plan past weeks with only earlier history and score them."))
    backtest.add_argument("--data", required=True, metavar=folder, help=_("dataset folder, such as data/dodgers"))
    backtest.add_argument("--weeks", type=partial(_positive_int, gettext=_), default=8, metavar="N",
                          help=_("how many of the last complete weeks to replay (default: 8)"))
    backtest.add_argument("--models", nargs="+", default=["planner"], choices=list(available_models()),
                          help=_("models to compare; same_hour_last_week is always included"))
    backtest.add_argument("--out", default="reports", metavar=folder, help=_("output folder (default: reports)"))
    backtest.add_argument("--no-progress", action="store_true", help=_("hide the progress bar"))
    backtest.add_argument("--lang", choices=SUPPORTED_LANGUAGES, default=lang,
                          help=_("language of the help, the messages and the errors (default: fr, or PLANNER_LANG)"))
    _add_verbose(_, backtest)
    backtest.set_defaults(run=_backtest)

    review = commands.add_parser("review", help=_("compare a past week's events with their forecast and record them"),
                                 description=_("Compare a past week's events with their forecast and record their "
                                               "measured effect in the dataset's event history."))
    review.add_argument("--data", required=True, metavar=folder,
                        help=_("dataset folder; its history/ subfolder is updated"))
    review.add_argument("--week", required=True, metavar=_("WEEK"), help=_("past ISO week such as 2013-W47"))
    review.add_argument("--attendance", type=partial(_attendance, gettext=_), action="append", default=[],
                        metavar=_("EVENT_ID=N"),
                        help=_("actual attendance of an event, in people; repeat for several events"))
    review.add_argument("--out", default="reports", metavar=folder, help=_("output folder (default: reports)"))
    review.add_argument("--lang", choices=SUPPORTED_LANGUAGES, default=lang,
                        help=_("language of review.html, the help, the messages and the errors "
                               "(default: fr, or PLANNER_LANG)"))
    _add_verbose(_, review)
    review.set_defaults(run=_review)
    return parser


def _add_verbose(gettext: Callable[[str], str], command: argparse.ArgumentParser) -> None:
    """Accept ``-v`` after the command too, as users type ``planner report -v``."""
    # SUPPRESS leaves the attribute unset when -v is absent, so the command's default does not undo a -v
    # given before the command.
    command.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                         help=gettext("log every step (DEBUG level)"))


def _attendance(text: str, gettext: Callable[[str], str]) -> tuple[str, float]:
    """Parse ``EVENT_ID=N`` with N a whole number of people above 0, written with digits only."""
    event_id, separator, value = text.partition("=")
    value = value.strip()
    if not separator or not event_id or not (value.isascii() and value.isdigit()) or int(value) == 0:
        raise argparse.ArgumentTypeError(gettext("invalid attendance {text!r}; expected EVENT_ID=N with N a whole "
                                                 "number of people above 0, such as "
                                                 "san-siro-2013-11-23=52000").format(text=text))
    return event_id, float(value)


def _check_review_attendance(dataset, attendance: Mapping[str, float]) -> None:
    """Reject an actual attendance far above its venue's capacity, or above any real crowd.

    The review stores the attendance in the event history, from which later
    forecasts scale their uplift, so a typing error there would skew every
    later plan. Events not in the dataset are left to ``review_week``.
    """
    events = dataset.events.set_index("event_id")
    capacities = dataset.venues.set_index("venue_id")["capacity_people"] if dataset.venues is not None else None
    for event_id, value in attendance.items():
        if event_id not in events.index:
            continue
        venue_id = events.at[event_id, "venue_id"]
        capacity = float("nan")
        if capacities is not None and venue_id in capacities.index:
            capacity = float(capacities[venue_id])
        if value > ATTENDANCE_CAPACITY_MULTIPLE * capacity:
            raise ValueError(translatable(
                "invalid --attendance {event}={value:d}: more than {multiple:.0f} times the capacity of venue "
                "{venue} ({capacity:,.0f} people, capacity_people in venues.csv); check the number",
                event=event_id, value=int(value), multiple=ATTENDANCE_CAPACITY_MULTIPLE, venue=venue_id,
                capacity=capacity))
        if value > MAX_ATTENDANCE:
            raise ValueError(translatable(
                "invalid --attendance {event}={value:d}: more than {limit:,.0f} people, more than any gathering on "
                "record; check the number", event=event_id, value=int(value), limit=MAX_ATTENDANCE))


def _positive_int(text: str, gettext: Callable[[str], str]) -> int:
    try:
        value = int(text)
    except ValueError:
        message = gettext("invalid number of weeks {text!r}; expected a whole number such as 8")
        raise argparse.ArgumentTypeError(message.format(text=text)) from None
    if value < 1:
        raise argparse.ArgumentTypeError(gettext("invalid number of weeks {value}; expected 1 or more").format(value=value))
    return value


if __name__ == "__main__":
    sys.exit(main())
