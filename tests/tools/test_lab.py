"""`make lab` opens clean copies (no outputs: predictions are not answered on screen), keeps a
learner's copy, and starts as root."""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("lab", ROOT / "tools" / "lab.py")
lab = importlib.util.module_from_spec(spec)
spec.loader.exec_module(lab)


def test_copies_have_no_outputs_and_a_learners_copy_is_never_overwritten(tmp_path):
    source = tmp_path / "notebooks"
    source.mkdir()
    chapter = ROOT / "notebooks" / "01_learning_rate.ipynb"
    shutil.copy(chapter, source / chapter.name)
    copies = tmp_path / "lab"
    assert lab.make_copies(source, copies) == [
        f"lab/{chapter.name}: new clean copy (outputs cleared)"
    ]
    executed = nbformat.read(chapter, as_version=4)
    clean = nbformat.read(copies / chapter.name, as_version=4)
    assert any(cell.get("outputs") for cell in executed.cells)  # the committed chapter is executed
    code = [cell for cell in clean.cells if cell.cell_type == "code"]
    assert code and all(c.outputs == [] and c.execution_count is None for c in code)
    assert [c.source for c in clean.cells] == [c.source for c in executed.cells]
    assert (copies / ".gitignore").read_text().splitlines()[-1] == "*"

    mine = copies / chapter.name
    work = clean
    work.cells[0].source += "\n\nMy notes."  # the learner's work
    nbformat.write(work, mine)
    kept = mine.read_text()
    later = mine.stat().st_mtime + 10
    os.utime(source / chapter.name, (later, later))  # the chapter changes after the copy
    (line,) = lab.make_copies(source, copies)
    assert "kept (your copy)" in line and mine.read_text() == kept


def test_lab_starts_as_root_on_the_copies():
    as_root = lab.lab_command([], root=True)
    assert "--allow-root" in as_root and as_root[-1] == str(lab.COPIES)
    assert "--allow-root" not in lab.lab_command([], root=False)
