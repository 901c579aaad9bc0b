"""Render report.html in headless Chromium: every image loads, no text overflows, and a screenshot is kept.

Chromium is Debian's ``chromium`` package. When ``/usr/bin/chromium`` is
missing and the tests run as root, the fixture installs it with apt-get;
otherwise the tests are skipped with the reason. Chromium runs with no
network access of its own (background networking, component updates and
sync are off) and a fresh profile folder, on a page that references no URL.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from planner.decisions.plan import plan_week
from planner.inputs import load_dataset
from planner.inputs.weeks import resolve_week
from planner.reporting import summary, write_report

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "tests" / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
                  "--hide-scrollbars")
TIMEOUT_SECONDS = 120

# Marks each broken image and each table cell whose text is wider than the cell, then writes the
# result as JSON into an element that --dump-dom prints.
CHECK_SCRIPT = """
<script>
window.addEventListener("load", function () {
  var images = Array.from(document.images);
  var broken = images.filter(function (image) { return !(image.complete && image.naturalWidth > 0); })
                     .map(function (image) { return image.alt; });
  var overflowing = Array.from(document.querySelectorAll("th, td, h1, h2, h3, p, li, figcaption"))
    .filter(function (element) { return element.scrollWidth > element.clientWidth + 1; })
    .map(function (element) { return element.tagName + ": " + element.textContent.trim().slice(0, 80); });
  var page = document.documentElement;
  var result = document.createElement("pre");
  result.id = "layout-check";
  result.textContent = JSON.stringify({images: images.length, broken: broken, overflowing: overflowing,
                                       pageOverflow: page.scrollWidth > page.clientWidth + 1});
  document.body.appendChild(result);
});
</script>
"""


@pytest.fixture(scope="module")
def chromium() -> Path:
    """Return Chromium's path, installing Debian's package when it is missing and the user is root."""
    if not CHROMIUM.exists():
        if os.geteuid() != 0 or shutil.which("apt-get") is None:
            pytest.skip("Chromium is not installed at /usr/bin/chromium and installing it needs root and apt-get")
        install = subprocess.run(["sh", "-c", "apt-get update -qq && apt-get install -y -qq chromium"],
                                 capture_output=True, text=True, timeout=900)
        if install.returncode != 0 or not CHROMIUM.exists():
            pytest.skip(f"installing Debian's chromium failed: {install.stderr.strip()[-500:]}")
    return CHROMIUM


@pytest.fixture(scope="module")
def report_folder(tmp_path_factory) -> Path:
    """Write the French report of the San Siro match week of 23 November 2013."""
    dataset = load_dataset(REPO / "data" / "san-siro")
    plan = plan_week(dataset, resolve_week("2013-W47", dataset))
    usual = summary.usual_week_plan(plan)
    return write_report(plan, tmp_path_factory.mktemp("reports"), "fr", with_pdf=False,
                        usual_staffing=usual.staffing)


def _run_chromium(chromium: Path, profile: Path, *arguments: str) -> subprocess.CompletedProcess:
    command = [str(chromium), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *arguments]
    return subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS)


def test_report_layout_in_chromium(chromium, report_folder, tmp_path):
    page = (report_folder / "report.html").read_text(encoding="utf-8")
    checked_page = tmp_path / "report-checked.html"
    checked_page.write_text(page.replace("</body>", CHECK_SCRIPT + "</body>"), encoding="utf-8")

    result = _run_chromium(chromium, tmp_path / "profile", "--window-size=1280,900",
                           "--virtual-time-budget=10000", "--dump-dom", checked_page.as_uri())

    assert result.returncode == 0, result.stderr[-2000:]
    match = re.search(r'<pre id="layout-check">(.*?)</pre>', result.stdout, re.S)
    assert match is not None, "the layout check script did not run"
    check = json.loads(match.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert check["images"] >= 1
    assert check["broken"] == []
    assert check["overflowing"] == []
    assert check["pageOverflow"] is False


def test_report_screenshot_in_chromium(chromium, report_folder, tmp_path):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    screenshot = ARTIFACTS / "report-fr.png"
    screenshot.unlink(missing_ok=True)

    result = _run_chromium(chromium, tmp_path / "profile", "--window-size=1280,4000",
                           f"--screenshot={screenshot}", (report_folder / "report.html").as_uri())

    assert result.returncode == 0, result.stderr[-2000:]
    data = screenshot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1280, 4000)
    # A blank page compresses to a few kilobytes; text and plots make it far larger.
    assert len(data) > 100_000
