"""Every course bank reads easy to hard, as the chapters say; flashcards are a deck at the end.

Flashcards are not quiz questions (``lrcourse.content.flashcards`` deals them into the review
deck), so each bank keeps them after its questions, ordered by difficulty among themselves.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lrcourse.quiz.bank import load_bank

ROOT = Path(__file__).resolve().parents[2]
BANKS = sorted((ROOT / "quizzes").glob("[0-9][0-9]-*.yaml"))
RANK = {"easy": 0, "medium": 1, "hard": 2}


def _descents(questions):
    ranks = [RANK[q.difficulty] for q in questions]
    return [
        f"{a.id} ({a.difficulty}) before {b.id} ({b.difficulty})"
        for a, b, ra, rb in zip(questions, questions[1:], ranks, ranks[1:], strict=False)
        if rb < ra
    ]


def test_there_are_course_banks_to_check():
    assert len(BANKS) >= 8


@pytest.mark.parametrize("path", BANKS, ids=[p.stem for p in BANKS])
def test_bank_questions_never_get_easier(path):
    questions = [q for q in load_bank(path).bank.questions if q.type != "flashcard"]
    assert _descents(questions) == []


@pytest.mark.parametrize("path", BANKS, ids=[p.stem for p in BANKS])
def test_bank_flashcards_come_last_and_never_get_easier(path):
    types = [q.type for q in load_bank(path).bank.questions]
    cards = [q for q in load_bank(path).bank.questions if q.type == "flashcard"]
    assert types == sorted(types, key=lambda t: t == "flashcard"), "a flashcard before a question"
    assert _descents(cards) == []


def test_a_descent_is_named_by_both_ids():
    class Q:
        def __init__(self, id, difficulty):
            self.id, self.difficulty = id, difficulty

    assert _descents([Q("a", "hard"), Q("b", "easy")]) == ["a (hard) before b (easy)"]
