"""Issue 26, smaller items: a quiz hint points to the idea, never states the key; the glossary is
alphabetical, defines every term a chapter links, and what it says torch does, torch does."""

from __future__ import annotations

import re

import pytest

from lrcourse.quiz.bank import bank_paths, load_bank
from lrcourse.quiz.model import QuestionModel
from lrcourse.quiz.run import snippet_stdout

QUESTIONS = [
    question
    for path in bank_paths()
    for question in load_bank(path).bank.questions
    if question.type in ("single", "numeric", "predict")
]


NUMBER = re.compile(r"(?<![\w.])\d+\.\d+(?:e[-+]?\d+)?(?![\w.])")


def _number(value: float) -> str:
    return f"{value:.6g}"


def _keys(question: QuestionModel) -> list[str]:
    """Return the texts that state this question's key, as code reads it."""
    if question.type == "single":
        right = next(option for option in question.options if option.key == question.answer)
        keys = [right.value] if right.value else []
        # An option that names one thing in code (`ReduceLROnPlateau`) is a key too.
        keys += re.findall(r"^`([^`]+)`$", right.text.strip())
        return keys
    if question.type == "numeric":
        if question.answer is not None:
            return [_number(question.answer)]
        return [_number(float(snippet_stdout(question.code, question.id).split()[-1]))]
    shown = " ".join(snippet_stdout(question.code, question.id, question.raises).split())
    # A number the output prints that neither the code nor the prompt writes is found by running
    # the code: a hint that names it gives that part of the key away (OneCycleLR's `0.95`).
    given = set(NUMBER.findall(question.code + " " + question.prompt))
    return [shown, *sorted(set(NUMBER.findall(shown)) - given)]


def _states(hint: str, key: str) -> bool:
    """Whether ``key`` stands in ``hint`` as a whole token (``0.1`` is not in ``0.15``)."""
    return re.search(rf"(?<![\w.]){re.escape(key)}(?![\w.])", " ".join(hint.split())) is not None


def test_the_key_finder_sees_a_stated_key():
    assert _states("The rate is 0.05 after it.", "0.05")
    assert not _states("The rate is 0.055 after it.", "0.05")
    assert _states("Use `ReduceLROnPlateau`.", "ReduceLROnPlateau")
    assert _number(0.00010000000000000003) == "0.0001"


@pytest.mark.parametrize("question", QUESTIONS, ids=[q.id for q in QUESTIONS])
def test_no_hint_states_its_questions_key(question):
    keys = _keys(question)
    if question.type != "single":
        assert keys and all(keys), question.id
    assert [key for key in keys if _states(question.hint, key)] == []
