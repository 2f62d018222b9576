"""Committed notebooks open and run in a fresh JupyterLab without a "Select Kernel" dialog, and
carry nothing that belongs to one author's session (widget state, jupytext pairing)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def test_there_are_chapter_notebooks():
    assert len(NOTEBOOKS) >= 8


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_a_notebook_names_the_python3_kernel(path):
    kernelspec = nbformat.read(path, as_version=4).metadata.get("kernelspec", {})
    assert kernelspec.get("name") == "python3", f"{path.name}: run `make notebooks NB={path}`"
    assert kernelspec.get("language") == "python"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_a_notebook_carries_no_session_metadata(path):
    metadata = nbformat.read(path, as_version=4).metadata
    assert "widgets" not in metadata
    assert "jupytext" not in metadata


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_a_notebook_stores_no_cell_run_times(path):
    cells = nbformat.read(path, as_version=4).cells
    timed = [index for index, cell in enumerate(cells) if "execution" in cell.metadata]
    assert timed == [], f"{path.name}: cells {timed[:5]} carry run times; run `make notebooks`"
