"""A chapter notebook works opened alone: it installs the course when missing and reads no repo file.

The first code cell comes from one place, ``tools/notebook_first_cell.py`` (put it in with that
script, then re-execute the notebooks).
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import importlib.util
import io
import tomllib
from pathlib import Path

import nbformat
import pytest
from IPython.core.inputtransformer2 import TransformerManager

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
_spec = importlib.util.spec_from_file_location(
    "notebook_first_cell", ROOT / "tools/notebook_first_cell.py"
)
assert _spec and _spec.loader
first_cell = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(first_cell)
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def code_cells(path: Path) -> list[str]:
    return [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]


def as_python(source: str) -> str:
    """Return the plain Python IPython runs for ``source`` (``%pip`` becomes a call)."""
    return TransformerManager().transform_cell(source)


def test_the_cell_pins_this_release():
    assert f'"lrcourse=={VERSION}"' in first_cell.FIRST_CELL


def test_the_cell_prints_nothing_where_the_course_is_installed():
    calls = []

    class Shell:
        def run_line_magic(self, *args):
            calls.append(args)

    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        exec(as_python(first_cell.FIRST_CELL), {"get_ipython": Shell})
    assert (out.getvalue(), calls) == ("", [])


def test_the_cell_installs_the_pinned_release_where_it_is_missing(monkeypatch):
    calls = []

    class Shell:
        def run_line_magic(self, *args):
            calls.append(args)

    real_import = builtins.__import__

    def no_course(name, *args, **kwargs):
        if name == "lrcourse" and not calls:
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_course)
    exec(as_python(first_cell.FIRST_CELL), {"get_ipython": lambda: Shell()})
    assert calls == [("pip", f'install --quiet "lrcourse=={VERSION}"')]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_notebook_starts_with_the_cell(path):
    assert code_cells(path)[0] == first_cell.FIRST_CELL, (
        f"{path.name}: run `.venv/bin/python tools/notebook_first_cell.py {path.relative_to(ROOT)}`"
        " and re-execute it"
    )


def repo_paths_named(source: str, here: Path) -> list[str]:
    """Return the string constants in ``source`` that name a file or folder of the repository."""
    named = []
    for node in ast.walk(ast.parse(as_python(source))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value.strip()
            if not text or "\n" in text or len(text) > 200 or text in {".", ".."}:
                continue
            for base in (here, ROOT):
                candidate = (base / text).resolve()
                if candidate.is_relative_to(ROOT) and candidate != ROOT and candidate.exists():
                    named.append(text)
                    break
    return named


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_notebook_reads_a_path_of_the_repository(path):
    """A notebook on Colab has no clone beside it: every file it needs comes from the package."""
    found = {text for source in code_cells(path) for text in repo_paths_named(source, path.parent)}
    assert not found, f"{path.name} names repository paths: {sorted(found)}"


def test_the_path_check_finds_a_repository_path():
    source = 'import yaml\nyaml.safe_load(open("../quizzes/01-learning-rate.yaml"))\n%ls notebooks'
    found = repo_paths_named(source, ROOT / "notebooks")
    assert sorted(found) == ["../quizzes/01-learning-rate.yaml", "notebooks"]
