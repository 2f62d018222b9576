"""Carry a learner's progress between the book and JupyterLab: one portable JSON file.

The book keeps progress in the browser's localStorage (``quiz.js``, ``flashcards.js``), the Lab in
one JSON file per bank (:class:`~lrcourse.quiz.progress.Progress`). Both export to, and import
from, this format (the book's side is ``lrcourse/static/progress.js``)::

    {"format": "lrcourse-progress", "version": 1, "exported_at": "<ISO 8601 UTC>",
     "exported_from": "book" | "jupyterlab",
     "banks": {"<bank stem>": {"<question id>": {
         "answer": {"answer": <what was entered>, "score": 1.0, "correct": true,
                    "attempts": 2, "updated": "<ISO>" | null},
         "explanation": {"text": "...", "compared": true, "updated": "<ISO>" | null},
         "flashcard": {"known": true, "updated": "<ISO>" | null}}}}}

Each part of a record is optional. Only what the learner entered and its score travel: no key,
no feedback text (which can quote the key). A single-choice answer is the list of the one key
picked (the book's shape).

Merging a file into what is saved, part by part (:func:`merge`): a part only one side has is
taken; of two answers the higher score wins, then the newer, and attempts are the larger count;
of two explanations or flashcard marks the newer wins (one without a time counts as oldest; a
mark "known" beats "not yet" when neither has a time). Nothing is dropped silently: every part
the file brings is reported as added, replaced, kept (what was saved wins) or the same.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from lrcourse.quiz.errors import ProgressFileError

FORMAT = "lrcourse-progress"
VERSION = 1
PARTS = ("answer", "explanation", "flashcard")


@dataclass(frozen=True)
class Answer:
    """A graded answer: what was entered, its score, and how many times it was checked."""

    answer: Any
    score: float
    correct: bool
    attempts: int = 1
    updated: str | None = None


@dataclass(frozen=True)
class Explanation:
    """The text written for an explain question; ``compared`` once the model answer was opened."""

    text: str
    compared: bool = True
    updated: str | None = None


@dataclass(frozen=True)
class Flashcard:
    """A flashcard mark: "I knew it" (``known``) or "not yet / review again"."""

    known: bool
    updated: str | None = None


Part = Answer | Explanation | Flashcard
#: bank stem -> question id -> part name -> part
Records = dict[str, dict[str, dict[str, Part]]]


@dataclass(frozen=True)
class Change:
    """What an import did with one part of one question."""

    bank: str
    question: str
    part: str
    action: str  # "added" | "replaced" | "kept" | "same"
    why: str = ""

    def __str__(self) -> str:
        why = f" ({self.why})" if self.why else ""
        return f"{self.bank} {self.question} {self.part}: {self.action}{why}"


@dataclass
class MergeResult:
    """The merged records and one :class:`Change` per part the imported file held."""

    records: Records
    changes: list[Change] = field(default_factory=list)

    def count(self, action: str) -> int:
        """Return how many parts were ``action`` ("added", "replaced", "kept", "same")."""
        return sum(change.action == action for change in self.changes)

    def summary(self) -> str:
        """Return one line: how many parts were added, replaced, kept and already the same."""
        return (
            f"{self.count('added')} added, {self.count('replaced')} replaced, "
            f"{self.count('kept')} kept as saved (the saved one is better or newer), "
            f"{self.count('same')} already the same"
        )


# ---------------------------------------------------------------------------- the file


def dump(records: Records, exported_from: str, exported_at: str) -> dict[str, Any]:
    """Return the portable file's JSON object for ``records``."""
    banks: dict[str, Any] = {}
    for bank, questions in sorted(records.items()):
        rows = {}
        for qid, parts in sorted(questions.items()):
            if parts:
                rows[qid] = {name: _asdict(part) for name, part in parts.items()}
        if rows:
            banks[bank] = rows
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": exported_at,
        "exported_from": exported_from,
        "banks": banks,
    }


def _asdict(part: Part) -> dict[str, Any]:
    return dict(part.__dict__)


def load(path: str | Path) -> Records:
    """Return the records of the portable file ``path``; raise :class:`ProgressFileError`.

    The message names the file and the first thing wrong with it.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProgressFileError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ProgressFileError(f"{path}: cannot be read ({error})") from None
    try:
        return parse(text)
    except ValueError as error:
        raise ProgressFileError(f"{path}: {error}") from None


def parse(text: str) -> Records:
    """Return the records in the portable file's ``text``; raise ``ValueError`` saying what is wrong."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"not JSON (line {error.lineno}: {error.msg})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError(f'not an lrcourse progress file (no "format": "{FORMAT}")')
    if data.get("version") != VERSION:
        raise ValueError(
            f"progress file version {data.get('version')!r}; this lrcourse reads version {VERSION}"
        )
    banks = data.get("banks")
    if not isinstance(banks, dict):
        raise ValueError('"banks" is not an object')
    records: Records = {}
    for bank, questions in banks.items():
        if not isinstance(questions, dict):
            raise ValueError(f"banks.{bank} is not an object")
        for qid, parts in questions.items():
            where = f"banks.{bank}.{qid}"
            if not isinstance(parts, dict):
                raise ValueError(f"{where} is not an object")
            unknown = sorted(set(parts) - set(PARTS))
            if unknown:
                raise ValueError(f"{where} has an unknown part {unknown[0]!r}")
            records.setdefault(bank, {})[qid] = {
                name: _part(name, value, f"{where}.{name}") for name, value in parts.items()
            }
    return records


