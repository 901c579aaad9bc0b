"""Tests of write_report: the report folder, its CSV headers and the atomic swap."""

from __future__ import annotations

import csv
import os
import threading
import time
from pathlib import Path

import pytest

from planner.inputs.weeks import Week
from planner.reporting import html, safe_folder_name, write_report, writer

EXPECTED_HEADERS = {
    "forecast.csv": ["cell_id", "measure", "timestamp", "p10", "p50", "p90", "baseline", "actual"],
    "capacity.csv": ["cell_id", "measure", "event_id", "timestamp", "forecast_p90", "capacity", "utilisation_p90",
                     "action", "extra_units", "threshold", "extra_unit_name"],
    "staffing.csv": ["date", "shift", "role", "expected_load", "required_staff", "service_level_target",
                     "expected_service_level", "required_staff_fractional", "hours_covered", "partial_shift"],
}


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _header(path: Path) -> list[str]:
    with path.open(encoding="utf-8", newline="") as handle:
        return next(csv.reader(handle))


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def test_write_report_writes_all_files(make_plan, tmp_path):
    folder = write_report(make_plan(), tmp_path / "reports")

    assert folder == (tmp_path / "reports" / "synthetic_city" / "2013-W33").resolve()
    assert sorted(path.name for path in folder.iterdir()) == [
        "capacity.csv", "events.csv", "forecast.csv", "report.html", "report.pdf", "report.xlsx", "staffing.csv"]


def test_write_report_exact_csv_headers(make_plan, tmp_path):
    folder = write_report(make_plan(), tmp_path)

    for name, header in EXPECTED_HEADERS.items():
        assert _header(folder / name) == header, name
    events_header = _header(folder / "events.csv")
    assert events_header[:7] == ["event_id", "name", "kind", "venue_id", "venue_name", "start", "end"]
    assert {"pooling", "learned_from", "peak_uplift_ratio"} <= set(events_header)


def test_write_report_iso_times_with_offset(make_plan, tmp_path):
    folder = write_report(make_plan(), tmp_path)

    forecast = _read_csv(folder / "forecast.csv")
    assert forecast[0]["timestamp"] == "2013-08-12T00:00:00+02:00"
    assert len(forecast) == 2 * 168
    events = _read_csv(folder / "events.csv")
    assert events[0]["start"] == "2013-08-14T20:45:00+02:00"
    assert events[0]["end"] == "2013-08-14T23:00:00+02:00"
    staffing = _read_csv(folder / "staffing.csv")
    assert staffing[0]["date"] == "2013-08-12"


def test_write_report_csv_keeps_machine_values(make_plan, tmp_path):
    folder = write_report(make_plan(), tmp_path, lang="fr")

    capacity = _read_csv(folder / "capacity.csv")
    assert {row["action"] for row in capacity} == {"add", "watch", "ok"}
    staffing = _read_csv(folder / "staffing.csv")
    assert {row["role"] for row in staffing} == {"customer_care_agent", "supervision_engineer"}
    assert {row["shift"] for row in staffing} == {"night", "morning", "afternoon"}


def test_write_report_failure_keeps_previous(make_plan, tmp_path, monkeypatch):
    first = write_report(make_plan(), tmp_path)
    before = _snapshot(first)

    def broken_render(*args, **kwargs):
        raise RuntimeError("injected rendering failure")

    monkeypatch.setattr(html, "render_html", broken_render)
    with pytest.raises(RuntimeError, match="injected rendering failure"):
        write_report(make_plan(event_name="Another match"), tmp_path)

    assert _snapshot(first) == before
    assert sorted(path.name for path in first.parent.iterdir()) == ["2013-W33"]


def test_write_report_failure_without_previous(make_plan, tmp_path, monkeypatch):
    def broken_render(*args, **kwargs):
        raise RuntimeError("injected rendering failure")

    monkeypatch.setattr(html, "render_html", broken_render)
    with pytest.raises(RuntimeError):
        write_report(make_plan(), tmp_path)

    assert list((tmp_path / "synthetic_city").iterdir()) == []


def test_write_report_replaces_earlier_report(make_plan, tmp_path):
    write_report(make_plan(event_name="First match"), tmp_path)
    folder = write_report(make_plan(event_name="Second match"), tmp_path)

    assert _read_csv(folder / "events.csv")[0]["name"] == "Second match"
    assert "Second match" in (folder / "report.html").read_text(encoding="utf-8")
    assert sorted(path.name for path in folder.parent.iterdir()) == ["2013-W33"]


def test_write_report_concurrent_runs_never_mix(make_plan, tmp_path):
    plans = [make_plan(event_name=f"Match {index}") for index in range(3)]
    errors: list[BaseException] = []

    def run(plan):
        try:
            write_report(plan, tmp_path)
        except BaseException as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(plan,)) for plan in plans]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    folder = tmp_path / "synthetic_city" / "2013-W33"
    name = _read_csv(folder / "events.csv")[0]["name"]
    assert name in {"Match 0", "Match 1", "Match 2"}
    assert f"<h3>{name}</h3>" in (folder / "report.html").read_text(encoding="utf-8")
    assert sorted(path.name for path in folder.parent.iterdir()) == ["2013-W33"]


