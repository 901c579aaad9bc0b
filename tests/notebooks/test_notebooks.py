"""Run every notebook of notebooks/ with papermill on the bundled data, and check they are stored without outputs."""

from __future__ import annotations

from pathlib import Path

import nbformat
import papermill
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
NOTEBOOK_NAMES = ["explore_dataset", "past_events", "backtest", "weekly_report"]


def _run(name: str, tmp_path: Path, **parameters) -> nbformat.NotebookNode:
    output = tmp_path / f"{name}.ipynb"
    # The kernel is the python3 kernel of the interpreter running the tests, so it imports the installed planner.
    papermill.execute_notebook(str(NOTEBOOKS / f"{name}.ipynb"), str(output), parameters=parameters,
                               kernel_name="python3", cwd=str(NOTEBOOKS), progress_bar=False)
    return nbformat.read(output, as_version=4)


def test_notebooks_all_present():
    assert sorted(path.stem for path in NOTEBOOKS.glob("*.ipynb")) == sorted(NOTEBOOK_NAMES)


@pytest.mark.parametrize("name", NOTEBOOK_NAMES)
def test_notebook_stored_without_outputs(name):
    notebook = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]

    assert all(cell.outputs == [] for cell in code_cells)
    assert all(cell.execution_count is None for cell in code_cells)
    assert "parameters" in code_cells[0].metadata.get("tags", [])


def test_explore_dataset_notebook_runs(tmp_path):
    notebook = _run("explore_dataset", tmp_path, dataset_path="../data/san-siro")
    texts = "".join(str(output) for cell in notebook.cells for output in cell.get("outputs", []))
    assert "rows_rejected" in texts
    assert "mean_per_hour" in texts


def test_past_events_notebook_runs(tmp_path):
    notebook = _run("past_events", tmp_path, dataset_path="../data/san-siro", max_weeks=2)
    texts = "".join(str(output) for cell in notebook.cells for output in cell.get("outputs", []))
    assert "san-siro-2013-11-23" in texts
    assert "uplift ratio - 1 =" in texts


def test_backtest_notebook_runs(tmp_path):
    notebook = _run("backtest", tmp_path, dataset_path="../data/san-siro", weeks=1)
    texts = "".join(str(output) for cell in notebook.cells for output in cell.get("outputs", []))
    assert "same_hour_last_week" in texts
    assert "event_windows" in texts
    # The kernel has no ipywidgets, so the progress bar must not reach for the notebook widget and warn.
    assert "IProgress not found" not in texts


def test_weekly_report_notebook_runs(tmp_path):
    out_dir = tmp_path / "reports"
    _run("weekly_report", tmp_path, dataset_path="../data/san-siro", week="2013-W47", language="en",
         out_dir=str(out_dir), with_pdf=False)

    folder = out_dir / "san-siro" / "2013-W47"
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in page
    assert "Staffing changes against the usual week" in page
    assert (folder / "report.xlsx").exists()
