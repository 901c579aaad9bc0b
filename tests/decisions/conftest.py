"""Fixtures shared by the decisions tests."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from planner.inputs.settings import (
    DEFAULT_SHIFTS,
    CapacitySettings,
    Measure,
    Settings,
    StaffingSettings,
)

SHARED_DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


@pytest.fixture(scope="session")
def erlang_reference_dir() -> Path:
    """Folder of the published Erlang B and Erlang C reference values."""
    folder = SHARED_DATA / "erlang_reference"
    if not folder.is_dir():
        pytest.skip(f"reference data not found at {folder}")
    return folder


def make_settings(capacity: CapacitySettings | None = None, staffing: StaffingSettings | None = None,
                  timezone: str = "Europe/Paris") -> Settings:
    """Build synthetic settings with two measures, ``calls`` and ``data_mb``."""
    return Settings(
        name="synthetic", title="Synthetic", timezone=ZoneInfo(timezone), country="FR", subdivision="",
        step_minutes=60,
        measures=(Measure("calls", "calls", "volume"), Measure("data_mb", "MB", "volume")),
        capacity=capacity or CapacitySettings(),
        staffing=staffing or StaffingSettings(shifts=DEFAULT_SHIFTS),
    )
