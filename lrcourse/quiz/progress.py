"""Save a learner's quiz answers and scores to a local JSON file, and read them back.

One file per bank, ``<bank stem>.json``, in ``$LRCOURSE_PROGRESS_FILE_DIR`` (the Makefile sets
``.cache/progress``) or ``~/.lrcourse/progress``. Writes are atomic (temporary file, then
``os.replace``), so a crash never leaves half a file; a file that cannot be read is kept aside as
``<name>.unreadable-<n>.json`` and a fresh one started, so nothing is silently lost.

Beside the graded answers the file keeps the text of each explain question as the learner last
submitted it (``explanations``), so reopening the notebook shows what they wrote, as the book does.
Each record carries the UTC time it was saved (``updated``): importing progress from the book
(``lrcourse.quiz.transfer``) uses it to tell the newer of two records.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def now() -> str:
    """Return the current UTC time as the ISO 8601 text the records (and the book's) carry."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def progress_dir() -> Path:
    """Return the folder of progress files (``$LRCOURSE_PROGRESS_FILE_DIR`` wins)."""
    override = os.environ.get("LRCOURSE_PROGRESS_FILE_DIR")
    return Path(override) if override else Path.home() / ".lrcourse" / "progress"


@dataclass
class SavedAnswer:
    """The last answer to one question, its grade, and how many times it was checked."""

    answer: Any
    score: float
    correct: bool
    feedback: str
    attempts: int = 1
    updated: str | None = None  # when it was saved (older files have none)


@dataclass
class SavedExplanation:
    """The text an explain question was last submitted with (the checklist ticks are an answer)."""

    text: str
    updated: str | None = None
    compared: bool = True  # False: typed in the book, the model answer not opened yet


def _parse(data: Any) -> tuple[dict[str, SavedAnswer], dict[str, SavedExplanation]]:
    answers = {qid: SavedAnswer(**saved) for qid, saved in data["answers"].items()}
    explanations = {
        qid: SavedExplanation(**saved) for qid, saved in data.get("explanations", {}).items()
    }
    return answers, explanations


@dataclass
class Progress:
    """A learner's answers to one bank, by question id, backed by ``path``."""

    path: Path
    answers: dict[str, SavedAnswer] = field(default_factory=dict)
    explanations: dict[str, SavedExplanation] = field(default_factory=dict)

    @classmethod
    def load(cls, bank_stem: str, folder: Path | None = None) -> Progress:
        """Return the saved progress of ``bank_stem`` (empty if there is none yet)."""
        path = (folder or progress_dir()) / f"{bank_stem}.json"
        if not path.exists():
            return cls(path)
        try:
            answers, explanations = _parse(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            number = 1
            while (aside := path.with_name(f"{path.stem}.unreadable-{number}.json")).exists():
                number += 1
            path.replace(aside)
            return cls(path)
        return cls(path, answers, explanations)

    def record(
        self, question_id: str, answer: Any, score: float, correct: bool, feedback: str
    ) -> None:
        """Store the newest answer to ``question_id`` and write the file.

        The file is re-read first: another view of the same bank in this kernel (a quiz widget, a
        ``lrcourse.check`` call) may have saved since this one loaded, and its answers are kept.
        """
        self.reload()
        before = self.answers.get(question_id)
        attempts = before.attempts + 1 if before else 1
        self.answers[question_id] = SavedAnswer(answer, score, correct, feedback, attempts, now())
        self.save()

    def record_explanation(self, question_id: str, text: str) -> None:
        """Store the text an explain question was submitted with and write the file."""
        self.reload()
        self.explanations[question_id] = SavedExplanation(text, now())
        self.save()

    def reload(self) -> None:
        """Read what the file holds now (nothing if it is gone; keep this view's if unreadable)."""
        if not self.path.exists():
            self.answers, self.explanations = {}, {}
            return
        # An unreadable file keeps this view's records: saving replaces it with a whole file.
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError, AttributeError):
            self.answers, self.explanations = _parse(
                json.loads(self.path.read_text(encoding="utf-8"))
            )

    def total(self) -> float:
        """Return the sum of the latest scores."""
        return sum(saved.score for saved in self.answers.values())

    def save(self) -> None:
        """Write the file atomically."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "version": 1,
            "answers": {qid: asdict(saved) for qid, saved in sorted(self.answers.items())},
            "explanations": {
                qid: asdict(saved) for qid, saved in sorted(self.explanations.items())
            },
        }
        handle, temporary = tempfile.mkstemp(prefix=".progress-", dir=self.path.parent)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(data, out, indent=1)
        os.replace(temporary, self.path)


@dataclass(frozen=True)
class ChapterProgress:
    """One chapter's standing: questions answered, their score, flashcards known (JupyterLab)."""

    bank_stem: str
    chapter: int
    title: str
    questions: int
    answered: int
    score: float
    flashcards: int
    known: int


def chapter_progress(
    bank_stem: str, chapter: int, title: str, questions: dict[str, bool], folder: Path | None = None
) -> ChapterProgress:
    """Return the saved standing of one bank; ``questions`` maps each id to "is a flashcard".

    Only the bank's current questions count (a saved answer to a removed question does not), and
    a flashcard counts as known when its last mark was "I knew it".
    """
    saved = Progress.load(bank_stem, folder).answers
    asked = [qid for qid, card in questions.items() if not card]
    cards = [qid for qid, card in questions.items() if card]
    answered = [saved[qid] for qid in asked if qid in saved]
    return ChapterProgress(
        bank_stem=bank_stem,
        chapter=chapter,
        title=title,
        questions=len(asked),
        answered=len(answered),
        score=sum(answer.score for answer in answered),
        flashcards=len(cards),
        known=sum(1 for qid in cards if qid in saved and saved[qid].correct),
    )
