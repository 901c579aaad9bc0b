"""Shared fixtures: paths to the bundled and shared data sets, and synthetic dataset folders."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BUNDLED_DATA = REPO / "data"
SHARED_DATA = REPO / ".." / "shared" / "data"
BAD_DATA = REPO / "tests" / "data" / "bad"
VALID_COMPANIONS = ("settings.toml", "traffic.csv", "cells.csv", "venues.csv", "events.csv")


@pytest.fixture
def bundled_folder() -> Callable[[str], Path]:
    """Return a function that gives the path of a bundled dataset, skipping while it is absent."""
    def folder(name: str) -> Path:
        path = BUNDLED_DATA / name
        if not (path / "settings.toml").is_file():
            pytest.skip(f"bundled dataset data/{name} is not there yet")
        return path
    return folder


@pytest.fixture
def shared_data() -> Path:
    """Return the folder of the public source data sets, skipping when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip("the shared source data sets are not next to the repository")
    return SHARED_DATA.resolve()


@pytest.fixture
def bad_data() -> Path:
    """Return the folder of invalid input files and their valid companions."""
    return BAD_DATA


@pytest.fixture
def dataset_folder(tmp_path: Path) -> Callable[..., Path]:
    """Return a function that writes a synthetic dataset folder.

    The folder starts as a copy of the valid files in ``tests/data/bad``.
    Each keyword argument replaces one file by its text: ``traffic=...``
    writes ``traffic.csv`` and ``settings=...`` writes ``settings.toml``.
    """
    def write(**files: str) -> Path:
        folder = tmp_path / "dataset"
        folder.mkdir(exist_ok=True)
        for name in VALID_COMPANIONS:
            shutil.copy(BAD_DATA / name, folder / name)
        for stem, text in files.items():
            name = "settings.toml" if stem == "settings" else f"{stem}.csv"
            (folder / name).write_text(text, encoding="utf-8")
        return folder
    return write
