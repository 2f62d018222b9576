"""The quiz a notebook stores for the static book lists the bank's questions as they are now.

The quick book build draws each quiz from the question ids the notebook stored when it was last
executed (``book/_ext/book_parts.py``). A question added to a bank without re-executing its
chapter was missing from that page (chapter 9 showed 7 of its 11 questions), silently.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from lrcourse.display.dual_view import BOOK_PART_MIME
from lrcourse.quiz.bank import find_bank

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))


def stored_parts(path: Path) -> list[dict]:
    notebook = nbformat.read(path, as_version=4)
    return [
        output["data"][BOOK_PART_MIME]
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if BOOK_PART_MIME in output.get("data", {})
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_each_stored_quiz_lists_its_banks_questions_in_order(path: Path) -> None:
    for part in stored_parts(path):
        bank = [question.id for question in find_bank(part["bank"]).bank.questions]
        if part["part"] == "quiz":
            assert part["questions"] == bank, (
                f"{path.name}: its stored quiz is not bank {part['bank']} as it is now;"
                f" re-execute it (make notebooks NB={path.relative_to(path.parents[1])})"
            )
        else:
            assert set(part["questions"]) <= set(bank), f"{path.name}: {part['questions']}"


def test_every_chapter_stores_a_quiz() -> None:
    chapters = [path for path in NOTEBOOKS if path.stem[:2].isdigit()]
    assert chapters and all(
        any(part["part"] == "quiz" for part in stored_parts(path)) for path in chapters
    )
