"""What an LMS question export holds: which questions, and their keys computed by torch.

The GIFT writer (``export.py``) and the Canvas QTI writer (``qti.py``) share these helpers, so both
formats export the same questions with the same keys: the marked options of choice questions,
``numeric_key`` within the bank's tolerance, and what a ``predict`` snippet prints under the
installed torch. ``code`` and ``fix-loop`` questions run learner code against checks; no LMS
question type can do that, so both writers list them as skipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lrcourse.grading.keycache import numeric_key, predict_key
from lrcourse.grading.manifest import Manifest
from lrcourse.quiz.model import Numeric, Predict, QuestionModel

#: Question types an LMS quiz can grade by itself (the others are listed as skipped).
LMS_TYPES = ("single", "multiple", "numeric", "predict")


@dataclass(frozen=True)
class NumericAnswer:
    """A numeric key from torch and how far an answer may be from it (the bank's tolerance)."""

    key: float
    margin: float

    @property
    def low(self) -> float:
        """Return the smallest accepted answer."""
        return self.key - self.margin

    @property
    def high(self) -> float:
        """Return the largest accepted answer."""
        return self.key + self.margin


def assignment_questions(
    manifest: Manifest, questions: dict[str, QuestionModel]
) -> list[QuestionModel]:
    """Return the assignment's questions in slot order, as the bank has them.

    An LMS question bank holds one copy of each question, so per-student variants (``assign
    --variants``) are not exported: the bank's own parameters are, and ``lrcourse grade`` keeps
    grading each student's copy.
    """
    return [questions[s.question_id] for s in manifest.slots if s.question_id in questions]


def skipped_questions(questions: Sequence[QuestionModel]) -> list[str]:
    """Return the ids of the questions no LMS format can hold (code and fix-loop questions)."""
    return [q.id for q in questions if q.type not in LMS_TYPES]


def numeric_answer(question: Numeric) -> NumericAnswer:
    """Return the question's key (printed by its code under torch) and its tolerance margin."""
    key = numeric_key(question)
    # lrcourse.quiz.check.allowed_error's rule (a test holds them equal): importing that module
    # imports torch, which an export whose keys are cached does not need.
    margin = max(question.tolerance.abs, question.tolerance.rel * abs(key))
    return NumericAnswer(key=key, margin=margin)


def predict_answer(question: Predict) -> str:
    """Return what the snippet prints under torch, on one line (LMS short answers are one line)."""
    return " ".join(predict_key(question).split())
