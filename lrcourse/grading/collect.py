"""Read handed-in notebooks without trusting them: only the answer cells' text is used.

A notebook is never executed and never imported. Its bytes are size-checked before they are
read, decoded as UTF-8, parsed as JSON and searched for the answer cells the release marked
(``metadata.lrcourse.question`` on a code cell). From each answer cell only the source text is
taken: code questions get it as code (run later in the sandbox); every other type reads the
value assigned to ``answer`` with :func:`ast.literal_eval`, so nothing in the file runs here.
Everything else in the file (outputs, other cells, metadata, a forged "grade") is ignored.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lrcourse.grading.intake import MAX_NOTEBOOK_BYTES, read_regular
from lrcourse.grading.manifest import Manifest, source_checksum

#: An answer cell longer than this is not graded.
MAX_ANSWER_CHARS = 100_000
CODE_TYPES = ("code", "fix-loop")


@dataclass(frozen=True)
class Answer:
    """One question's answer as read from the notebook, or the problem that stopped reading it."""

    question_id: str
    value: Any = None
    source: str = ""
    problem: str | None = None


@dataclass(frozen=True)
class Submission:
    """One student's handed-in file: who, which bytes (sha256), and the answers found in it."""

    student: str
    path: Path
    content_hash: str
    answers: dict[str, Answer] = field(default_factory=dict)
    problem: str | None = None
    #: The student a per-student release was written for (``metadata.lrcourse.student``).
    released_to: str | None = None
    #: The assignment the notebook was released for (``metadata.lrcourse.assignment``).
    released_for: str | None = None


