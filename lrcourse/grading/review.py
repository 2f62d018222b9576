"""Human review: the answers a person must grade, a sheet to fill in, and points with an audit trail.

An answer needs a person when the machine could not or should not decide it: written
(``explain``) answers, answers of the wrong form (``invalid``: ``0.8 * 0.5 ** 2`` where a number
belongs, a class name instead of an option key), hand-ins flagged at collection
(``needs-review``: a symlink, two notebooks, a FIFO) and files the grader could not read.
:func:`review_items` lists them; a person grades them one at a time (``lrcourse review``) or in a
CSV sheet (:func:`write_sheet` / :func:`read_sheet`). Every decision is stored by
:meth:`Gradebook.set_override` with who, when and why, in a run of its own (so ``history`` shows
it and ``undo`` takes it back), and it wins over the machine's score in every later regrade.
"""

from __future__ import annotations

import csv
import getpass
import io
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from lrcourse.grading.csvsafe import csv_text, read_cell
from lrcourse.grading.gradebook import Gradebook
from lrcourse.grading.inert import terminal_text
from lrcourse.grading.manifest import AssignmentError, Manifest

#: Statuses of results a person should look at.
NEEDS_PERSON = ("needs-review", "invalid", "unreadable", "grader-error")
SHEET_COLUMNS = (
    "student",
    "question",
    "status",
    "reason",
    "answer",
    "max_points",
    "points",
    "comment",
)


@dataclass(frozen=True)
class ReviewItem:
    """One answer waiting for a person: whose, which question, why, and what they wrote."""

    student: str
    question_id: str
    status: str
    reason: str
    answer: str
    max_points: float


@dataclass(frozen=True)
class Decision:
    """A person's points for one answer and why."""

    student: str
    question_id: str
    points: float
    comment: str


def reviewer() -> str:
    """Return who is reviewing: ``$LRCOURSE_REVIEWER``, else the login name."""
    try:
        return os.environ.get("LRCOURSE_REVIEWER") or getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def review_items(gradebook: Gradebook, assignment: str) -> list[ReviewItem]:
    """Return every current answer of ``assignment`` that waits for a person, sorted."""
    return [
        ReviewItem(r.student, r.question_id, r.status, r.reason, r.answer, r.points)
        for r in gradebook.current_rows(assignment)
        if r.status in NEEDS_PERSON
    ]


def write_sheet(items: Sequence[ReviewItem], path: Path) -> None:
    """Write a CSV sheet of ``items`` with empty ``points`` and ``comment`` columns to fill in.

    An answer such as ``=HYPERLINK(...)`` is written as text a spreadsheet does not evaluate
    (see :mod:`lrcourse.grading.csvsafe`); :func:`read_sheet` reads it back as it was.
    """
    table: list[Sequence[str]] = [SHEET_COLUMNS]
    for item in items:
        table.append(
            [item.student, item.question_id, item.status, item.reason, item.answer,
             f"{item.max_points:g}", "", ""]
        )  # fmt: skip
    path.write_text(csv_text(table), encoding="utf-8")


def parse_points(text: str, max_points: float, where: str) -> float:
    """Return ``text`` as points between 0 and ``max_points``, or raise naming ``where``."""
    try:
        points = float(text)
    except ValueError:
        raise AssignmentError(f"{where}: points {text!r} is not a number") from None
    if not math.isfinite(points) or not 0 <= points <= max_points:
        raise AssignmentError(f"{where}: points {text!r} must be between 0 and {max_points:g}")
    return points


def read_sheet(path: Path, manifest: Manifest) -> list[Decision]:
    """Return the decisions of a filled-in sheet (rows with empty ``points`` are skipped)."""
    try:
        rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise AssignmentError(f"{path}: cannot read the review sheet ({error})") from None
    decisions = []
    for number, row in enumerate(rows, start=2):
        where = f"{path} line {number}"
        if not {"student", "question", "points"} <= set(row):
            raise AssignmentError(f"{where}: the sheet needs columns {', '.join(SHEET_COLUMNS)}")
        if not (row["points"] or "").strip():
            continue
        slot = manifest.slot(row["question"])
        points = parse_points(row["points"].strip(), slot.points, where)
        decisions.append(
            Decision(
                read_cell(row["student"]),
                slot.question_id,
                points,
                read_cell(row.get("comment") or ""),
            )
        )
    return decisions


