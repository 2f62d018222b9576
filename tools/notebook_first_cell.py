"""The first code cell of every chapter notebook: install the course when a notebook is opened alone.

On Colab, a university JupyterHub or a downloaded copy there is no clone and no ``make``: the cell
installs the course's package pinned to this release when ``import lrcourse`` fails, and does
nothing (prints nothing, so strict nbval still passes) where the course is installed.
``tests/packaging/test_notebooks_standalone.py`` checks every notebook starts with it and that its
pin is the project's version.

Put it in (or bring it up to date) at the top of notebooks, then re-execute them::

    .venv/bin/python tools/notebook_first_cell.py notebooks/*.ipynb && make notebooks
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]

#: The cell's source. ``%pip`` installs into the running kernel's environment.
FIRST_CELL = f"""\
# Opened alone (Colab, a JupyterHub, a download)? This installs the course's package, once.
try:
    import lrcourse
except ImportError:
    %pip install --quiet "lrcourse=={VERSION}"
    import lrcourse"""

#: How an earlier version of the cell starts: it is replaced, not stacked.
MARKER = FIRST_CELL.splitlines()[0]


def put_first_cell(path: Path) -> bool:
    """Make ``FIRST_CELL`` the first code cell of the notebook at ``path``; return whether it changed."""
    notebook = nbformat.read(path, as_version=4)
    codes = [i for i, cell in enumerate(notebook.cells) if cell.cell_type == "code"]
    if codes and notebook.cells[codes[0]].source == FIRST_CELL:
        return False
    if codes and notebook.cells[codes[0]].source.startswith(MARKER):
        notebook.cells[codes[0]].source = FIRST_CELL
    else:
        cell = nbformat.v4.new_code_cell(FIRST_CELL)
        notebook.cells.insert(codes[0] if codes else len(notebook.cells), cell)
    nbformat.write(notebook, path)
    return True


def main(paths: list[str]) -> int:
    if not paths:
        print("usage: notebook_first_cell.py NOTEBOOK.ipynb ...", file=sys.stderr)
        return 2
    for name in paths:
        if put_first_cell(Path(name)):
            print(f"{name}: first cell set (re-execute it: make notebooks NB={name})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
