"""``lrcourse validate``: a student checks a notebook's form before handing it in (no keys).

The checks are the ones grading applies before it looks at a key: the file is a notebook, every
answer cell is there once, was changed, parses, and holds an answer of the right form (an option
key that exists, a list of option keys, a plain number, text, code that parses). The release
records the form in each answer cell's metadata (``type`` and, for choices, the option keys:
public facts the prompt shows anyway). Nothing here knows a key, so validating says nothing
about right or wrong.

Which answer cells there must be is not read from the answer cells that are left (a deleted one
would go uncounted: "6 of 6 ready" for a notebook missing one of 7): it is the release's list of
question ids (``metadata.lrcourse.questions``), the locked prompt cells, and, when the
instructor passes it, the assignment's manifest. Each expected question without its answer
cell is a line to fix.
"""

from __future__ import annotations

import ast
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lrcourse.grading.collect import answer_cells, cell_source, literal_answer, load_notebook
from lrcourse.grading.intake import MAX_NOTEBOOK_BYTES, read_regular
from lrcourse.grading.manifest import AssignmentError, Manifest, source_checksum

_FORMS = {
    "single": 'one option key in quotes, e.g. answer = "a"',
    "multiple": 'a list of option keys, e.g. answer = ["a", "c"]',
    "numeric": "a plain number, e.g. answer = 0.05 (not an expression such as 0.1 * 0.5)",
    "predict": "the printed text between the triple quotes",
    "explain": "your explanation as text between the triple quotes",
}


@dataclass(frozen=True)
class CellCheck:
    """The verdict on one answer cell's form: the question, ok or not, and what to fix."""

    question_id: str
    ok: bool
    message: str


def _form_problem(kind: str, value: Any, options: list[str] | None) -> str | None:
    if kind == "single":
        if not isinstance(value, str):
            return f"write {_FORMS[kind]}"
        if options and value not in options:
            return f"{value!r} is not an option key; the keys are {', '.join(options)}"
    elif kind == "multiple":
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            return f"write {_FORMS[kind]}"
        unknown = [v for v in value if options and v not in options]
        if unknown:
            return f"{unknown[0]!r} is not an option key; the keys are {', '.join(options or [])}"
    elif kind == "numeric":
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                return f"write {_FORMS[kind]}"
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"write {_FORMS[kind]}"
        if not math.isfinite(value):
            return "the number must be finite"
    elif kind in ("predict", "explain") and (not isinstance(value, str) or not value.strip()):
        return f"write {_FORMS[kind]}"
    return None


def check_cell(question_id: str, cells: list[dict[str, Any]]) -> CellCheck:
    """Return the verdict on the answer cell(s) marked for ``question_id``."""
    if len(cells) > 1:
        return CellCheck(question_id, False, f"{len(cells)} answer cells; keep exactly one")
    cell = cells[0]
    marker = cell["metadata"]["lrcourse"]
    source = cell_source(cell)
    if source is None:
        return CellCheck(question_id, False, "the cell's source is not text")
    if marker.get("checksum") == source_checksum(source):
        return CellCheck(question_id, False, "not answered yet (the cell is as released)")
    kind = marker.get("type")
    if kind in ("code", "fix-loop"):
        try:
            ast.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
            line = getattr(error, "lineno", None)
            return CellCheck(question_id, False, f"the code does not parse (line {line}): {error}")
        return CellCheck(question_id, True, "code parses")
    value, problem = literal_answer(source)
    if problem is not None:
        hint = f"; write {_FORMS[kind]}" if kind in _FORMS else ""
        return CellCheck(question_id, False, problem + hint)
    if kind is None:
        return CellCheck(question_id, True, "a plain value (this release does not say its form)")
    form = _form_problem(kind, value, marker.get("options"))
    return CellCheck(question_id, form is None, form or f"a {kind} answer of the right form")


def expected_questions(notebook: dict[str, Any], manifest: Manifest | None = None) -> list[str]:
    """Return the question ids the notebook must answer, in release order.

    From the manifest when given, else the release's own list and its prompt cells (a student
    can delete an answer cell but not the list or a locked prompt cell by accident).
    """
    if manifest is not None:
        return [slot.question_id for slot in manifest.slots]
    found: list[str] = []
    metadata = notebook.get("metadata")
    marker = metadata.get("lrcourse") if isinstance(metadata, dict) else None
    listed = marker.get("questions") if isinstance(marker, dict) else None
    if isinstance(listed, list):
        found += [q for q in listed if isinstance(q, str)]
    for cell in notebook.get("cells", []):
        cell_metadata = cell.get("metadata") if isinstance(cell, dict) else None
        cell_marker = cell_metadata.get("lrcourse") if isinstance(cell_metadata, dict) else None
        if isinstance(cell_marker, dict) and cell_marker.get("role") == "prompt":
            question_id = cell_marker.get("question")
            if isinstance(question_id, str):
                found.append(question_id)
    return list(dict.fromkeys(found))


def validate_notebook(path: Path, manifest: Manifest | None = None) -> list[CellCheck]:
    """Return one verdict per expected question (see :func:`expected_questions`) and answer cell.

    A question the release asks with no answer cell is a verdict to fix (its cell was deleted
    or re-created); an answer cell of a question the assignment does not ask is one too.
    Raises :class:`AssignmentError` when the file is not a readable notebook with answer cells.
    """
    data, _, problem = read_regular(os.fspath(path), None, MAX_NOTEBOOK_BYTES)
    if data is None:
        raise AssignmentError(f"{path}: {problem}")
    notebook, problem = load_notebook(data)
    if notebook is None:
        raise AssignmentError(f"{path}: {problem}")
    cells = answer_cells(notebook)
    if not cells:
        raise AssignmentError(
            f"{path}: no answer cells (is this the notebook you were given? answer cells must "
            "not be deleted or re-created)"
        )
    expected = expected_questions(notebook, manifest)
    checks = []
    for question_id in expected:
        if question_id in cells:
            checks.append(check_cell(question_id, cells[question_id]))
        else:
            checks.append(
                CellCheck(
                    question_id,
                    False,
                    "its answer cell is missing (deleted, or re-created without its marks): take "
                    "a fresh copy of the notebook you were given and copy your answers into it",
                )
            )
    for question_id, found in cells.items():
        if question_id in expected:
            continue
        check = check_cell(question_id, found)
        if expected:
            check = CellCheck(question_id, False, "not a question of this assignment's release")
        checks.append(check)
    return checks
