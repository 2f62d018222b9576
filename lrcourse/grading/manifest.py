"""What an assignment is: its questions, per-student variants and the checksums of answer cells.

The manifest stays with the instructor (``<out>/<assignment>/manifest.json``, and in the gradebook).
It holds no keys, but the grader never trusts the copy a student hands back: it reads the
student's answers from the cells this manifest names and recomputes everything else.

Per-student variants (``lrcourse.grading.variants``, re-exported here) are a pure function of
``(seed, student, question)``: ``assign`` uses them to write the release and ``grade`` recomputes
them, so the key of a parameterised question is whatever real torch prints for that student's
parameters, computed at grade time.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from lrcourse.errors import LRCourseError

# Variants live in lrcourse.grading.variants; these names stay importable from here for callers.
from lrcourse.grading.variants import VARIANT_CHOICES as VARIANT_CHOICES
from lrcourse.grading.variants import is_parameterised as is_parameterised
from lrcourse.grading.variants import variant_question as variant_question
from lrcourse.grading.variants import variant_rng as variant_rng
from lrcourse.quiz.bank import bank_paths, load_bank
from lrcourse.quiz.model import QuestionModel

#: Question types an assignment may hold: the ones a machine can grade.
GRADABLE_TYPES = ("single", "multiple", "numeric", "predict", "code", "fix-loop")


class AssignmentError(LRCourseError, ValueError):
    """An assignment that cannot be built or graded as asked (names the option and valid values)."""


class Slot(BaseModel):
    """One question of an assignment and the checksum of its answer cell as released."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    question_id: str
    type: str
    points: float = 1.0
    checksum: str


class Manifest(BaseModel):
    """An assignment: name, variant seed, release mode and its question slots in order."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    assignment: str
    seed: int
    release: Literal["shared", "per-student"]
    variants: bool
    students: list[str]
    slots: list[Slot]

    def slot(self, question_id: str) -> Slot:
        """Return the slot of ``question_id`` or raise :class:`AssignmentError`."""
        for slot in self.slots:
            if slot.question_id == question_id:
                return slot
        raise AssignmentError(f"assignment {self.assignment!r} has no question {question_id!r}")

    def dump(self) -> str:
        """Return the manifest as stable, sorted JSON text."""
        return json.dumps(self.model_dump(), indent=1, sort_keys=True) + "\n"

    def save(self, path: Path) -> None:
        """Write the manifest to ``path``."""
        path.write_text(self.dump(), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Manifest:
        """Read a manifest, or raise :class:`AssignmentError` naming the file."""
        try:
            return cls.model_validate_json(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise AssignmentError(f"{path}: not a readable assignment manifest ({error})") from None


def source_checksum(source: str) -> str:
    """Return the sha256 of a cell's source: how the grader tells an untouched answer cell."""
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def load_questions(banks: Path | None = None) -> dict[str, QuestionModel]:
    """Return every question of every bank in ``banks`` (default: the course's ``quizzes/``)."""
    questions: dict[str, QuestionModel] = {}
    for path in bank_paths(banks):
        for question in load_bank(path).bank.questions:
            questions[question.id] = question
    return questions
