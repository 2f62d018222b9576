"""A question that asks the learner to write a schedule forbids the torch classes it is graded against.

An answer that builds the reference class inside its own factor or class (on a throw-away
optimizer, say) reproduces torch's rates without writing the rule: it earned full credit on four
questions that listed nothing, or too little, to forbid. ``forbids`` sends such an answer to a
person (``lrcourse/quiz/audit.py``, the run's own classes); this test keeps every "write it
yourself" question's list complete, so a new question cannot forget it.
"""

from __future__ import annotations

import re

import pytest

from lrcourse.quiz.bank import load_bank, quiz_dir
from lrcourse.quiz.model import Code
from lrcourse.trace import SCHEDULER_NAMES

QUESTIONS = [
    question
    for path in sorted(quiz_dir().glob("*.yaml"))
    for question in load_bank(path).bank.questions
    if isinstance(question, Code)
]


def named_schedulers(text: str) -> set[str]:
    return {name for name in re.findall(r"\b[A-Z]\w*\b", text) if name in SCHEDULER_NAMES}


def written_by_the_learner(question: Code) -> str | None:
    """'factor' (a function LambdaLR runs), 'class' (an LRScheduler subclass) or None (a builder
    of torch's classes, a value, or a fixed loop: using torch's classes is the task there)."""
    builds = [check.build for check in question.checks if getattr(check, "build", None)]
    if builds and all(
        re.fullmatch(rf"LambdaLR\(opt, lr_lambda={question.entry}\)", b) for b in builds
    ):
        return "factor"
    if question.starter and re.search(rf"class {question.entry}\(LRScheduler\)", question.starter):
        return "class"
    return None


@pytest.mark.parametrize("question", QUESTIONS, ids=[q.id for q in QUESTIONS])
def test_a_schedule_to_write_forbids_the_classes_it_is_graded_against(question: Code) -> None:
    kind = written_by_the_learner(question)
    if kind is None:
        return
    references = set().union(
        *(
            named_schedulers(check.reference)
            for check in question.checks
            if getattr(check, "reference", None)
        )
    )
    required = references - {"LambdaLR"} if kind == "factor" else references
    assert required, f"{question.id}: graded against no torch class?"
    missing = required - set(question.forbids)
    assert not missing, f"{question.id} ({kind}) must forbid {sorted(missing)}"


def test_the_kinds_are_found() -> None:
    kinds = [written_by_the_learner(q) for q in QUESTIONS]
    assert kinds.count("factor") >= 4 and kinds.count("class") >= 2
