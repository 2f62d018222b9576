"""Bank loading: every malformed file is one line naming file, question and field; keys stay out."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lrcourse.quiz.bank import find_bank, find_question, load_bank, parse_bank
from lrcourse.quiz.errors import QuizBankError
from lrcourse.quiz.model import PublicOption, PublicQuestion

ROOT = Path(__file__).resolve().parents[2]
BROKEN = sorted((ROOT / "tests" / "files" / "banks").glob("*--error.yaml"))
CHAPTER_ONE = ROOT / "quizzes" / "01-learning-rate.yaml"
EXPECT = re.compile(r"^# expect: question (?P<question>.+) field (?P<field>'.+')$")


def test_the_corpus_has_at_least_twenty_cases():
    assert len(BROKEN) >= 20


@pytest.mark.parametrize("path", BROKEN, ids=[p.name.removesuffix("--error.yaml") for p in BROKEN])
def test_malformed_bank_is_one_line_naming_file_question_and_field(path):
    expected = EXPECT.match(path.read_text().splitlines()[0] if path.stat().st_size else "")
    assert expected, f"{path.name} must start with '# expect: question ... field ...'"
    with pytest.raises(QuizBankError) as caught:
        load_bank(path)
    message = str(caught.value)
    assert "\n" not in message, f"more than one line:\n{message}"
    assert "Traceback" not in message
    assert message.startswith(
        f"{path}: question {expected['question']}: field {expected['field']}: "
    )
    assert len(message.split(": ", 3)[-1]) > 5, "the message must say what is wrong"


def test_empty_file_names_the_file():
    with pytest.raises(QuizBankError, match=r"^x\.yaml: question \(none\): field '\(file\)'"):
        parse_bank(Path("x.yaml"), "")


def test_several_problems_are_one_line_each():
    text = CHAPTER_ONE.read_text().replace("difficulty: easy", "difficulty: trivial")
    with pytest.raises(QuizBankError) as caught:
        parse_bank(Path("b.yaml"), text)
    lines = str(caught.value).splitlines()
    assert len(lines) == text.count("difficulty: trivial") >= 3
    assert all("field 'difficulty'" in line for line in lines)


def test_chapter_one_bank_meets_the_brief():
    bank = load_bank(CHAPTER_ONE).bank
    types = [q.type for q in bank.questions]
    assert len(types) >= 10
    assert {q.difficulty for q in bank.questions} == {"easy", "medium", "hard"}
    assert types.count("predict") >= 2
    assert types.count("code") + types.count("fix-loop") >= 2


def test_banks_are_found_by_stem_or_slug_and_questions_by_id():
    assert find_bank("01-learning-rate").path == find_bank("learning-rate").path
    loaded, question = find_question("steplr.after-three-steps")
    assert loaded.stem == "01-learning-rate" and question.type == "predict"
    with pytest.raises(QuizBankError, match=r"no quiz bank called 'nope'.*valid: 01-learning-rate"):
        find_bank("nope")


FORBIDDEN_FIELDS = {
    "answer",
    "answers",
    "solution",
    "mistakes",
    "feedback",
    "value",
    "reference",
    "checks",
    "starter_bugs",
    "back",
    "code",
    "correct",
}


def test_public_models_have_no_field_for_keys_or_solutions():
    assert not FORBIDDEN_FIELDS & set(PublicQuestion.model_fields)
    assert not FORBIDDEN_FIELDS & set(PublicOption.model_fields)


def _strings(value):
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [str(value)]


def test_public_view_of_every_question_leaks_no_key_or_solution():
    for question in load_bank(CHAPTER_ONE).bank.questions:
        shown = "\n".join(_strings(question.public().model_dump()))
        secrets = []
        if question.type in ("single", "multiple"):
            secrets += [option.feedback for option in question.options]
        if question.type in ("code", "fix-loop"):
            secrets.append(question.reference)
        if question.type == "flashcard":
            secrets.append(question.back)
        else:
            secrets += question.solution
        leaked = [s for s in secrets if s.strip() and s.strip() in shown]
        assert not leaked, f"{question.id} leaks {leaked}"