def load_notebook(data: bytes) -> tuple[dict[str, Any] | None, str | None]:
    """Return the parsed notebook, or None and why it cannot be read."""
    if len(data) > MAX_NOTEBOOK_BYTES:
        return None, (
            f"the file is {len(data) / 1e6:.1f} MB; notebooks over "
            f"{MAX_NOTEBOOK_BYTES / 1e6:.0f} MB are not graded"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        return None, f"the file is not UTF-8 text (byte {error.start}): not a saved notebook"
    try:
        notebook = json.loads(text)
    except (ValueError, RecursionError) as error:
        return None, f"the file is not valid notebook JSON ({str(error)[:80]})"
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        return None, "the file has no list of cells: not a Jupyter notebook"
    return notebook, None


def cell_source(cell: dict[str, Any]) -> str | None:
    source = cell.get("source", "")
    if isinstance(source, list) and all(isinstance(part, str) for part in source):
        return "".join(source)
    return source if isinstance(source, str) else None


def answer_cells(notebook: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    cells: dict[str, list[dict[str, Any]]] = {}
    for cell in notebook["cells"]:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        metadata = cell.get("metadata")
        marker = metadata.get("lrcourse") if isinstance(metadata, dict) else None
        if isinstance(marker, dict) and marker.get("role") == "answer":
            question_id = marker.get("question")
            if isinstance(question_id, str):
                cells.setdefault(question_id, []).append(cell)
    return cells


def literal_answer(source: str) -> tuple[Any, str | None]:
    """Return the value the cell assigns to ``answer`` (a literal), without running anything."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
        return None, f"the answer cell is not valid Python ({type(error).__name__})"
    value_node = None
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "answer" for target in node.targets
        ):
            value_node = node.value
    if value_node is None:
        return None, "the answer cell no longer sets `answer = ...`"
    try:
        value = ast.literal_eval(value_node)
    except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
        return None, "`answer` must be a plain value (text, number or list), not an expression"
    kind = unstorable(value)
    if kind is not None:
        return None, f"`answer` must be text, a number, or a list of them; it is {kind}"
    return value, None


def unstorable(value: Any, depth: int = 0) -> str | None:
    """Return what in ``value`` JSON cannot hold (a set, bytes, a complex number, a dict with
    keys that are not all text, a lone surrogate), or None when it can be stored as it is."""
    if depth > 50:
        return "nested too deeply"
    if value is None or isinstance(value, bool | int | float):
        if isinstance(value, int) and value.bit_length() > 13_000:  # str() refuses ~4300 digits
            return "an integer with thousands of digits"
        return None
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "text with a lone surrogate (not valid Unicode)"
        return None
    if isinstance(value, list | tuple):
        return next((k for k in (unstorable(v, depth + 1) for v in value) if k), None)
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            return "a dict whose keys are not all text"
        items = [*value.keys(), *value.values()]
        return next((k for k in (unstorable(v, depth + 1) for v in items) if k), None)
    return f"a {type(value).__name__} ({'{...}' if isinstance(value, set | frozenset) else 'not text or a number'})"


def read_answer(
    slot_type: str, question_id: str, cells: list[dict[str, Any]], checksum: str
) -> Answer:
    """Return the answer in ``cells`` (the cells marked for one question), or why there is none."""
    if not cells:
        return Answer(question_id, problem="no answer cell for this question (deleted?)")
    if len(cells) > 1:
        return Answer(
            question_id, problem=f"{len(cells)} answer cells for this question; keep exactly one"
        )
    source = cell_source(cells[0])
    if source is None:
        return Answer(question_id, problem="the answer cell's source is not text")
    if len(source) > MAX_ANSWER_CHARS:
        return Answer(question_id, problem=f"the answer is over {MAX_ANSWER_CHARS} characters")
    if unstorable(source) is not None:
        shown = source.encode("utf-8", "backslashreplace").decode("utf-8")
        return Answer(
            question_id,
            source=shown,
            problem="the answer cell holds a lone surrogate (not valid Unicode text); retype it",
        )
    if source_checksum(source) == checksum:
        return Answer(question_id, source=source, problem="not answered (the cell is as released)")
    if slot_type in CODE_TYPES:
        return Answer(question_id, source=source)
    value, problem = literal_answer(source)
    return Answer(question_id, value=value, source=source, problem=problem)


def parse_submission(data: bytes, label: str, student: str, manifest: Manifest) -> Submission:
    """Return what ``student`` handed in as ``data`` (the file's bytes): the answers found."""
    content_hash = hashlib.sha256(data).hexdigest()
    notebook, problem = load_notebook(data)
    if notebook is None:
        return Submission(student, Path(label), content_hash, problem=problem)
    metadata = notebook.get("metadata")
    marker = metadata.get("lrcourse") if isinstance(metadata, dict) else None
    released_to = marker.get("student") if isinstance(marker, dict) else None
    released_for = marker.get("assignment") if isinstance(marker, dict) else None
    cells = answer_cells(notebook)
    answers = {
        slot.question_id: read_answer(
            slot.type, slot.question_id, cells.get(slot.question_id, []), slot.checksum
        )
        for slot in manifest.slots
    }
    return Submission(
        student,
        Path(label),
        content_hash,
        answers,
        released_to=released_to if isinstance(released_to, str) else None,
        released_for=released_for if isinstance(released_for, str) else None,
    )


def released_for(data: bytes | None) -> str | None:
    """Return the assignment a handed-in notebook was released for, if it says (no checks)."""
    if data is None:
        return None
    notebook, _ = load_notebook(data)
    metadata = notebook.get("metadata") if notebook else None
    marker = metadata.get("lrcourse") if isinstance(metadata, dict) else None
    found = marker.get("assignment") if isinstance(marker, dict) else None
    return found if isinstance(found, str) else None


def read_submission(path: Path, student: str, manifest: Manifest) -> Submission:
    """Return what ``student`` handed in at ``path``: the answers to ``manifest``'s questions.

    The file is opened without following a symlink or blocking, and checked before reading
    (:func:`~lrcourse.grading.intake.read_regular`).
    """
    data, _, problem = read_regular(os.fspath(path), None, MAX_NOTEBOOK_BYTES)
    if data is None:
        return Submission(student, path, "unreadable", problem=f"the file {problem}")
    return parse_submission(data, os.fspath(path), student, manifest)
