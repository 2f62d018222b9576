"""The gradebook: SQLite (WAL, one transaction per submission), safe to kill and re-run.

Results are keyed by ``(assignment, student, question, submission hash)``. A submission's results
and the pointer to it as the student's current submission are written in one transaction, so
after ``kill -9`` a submission is either fully recorded or not at all; the next ``grade`` skips
what is recorded and grades the rest.

Nothing is deleted to make room: a regrade grades first and then replaces, in the hand-in's
transaction, only the results of hand-ins it read. Every write belongs to a *run* (a grade, a
review, an override, an undo) with its time and command, and every row a run replaces or adds
is logged in ``changes`` with its value before and after, so ``history`` can say what a run
changed and ``undo`` can put the last run's rows back exactly as they were. Human points
(``overrides``: who, when, why) sit beside the machine's results and win over them, so a regrade
never loses them.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from lrcourse.grading.history import (
    HistoryMixin,
)
from lrcourse.grading.manifest import Manifest

SCHEMA = """
CREATE TABLE IF NOT EXISTS assignments (
    name TEXT PRIMARY KEY,
    manifest TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS students (
    student TEXT PRIMARY KEY
);
CREATE TABLE IF NOT EXISTS submissions (
    assignment TEXT NOT NULL REFERENCES assignments(name),
    student TEXT NOT NULL REFERENCES students(student),
    content_hash TEXT NOT NULL,
    path TEXT NOT NULL,
    problem TEXT,
    PRIMARY KEY (assignment, student, content_hash)
);
CREATE TABLE IF NOT EXISTS current_submissions (
    assignment TEXT NOT NULL,
    student TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    PRIMARY KEY (assignment, student),
    FOREIGN KEY (assignment, student, content_hash)
        REFERENCES submissions(assignment, student, content_hash)
);
CREATE TABLE IF NOT EXISTS results (
    assignment TEXT NOT NULL,
    student TEXT NOT NULL,
    question_id TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    score REAL NOT NULL CHECK (score >= 0 AND score <= 1),
    points REAL NOT NULL,
    status TEXT NOT NULL,
    reason TEXT NOT NULL,
    answer TEXT NOT NULL,
    feedback TEXT NOT NULL,
    run_id INTEGER REFERENCES runs(run_id),
    PRIMARY KEY (assignment, student, question_id, content_hash),
    FOREIGN KEY (assignment, student, content_hash)
        REFERENCES submissions(assignment, student, content_hash)
);
CREATE TABLE IF NOT EXISTS runs (
    run_id INTEGER PRIMARY KEY AUTOINCREMENT,
    assignment TEXT NOT NULL,
    command TEXT NOT NULL,
    submissions_seen INTEGER NOT NULL DEFAULT 0,
    submissions_graded INTEGER NOT NULL DEFAULT 0,
    finished INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS changes (
    change_id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER NOT NULL REFERENCES runs(run_id),
    assignment TEXT NOT NULL,
    student TEXT NOT NULL,
    question_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    before TEXT,
    after TEXT
);
CREATE TABLE IF NOT EXISTS overrides (
    assignment TEXT NOT NULL,
    student TEXT NOT NULL,
    question_id TEXT NOT NULL,
    score REAL NOT NULL CHECK (score >= 0 AND score <= 1),
    comment TEXT NOT NULL,
    who TEXT NOT NULL,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    run_id INTEGER REFERENCES runs(run_id),
    PRIMARY KEY (assignment, student, question_id)
);
"""
#: Columns added after the first release: ``ALTER TABLE`` adds them to an older gradebook file.
ADDED_COLUMNS = {
    "runs": {
        "started_at": "TEXT NOT NULL DEFAULT ''",
        "finished_at": "TEXT NOT NULL DEFAULT ''",
        "kind": "TEXT NOT NULL DEFAULT 'grade'",
        "summary": "TEXT NOT NULL DEFAULT ''",
        "undone_by": "INTEGER",
    },
    "submissions": {
        "flags": "TEXT NOT NULL DEFAULT ''",
        "submitted_at": "TEXT NOT NULL DEFAULT ''",
        "late_days": "REAL NOT NULL DEFAULT 0",
        "late_factor": "REAL NOT NULL DEFAULT 1",
        "late_note": "TEXT NOT NULL DEFAULT ''",
        "lms_order": "INTEGER NOT NULL DEFAULT 0",
        "time_source": "TEXT NOT NULL DEFAULT ''",
    },
}


@dataclass(frozen=True)
class QuestionResult:
    """One question's grade in one submission: score in [0, 1], status, reason and feedback."""

    question_id: str
    score: float
    points: float
    status: str
    reason: str
    answer: str
    feedback: str


@dataclass(frozen=True)
class GradeRow:
    """A current result as the exports read it (a person's points replace the machine's)."""

    student: str
    question_id: str
    score: float
    points: float
    status: str
    reason: str
    answer: str
    feedback: str
    #: What lateness leaves of the points (1: on time); from the hand-in and the late policy.
    late_factor: float = 1.0
    late_note: str = ""
    #: Set when a person reviewed or overrode the result: the machine's score, who, why.
    machine_score: float | None = None
    reviewer: str = ""
    comment: str = ""
    flags: str = ""


@dataclass(frozen=True)
class HandInInfo:
    """What ``record`` stores about a hand-in besides its results: flags, time, lateness."""

    flags: str = ""
    submitted_at: str = ""
    late_days: float = 0.0
    late_factor: float = 1.0
    late_note: str = ""
    #: The LMS's order of uploads (Canvas's attachment id): a newer hand-in is never replaced by
    #: an older one.
    lms_order: int = 0
    #: Where ``submitted_at`` came from (shown with the lateness).
    time_source: str = ""


class Gradebook(HistoryMixin):
    """A SQLite gradebook file; use as a context manager or call :meth:`close`."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, isolation_level=None, timeout=30.0)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL survives a killed process
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(SCHEMA)
        for table, columns in ADDED_COLUMNS.items():
            have = {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")}
            for name, kind in columns.items():
                if name not in have:
                    self._db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    def __enter__(self) -> Gradebook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def register(self, manifest: Manifest) -> None:
        """Record (or update) an assignment's manifest."""
        with self._transaction():
            self._db.execute(
                "INSERT INTO assignments(name, manifest) VALUES (?, ?) "
                "ON CONFLICT(name) DO UPDATE SET manifest = excluded.manifest",
                (manifest.assignment, manifest.dump()),
            )

    def manifest(self, assignment: str) -> Manifest | None:
        """Return the registered manifest of ``assignment``, if any."""
        row = self._db.execute(
            "SELECT manifest FROM assignments WHERE name = ?", (assignment,)
        ).fetchone()
        return Manifest.model_validate_json(row[0]) if row else None

    def assignments(self) -> list[str]:
        """Return the registered assignment names, sorted."""
        return [r[0] for r in self._db.execute("SELECT name FROM assignments ORDER BY name")]

    def graded_questions(self, assignment: str, student: str, content_hash: str) -> set[str]:
        """Return the questions already graded for this exact submission."""
        rows = self._db.execute(
            "SELECT question_id FROM results WHERE assignment = ? AND student = ? "
            "AND content_hash = ?",
            (assignment, student, content_hash),
        )
        return {r[0] for r in rows}

    def record(
        self,
        assignment: str,
        student: str,
        content_hash: str,
        path: str,
        problem: str | None,
        results: Sequence[QuestionResult],
        run_id: int,
        info: HandInInfo | None = None,
    ) -> None:
        """Store one submission's results and make it current, all in one transaction.

        Results already stored for this exact hand-in are replaced only now, after the new ones
        were computed; each replaced or added row is logged for ``history`` and ``undo``.
        """
        info = info or HandInInfo()
        with self._transaction():
            self._db.execute("INSERT OR IGNORE INTO students(student) VALUES (?)", (student,))
            late_before = self._lateness(assignment, student, content_hash)
            self._db.execute(
                "INSERT INTO submissions(assignment, student, content_hash, path, problem, flags, "
                "submitted_at, late_days, late_factor, late_note, lms_order, time_source) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET "
                "path = excluded.path, problem = excluded.problem, flags = excluded.flags, "
                "submitted_at = excluded.submitted_at, late_days = excluded.late_days, "
                "late_factor = excluded.late_factor, late_note = excluded.late_note, "
                "lms_order = excluded.lms_order, time_source = excluded.time_source",
                (
                    assignment,
                    student,
                    content_hash,
                    path,
                    problem,
                    info.flags,
                    info.submitted_at,
                    info.late_days,
                    info.late_factor,
                    info.late_note,
                    info.lms_order,
                    info.time_source,
                ),
            )
            for r in results:
                key = (student, r.question_id, content_hash)
                before = self._result_row(assignment, key)
                self._db.execute(
                    "INSERT OR REPLACE INTO results(assignment, student, question_id, "
                    "content_hash, score, points, status, reason, answer, feedback, run_id) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        assignment,
                        student,
                        r.question_id,
                        content_hash,
                        r.score,
                        r.points,
                        r.status,
                        r.reason,
                        r.answer,
                        r.feedback,
                        run_id,
                    ),
                )
                after = self._result_row(assignment, key)
                same = before is not None and after is not None
                if same and {**before, "run_id": 0} == {**after, "run_id": 0}:  # type: ignore[dict-item]
                    continue  # graded again to the same result: not a change
                self._log(run_id, assignment, key, "result", before, after)
            if late_before is not None:  # a lateness that changed is a grade change: logged
                self._log(
                    run_id,
                    assignment,
                    (student, "", content_hash),
                    "late",
                    late_before,
                    self._lateness(assignment, student, content_hash),
                )
            before_current = self._current(assignment, student)
            self._db.execute(
                "INSERT INTO current_submissions(assignment, student, content_hash) "
                "VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET content_hash = excluded.content_hash",
                (assignment, student, content_hash),
            )
            self._log(
                run_id,
                assignment,
                (student, "", content_hash),
                "current",
                before_current,
                {"content_hash": content_hash},
            )

    def current_rows(self, assignment: str) -> list[GradeRow]:
        """Return every result of every student's current submission, sorted.

        A person's points (review or override) replace the machine's score; the machine's score,
        the reviewer and the comment come along. Each row carries its hand-in's late factor.
        """
        rows = self._db.execute(
            "SELECT r.student, r.question_id, r.score, r.points, r.status, r.reason, r.answer, "
            "r.feedback, s.late_factor, s.late_note, s.flags, o.score, o.who, o.comment, o.kind "
            "FROM results r JOIN current_submissions c ON r.assignment = c.assignment "
            "AND r.student = c.student AND r.content_hash = c.content_hash "
            "JOIN submissions s ON s.assignment = c.assignment AND s.student = c.student "
            "AND s.content_hash = c.content_hash "
            "LEFT JOIN overrides o ON o.assignment = r.assignment AND o.student = r.student "
            "AND o.question_id = r.question_id "
            "WHERE r.assignment = ? ORDER BY r.student, r.question_id",
            (assignment,),
        )
        found = []
        for row in rows:
            (student, qid, score, points, status, reason, answer, feedback) = row[:8]
            late_factor, late_note, flags, human, who, comment, kind = row[8:]
            if human is not None:
                found.append(
                    GradeRow(
                        student, qid, human, points, kind, comment, answer, feedback,
                        late_factor, late_note, score, who, comment, flags,
                    )
                )  # fmt: skip
            else:
                found.append(
                    GradeRow(
                        student, qid, score, points, status, reason, answer, feedback,
                        late_factor, late_note, flags=flags,
                    )
                )  # fmt: skip
        return found

    def submissions(self, assignment: str) -> dict[str, dict[str, object]]:
        """Return each student's current hand-in: path, problem, flags, time and lateness."""
        rows = self._db.execute(
            "SELECT s.student, s.path, s.problem, s.flags, s.submitted_at, s.late_days, "
            "s.late_factor, s.late_note, s.content_hash, s.lms_order, s.time_source "
            "FROM submissions s "
            "JOIN current_submissions c "
            "ON s.assignment = c.assignment AND s.student = c.student "
            "AND s.content_hash = c.content_hash WHERE s.assignment = ? ORDER BY s.student",
            (assignment,),
        )
        names = (
            "path", "problem", "flags", "submitted_at", "late_days", "late_factor", "note",
            "content_hash", "lms_order", "time_source",
        )  # fmt: skip
        return {r[0]: dict(zip(names, r[1:], strict=True)) for r in rows}

    def snapshot(self, assignment: str) -> list[tuple[object, ...]]:
        """Return the gradebook's content without run ids: equal for equal grading outcomes."""
        results = self._db.execute(
            "SELECT student, question_id, content_hash, score, points, status, reason, answer, "
            "feedback FROM results WHERE assignment = ? ORDER BY student, question_id, "
            "content_hash",
            (assignment,),
        ).fetchall()
        current = self._db.execute(
            "SELECT student, content_hash FROM current_submissions WHERE assignment = ? "
            "ORDER BY student",
            (assignment,),
        ).fetchall()
        subs = self._db.execute(
            "SELECT student, content_hash, problem FROM submissions WHERE assignment = ? "
            "ORDER BY student, content_hash",
            (assignment,),
        ).fetchall()
        return (
            [("result", *r) for r in results]
            + [("current", *c) for c in current]
            + [("submission", *s) for s in subs]
        )

    def runs(self) -> list[dict[str, object]]:
        """Return the recorded runs, oldest first."""
        cursor = self._db.execute("SELECT * FROM runs ORDER BY run_id")
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor]

    def summary(self, assignment: str) -> dict[str, float]:
        """Return ``{student: points earned}`` over current submissions, after any late penalty."""
        return totals(self.current_rows(assignment))


def totals(rows: Iterable[GradeRow]) -> dict[str, float]:
    """Return ``{student: points}``: the sum of score × points, times the late factor."""
    raw: dict[str, float] = {}
    factor: dict[str, float] = {}
    for row in rows:
        raw[row.student] = raw.get(row.student, 0.0) + row.score * row.points
        factor[row.student] = row.late_factor
    return {student: raw[student] * factor[student] for student in raw}


def answer_text(value: object) -> str:
    """Return an answer as stored text (JSON for values, the source for code)."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    try:
        return json.dumps(value, sort_keys=True)
    except (TypeError, ValueError, RecursionError):  # a value JSON cannot hold: shown, not lost
        return repr(value).encode("utf-8", "backslashreplace").decode("utf-8")