def _field(value: dict[str, Any], name: str, kinds: tuple[type, ...], where: str) -> Any:
    if name not in value:
        raise ValueError(f"{where} has no {name!r}")
    got = value[name]
    if not isinstance(got, kinds) or (isinstance(got, bool) and bool not in kinds):
        raise ValueError(f"{where}.{name} is {json.dumps(got)[:40]}, not a {kinds[0].__name__}")
    return got


def _updated(value: dict[str, Any], where: str) -> str | None:
    got = value.get("updated")
    if got is not None and not isinstance(got, str):
        raise ValueError(f"{where}.updated is not a time (ISO 8601 text) or null")
    return got


def _part(name: str, value: Any, where: str) -> Part:
    if not isinstance(value, dict):
        raise ValueError(f"{where} is not an object")
    if name == "answer":
        if "answer" not in value:
            raise ValueError(f"{where} has no 'answer'")
        score = float(_field(value, "score", (int, float), where))
        if not math.isfinite(score) or not 0 <= score <= 1:
            raise ValueError(f"{where}.score is {score}, not between 0 and 1")
        attempts = _field(value, "attempts", (int,), where) if "attempts" in value else 1
        if attempts < 1:
            raise ValueError(f"{where}.attempts is {attempts}, not 1 or more")
        return Answer(
            value["answer"],
            score,
            _field(value, "correct", (bool,), where),
            attempts,
            _updated(value, where),
        )
    if name == "explanation":
        return Explanation(
            _field(value, "text", (str,), where),
            bool(value.get("compared", True)),
            _updated(value, where),
        )
    return Flashcard(_field(value, "known", (bool,), where), _updated(value, where))


# ---------------------------------------------------------------------------- the merge


def _time(part: Part) -> str:
    return part.updated or ""  # ISO 8601 UTC texts sort in time order; none is the oldest


def _pick(name: str, mine: Part, theirs: Part) -> tuple[Part, str, str]:
    """Return the part to keep, the action ("replaced", "kept", "same") and why."""
    if isinstance(mine, Answer) and isinstance(theirs, Answer):
        attempts = max(mine.attempts, theirs.attempts)
        newest = max(_time(mine), _time(theirs)) or None
        if (mine.answer, mine.score, mine.correct) == (theirs.answer, theirs.score, theirs.correct):
            return replace(mine, attempts=attempts, updated=newest), "same", ""
        if theirs.score != mine.score:
            better = theirs.score > mine.score
            why = f"score {theirs.score:g} against {mine.score:g}"
        else:
            better = _time(theirs) > _time(mine)
            why = f"same score {mine.score:g}, {'newer' if better else 'not newer'}"
        winner = theirs if better else mine
        return replace(winner, attempts=attempts), "replaced" if better else "kept", why
    if mine == theirs or (
        isinstance(mine, Explanation)
        and isinstance(theirs, Explanation)
        and mine.text == theirs.text
    ):
        return mine, "same", ""
    if _time(theirs) != _time(mine):
        newer = _time(theirs) > _time(mine)
        return (
            (theirs if newer else mine),
            ("replaced" if newer else "kept"),
            ("newer" if newer else "the saved one is newer"),
        )
    if isinstance(mine, Flashcard) and isinstance(theirs, Flashcard):
        return (theirs, "replaced", "known") if theirs.known else (mine, "kept", "known")
    return mine, "kept", "neither has a time"


def merge(mine: Records, theirs: Records) -> MergeResult:
    """Return ``mine`` with ``theirs`` merged in (module docstring: the rules) and each change."""
    merged: Records = {bank: {q: dict(p) for q, p in qs.items()} for bank, qs in mine.items()}
    result = MergeResult(merged)
    for bank, questions in sorted(theirs.items()):
        for qid, parts in sorted(questions.items()):
            into = merged.setdefault(bank, {}).setdefault(qid, {})
            for name, part in parts.items():
                if name not in into:
                    into[name] = part
                    result.changes.append(Change(bank, qid, name, "added"))
                    continue
                kept, action, why = _pick(name, into[name], part)
                into[name] = kept
                result.changes.append(Change(bank, qid, name, action, why))
    return result
