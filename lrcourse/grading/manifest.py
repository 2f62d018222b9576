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
import re
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from lrcourse.errors import LRCourseError

# Variants live in lrcourse.grading.variants; these names stay importable from here for callers.
from lrcourse.grading.variants import VARIANT_CHOICES as VARIANT_CHOICES
from lrcourse.grading.variants import is_parameterised as is_parameterised
from lrcourse.grading.variants import variant_question as variant_question
from lrcourse.grading.variants import variant_rng as variant_rng
from lrcourse.quiz.bank import bank_paths, load_bank
from lrcourse.quiz.model import QuestionModel

#: Question types an assignment may hold: the ones a machine can grade.
GRADABLE_TYPES = ("single", "multiple", "numeric", "predict", "code", "fix-loop", "explain")
#: Question types a person grades (``lrcourse review``); the machine only collects the answer.
REVIEWED_TYPES = ("explain",)
#: An assignment name: used as a folder and file name, so no ``/``, spaces or leading dot.
ASSIGNMENT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
#: Words ``lrcourse gradebook`` reads as actions, so no assignment may be called that.
RESERVED_NAMES = ("history", "undo")


class AssignmentError(LRCourseError, ValueError):
    """An assignment that cannot be built or graded as asked (names the option and valid values)."""


class Slot(BaseModel):
    """One question of an assignment and the checksum of its answer cell as released."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    question_id: str
    type: str
    points: float = 1.0
    checksum: str


class RosterEntry(BaseModel):
    """One student of the class: the id used everywhere, a display name and LMS identities."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name: str = ""
    #: Canvas: the numeric user id in bulk-download names and the login (``zhangwen``) before it.
    canvas_id: str = ""
    canvas_login: str = ""
    #: Moodle: the participant id in "download all" folder names (``Wen Zhang_1234567_...``).
    moodle_id: str = ""
    email: str = ""


class LatePolicy(BaseModel):
    """When work is due and what lateness costs: a grace period, a penalty per day, a cut-off."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    due: datetime
    grace_minutes: float = Field(default=0.0, ge=0)
    #: Fraction of the points lost per started day late (0.1: 10 % a day).
    penalty_per_day: float = Field(default=0.0, ge=0, le=1)
    #: Days after the due date (and grace) from which a hand-in earns nothing; None: no cut-off.
    cutoff_days: float | None = Field(default=None, gt=0)


class Manifest(BaseModel):
    """An assignment: name, variant seed, release mode, class roster and question slots in order."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    assignment: str
    seed: int
    release: Literal["shared", "per-student"]
    variants: bool
    students: list[str]
    slots: list[Slot]
    #: The class list (the source of truth for who should hand in); empty for an open release.
    roster: list[RosterEntry] = []
    late: LatePolicy | None = None
    #: sha256 of each question as the banks held it at assign time (a later edit is named).
    question_hashes: dict[str, str] = {}

    def roster_ids(self) -> list[str]:
        """Return the ids of the class list (the roster, or the plain ``students`` of old files)."""
        return [entry.id for entry in self.roster] or list(self.students)

    def display_name(self, student: str) -> str:
        """Return the student's display name from the roster (the id when there is none)."""
        for entry in self.roster:
            if entry.id == student and entry.name:
                return entry.name
        return student

    def possible(self) -> float:
        """Return the points the assignment is out of."""
        return sum(slot.points for slot in self.slots)

    def slot(self, question_id: str) -> Slot:
        """Return the slot of ``question_id`` or raise :class:`AssignmentError`."""
        for slot in self.slots:
            if slot.question_id == question_id:
                return slot
        raise AssignmentError(f"assignment {self.assignment!r} has no question {question_id!r}")

    def dump(self) -> str:
        """Return the manifest as stable, sorted JSON text."""
        return json.dumps(self.model_dump(mode="json"), indent=1, sort_keys=True) + "\n"

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


def question_hash(question: QuestionModel) -> str:
    """Return a fingerprint of a question as the bank holds it (any edit changes it).

    Fields left at their defaults are not part of it, so a newer lrcourse that adds an optional
    field to the question model does not make every assigned question look edited.
    """
    text = json.dumps(question.model_dump(mode="json", exclude_defaults=True), sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def changed_questions(manifest: Manifest, questions: dict[str, QuestionModel]) -> list[str]:
    """Return the assignment's question ids whose bank text changed since ``assign``."""
    return [
        qid
        for qid, digest in manifest.question_hashes.items()
        if qid in questions and question_hash(questions[qid]) != digest
    ]


def check_assignment_name(name: str) -> str:
    """Return ``name`` if it can name an assignment (a folder), else raise naming what is valid."""
    if not ASSIGNMENT_NAME.match(name) or name in RESERVED_NAMES:
        raise AssignmentError(
            f"assignment name {name!r}: use letters, digits, '.', '_' or '-' (no spaces or '/', "
            f"at most 64 characters, not {' or '.join(RESERVED_NAMES)}), e.g. hw3"
        )
    return name


def load_questions(banks: Path | None = None) -> dict[str, QuestionModel]:
    """Return every question of every bank in ``banks`` (default: the course's ``quizzes/``)."""
    questions: dict[str, QuestionModel] = {}
    for path in bank_paths(banks):
        for question in load_bank(path).bank.questions:
            questions[question.id] = question
    return questions
