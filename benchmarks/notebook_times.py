"""Seconds per chapter notebook, executed top to bottom in a fresh kernel, and its slowest cell.

Each notebook runs as the book build runs it (nbclient, one kernel per notebook, working folder
``notebooks/``). The device the demos train on is whatever :func:`lrcourse.pick_device` picks in
that kernel (``LRCOURSE_DEVICE`` overrides it); it is read from the kernel and printed.

Run: ``.venv/bin/python benchmarks/notebook_times.py [NOTEBOOK ...]``
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import nbformat
import yaml
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
#: The book's cell timeout, so a notebook that passes here passes the book build.
CELL_TIMEOUT_SECONDS = yaml.safe_load((ROOT / "_config.yml").read_text())["execute"]["timeout"]
DEVICE_CELL = "import lrcourse; print('device:', lrcourse.pick_device())"
#: What a chapter may take, top to bottom on a 2-core CPU machine (issue 25): the baseline.
BUDGET_SECONDS = 30.0


class TimedClient(NotebookClient):
    """An nbclient that records each cell's seconds and first line in ``cell_seconds``."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.cell_seconds: list[tuple[float, str]] = []

    async def async_execute_cell(self, cell, cell_index, *args, **kwargs):  # type: ignore[override]
        start = time.perf_counter()
        result = await super().async_execute_cell(cell, cell_index, *args, **kwargs)
        first_line = cell.source.splitlines()[0] if cell.source else ""
        self.cell_seconds.append((time.perf_counter() - start, first_line))
        return result


def run_notebook(path: Path) -> tuple[float, float, str, str]:
    """Execute ``path``; return (wall s, slowest cell s, that cell's first line, device)."""
    notebook = nbformat.read(path, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(DEVICE_CELL))
    client = TimedClient(
        notebook,
        timeout=CELL_TIMEOUT_SECONDS,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    client.execute()
    wall = time.perf_counter() - start
    device_output = notebook.cells[-1].outputs[0]["text"].strip()
    slowest, first_line = max(client.cell_seconds)
    return wall, slowest, first_line[:50], device_output.removeprefix("device: ")


def main() -> None:
    """Execute each notebook and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    args = parser.parse_args()
    paths = args.notebooks or sorted(NOTEBOOKS.glob("*.ipynb"))
    print(
        f"{'notebook':<34}  {'device':<6}  {'wall s':>6}  {'budget s':>8}  {'slowest cell s':>14}"
        "  slowest cell"
    )
    over = []
    for path in paths:
        wall, slowest, first_line, device = run_notebook(path)
        print(
            f"{path.name:<34}  {device:<6}  {wall:>6.1f}  {BUDGET_SECONDS:>8.0f}  {slowest:>14.2f}"
            f"  {first_line}"
        )
        if wall > BUDGET_SECONDS:
            over.append(path.name)
    print("over budget:", ", ".join(over) if over else "none")


if __name__ == "__main__":
    main()
