"""Fixtures shared by the decisions tests."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


@pytest.fixture(scope="session")
def erlang_reference_dir() -> Path:
    """Folder of the published Erlang B and Erlang C reference values."""
    folder = SHARED_DATA / "erlang_reference"
    if not folder.is_dir():
        pytest.skip(f"reference data not found at {folder}")
    return folder