@pytest.mark.parametrize("dataset_name", ["../escape", "../../etc", "/absolute/path", "..", "a/../../b"])
def test_write_report_dataset_name_stays_inside(make_plan, tmp_path, dataset_name):
    out_dir = tmp_path / "reports"
    try:
        folder = write_report(make_plan(dataset_name=dataset_name), out_dir)
    except ValueError as error:
        assert "dataset name" in str(error)
        return
    assert folder.resolve().is_relative_to(out_dir.resolve())
    assert folder.parent.parent == out_dir.resolve()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["reports", "settings"]


def test_safe_folder_name_cleans_traversal():
    assert safe_folder_name("../escape") == "_escape"
    assert safe_folder_name("2013-W33") == "2013-W33"
    assert safe_folder_name("a/../../b") == "a_.._.._b"
    with pytest.raises(ValueError, match="invalid week label '..'"):
        safe_folder_name("..", "week label")


def test_write_report_week_label_stays_inside(make_plan, tmp_path):
    class HostileWeek(Week):
        @property
        def label(self) -> str:
            return "../../outside"

    plan = make_plan(week=HostileWeek(2013, 33, make_plan().dataset.timezone))
    folder = write_report(plan, tmp_path / "reports")

    assert folder == (tmp_path / "reports" / "synthetic_city" / "_.._outside").resolve()
    assert not (tmp_path / "outside").exists()


def test_write_report_rejects_unknown_language(make_plan, tmp_path):
    with pytest.raises(ValueError, match="supported languages: fr, en"):
        write_report(make_plan(), tmp_path, lang="de")
    assert not (tmp_path / "synthetic_city").exists()


def test_swap_in_retires_report_of_racing_run(tmp_path, monkeypatch):
    staging = tmp_path / ".2013-W33.staging"
    staging.mkdir()
    (staging / "report.html").write_text("ours", encoding="utf-8")
    target = tmp_path / "2013-W33"
    real_rename = os.rename
    raced = []

    def rename_after_other_run(source, destination):
        # Another run swaps its report in just before this run renames its staging folder.
        if Path(source) == staging and not raced:
            raced.append(True)
            target.mkdir()
            (target / "report.html").write_text("theirs", encoding="utf-8")
        real_rename(source, destination)

    monkeypatch.setattr(writer.os, "rename", rename_after_other_run)
    writer._swap_in(staging, target)

    assert raced == [True]
    assert (target / "report.html").read_text(encoding="utf-8") == "ours"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["2013-W33"]


@pytest.mark.parametrize("failure", [RuntimeError("injected failure"), KeyboardInterrupt()],
                         ids=["error", "interrupt"])
def test_staged_folder_failure_keeps_target(tmp_path, failure):
    target = tmp_path / "out" / "2013-W33"
    target.mkdir(parents=True)
    (target / "report.html").write_text("previous", encoding="utf-8")

    with pytest.raises(type(failure)):
        with writer.staged_folder(target) as staging:
            (staging / "report.html").write_text("half written", encoding="utf-8")
            raise failure

    assert (target / "report.html").read_text(encoding="utf-8") == "previous"
    assert sorted(path.name for path in target.parent.iterdir()) == ["2013-W33"]


def test_staged_folder_replaces_target(tmp_path):
    target = tmp_path / "out" / "2013-W33"
    target.mkdir(parents=True)
    (target / "old.csv").write_text("old", encoding="utf-8")

    with writer.staged_folder(target, sync_files=True) as staging:
        assert staging.parent == target.parent
        assert staging.name.startswith(".2013-W33.")
        (staging / "report.html").write_text("new", encoding="utf-8")

    assert sorted(path.name for path in target.iterdir()) == ["report.html"]
    assert (target / "report.html").read_text(encoding="utf-8") == "new"
    assert oct(target.stat().st_mode & 0o777) == "0o755"
    assert sorted(path.name for path in target.parent.iterdir()) == ["2013-W33"]


def test_staged_folder_target_file_rejected(tmp_path):
    target = tmp_path / "2013-W33"
    target.write_text("in the way", encoding="utf-8")

    with pytest.raises(NotADirectoryError, match="is a file, not a report folder"):
        with writer.staged_folder(target) as staging:
            (staging / "report.html").write_text("new", encoding="utf-8")

    assert target.read_text(encoding="utf-8") == "in the way"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["2013-W33"]


def test_staged_folder_removes_stale_staging(tmp_path):
    target = tmp_path / "2013-W48"
    hour_ago = time.time() - 3700.0
    stale = tmp_path / ".2013-W48.k1ll3d0x"
    stale.mkdir()
    (stale / "forecast.csv").write_text("partial", encoding="utf-8")
    os.utime(stale, (hour_ago, hour_ago))
    recent = tmp_path / ".2013-W48.running1"
    recent.mkdir()
    other_target = tmp_path / ".2013-W48-review.k1ll3d0x"
    other_target.mkdir()
    os.utime(other_target, (hour_ago, hour_ago))

    with writer.staged_folder(target) as staging:
        (staging / "report.html").write_text("new", encoding="utf-8")

    assert not stale.exists()
    assert recent.is_dir()
    assert other_target.is_dir()
    assert (target / "report.html").read_text(encoding="utf-8") == "new"