def apply_decisions(
    gradebook: Gradebook,
    manifest: Manifest,
    decisions: Sequence[Decision],
    command: str,
    kind: str = "reviewed",
    who: str | None = None,
) -> int:
    """Store ``decisions`` as one run (``kind``: reviewed or overridden); return the run id."""
    graded = {(r.student, r.question_id) for r in gradebook.current_rows(manifest.assignment)}
    unknown = [d for d in decisions if (d.student, d.question_id) not in graded]
    if unknown:
        first = unknown[0]
        raise AssignmentError(
            f"{first.student!r} has no graded answer to {first.question_id!r} in "
            f"{manifest.assignment!r} (grade the hand-in first); nothing was changed"
        )
    person = who or reviewer()
    run_id = gradebook.start_run(manifest.assignment, command, kind=kind)
    for decision in decisions:
        slot = manifest.slot(decision.question_id)
        gradebook.set_override(
            manifest.assignment,
            decision.student,
            decision.question_id,
            decision.points / slot.points,
            decision.comment,
            person,
            run_id,
            kind,
        )
    gradebook.finish_run(run_id, 0, 0, f"{len(decisions)} answer(s) {kind} by {person}")
    return run_id


def walk(
    items: Sequence[ReviewItem],
    ask: Callable[[str], str],
    say: Callable[[str], None],
    rubric: Mapping[tuple[str, str], Sequence[str]] | None = None,
) -> list[Decision]:
    """Show each item and ask for points and a comment (empty points: skip; ``q``: stop).

    ``rubric`` maps ``(student, question id)`` to the lines its feedback page shows the student as the
    right answer (an explain question's checklist): the reviewer grades against what the
    student will read. Ctrl-C or Ctrl-D (``KeyboardInterrupt``/``EOFError`` from ``ask``)
    stops the walk and keeps every decision made so far, and the points of the answer being
    commented on (with the comment typed so far: none). Everything an answer or a run wrote is
    shown through :func:`~lrcourse.grading.inert.terminal_text`.
    """
    decisions: list[Decision] = []
    rubric = rubric or {}
    for number, item in enumerate(items, start=1):
        say(
            terminal_text(
                f"\n[{number}/{len(items)}] {item.student} · {item.question_id} · {item.status}",
                multiline=True,
            )
        )
        say("why: " + terminal_text(item.reason))
        for line in rubric.get((item.student, item.question_id), ()):
            say("rubric: " + terminal_text(line))
        answer = terminal_text(item.answer, multiline=True) if item.answer else "(empty)"
        say("answer:\n" + "\n".join("  | " + line for line in answer.split("\n")))
        try:
            stop = _ask_one(item, ask, say, decisions)
        except (KeyboardInterrupt, EOFError):
            say(f"\nstopped: {len(decisions)} decision(s) made so far are kept")
            return decisions
        if stop:
            break
    return decisions


def _ask_one(
    item: ReviewItem, ask: Callable[[str], str], say: Callable[[str], None], into: list[Decision]
) -> bool:
    """Ask for one item's points and comment, appending the decision; True to stop the walk."""
    while True:
        text = ask(f"points 0..{item.max_points:g} (enter: skip, q: stop): ").strip()
        if text in ("", "q"):
            return text == "q"
        try:
            points = parse_points(text, item.max_points, "review")
        except AssignmentError as error:
            say(str(error))
            continue
        decision = Decision(item.student, item.question_id, points, "")
        into.append(decision)  # kept even if the comment prompt is interrupted
        comment = ask("comment for the student: ").strip()
        into[-1] = Decision(item.student, item.question_id, points, comment)
        return False
