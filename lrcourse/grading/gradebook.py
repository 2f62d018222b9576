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
from datetime import UTC, datetime
from pathlib import Path

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
    },
}
_RESULT_COLUMNS = ("score", "points", "status", "reason", "answer", "feedback", "run_id")
_OVERRIDE_COLUMNS = ("score", "comment", "who", "at", "kind", "run_id")


def now_text() -> str:
    """Return the current UTC time as ISO text, to the second (how runs and reviews are dated)."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


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


@dataclass(frozen=True)
class Change:
    """One row a run added or replaced: which, and its values before and after (None: absent)."""

    run_id: int
    student: str
    question_id: str
    kind: str  # "result", "current" or "override"
    before: dict[str, object] | None
    after: dict[str, object] | None


class Gradebook:
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

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)

    def start_run(self, assignment: str, command: str, kind: str = "grade") -> int:
        """Record the start of a run (grade, review, override, undo); return its id."""
        with self._transaction():
            cursor = self._db.execute(
                "INSERT INTO runs(assignment, command, kind, started_at) VALUES (?, ?, ?, ?)",
                (assignment, command, kind, now_text()),
            )
        return int(cursor.lastrowid or 0)

    def finish_run(self, run_id: int, seen: int, graded: int, summary: str = "") -> None:
        """Mark a run as finished with its counts and a one-line summary of what it found."""
        with self._transaction():
            self._db.execute(
                "UPDATE runs SET submissions_seen = ?, submissions_graded = ?, finished = 1, "
                "finished_at = ?, summary = ? WHERE run_id = ?",
                (seen, graded, now_text(), summary, run_id),
            )

    def _log(
        self,
        run_id: int,
        assignment: str,
        key: tuple[str, str, str],
        kind: str,
        before: dict[str, object] | None,
        after: dict[str, object] | None,
    ) -> None:
        if before == after:
            return
        student, question_id, content_hash = key
        self._db.execute(
            "INSERT INTO changes(run_id, assignment, student, question_id, kind, content_hash, "
            "before, after) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                run_id,
                assignment,
                student,
                question_id,
                kind,
                content_hash,
                None if before is None else json.dumps(before, sort_keys=True),
                None if after is None else json.dumps(after, sort_keys=True),
            ),
        )

    def _result_row(self, assignment: str, key: tuple[str, str, str]) -> dict[str, object] | None:
        row = self._db.execute(
            f"SELECT {', '.join(_RESULT_COLUMNS)} FROM results WHERE assignment = ? "
            "AND student = ? AND question_id = ? AND content_hash = ?",
            (assignment, *key),
        ).fetchone()
        return None if row is None else dict(zip(_RESULT_COLUMNS, row, strict=True))

    def _current(self, assignment: str, student: str) -> dict[str, object] | None:
        row = self._db.execute(
            "SELECT content_hash FROM current_submissions WHERE assignment = ? AND student = ?",
            (assignment, student),
        ).fetchone()
        return None if row is None else {"content_hash": row[0]}

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
            self._db.execute(
                "INSERT INTO submissions(assignment, student, content_hash, path, problem, flags, "
                "submitted_at, late_days, late_factor, late_note) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET "
                "path = excluded.path, problem = excluded.problem, flags = excluded.flags, "
                "submitted_at = excluded.submitted_at, late_days = excluded.late_days, "
                "late_factor = excluded.late_factor, late_note = excluded.late_note",
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

    def set_override(
        self,
        assignment: str,
        student: str,
        question_id: str,
        score: float,
        comment: str,
        who: str,
        run_id: int,
        kind: str = "overridden",
    ) -> None:
        """Record a person's score (0..1) for one answer, with who, when and why; logged."""
        key = (student, question_id, "")
        with self._transaction():
            before = self._override(assignment, student, question_id)
            self._db.execute(
                "INSERT OR REPLACE INTO overrides(assignment, student, question_id, score, "
                "comment, who, at, kind, run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (assignment, student, question_id, score, comment, who, now_text(), kind, run_id),
            )
            after = self._override(assignment, student, question_id)
            self._log(run_id, assignment, key, "override", before, after)

    def _override(
        self, assignment: str, student: str, question_id: str
    ) -> dict[str, object] | None:
        row = self._db.execute(
            f"SELECT {', '.join(_OVERRIDE_COLUMNS)} FROM overrides WHERE assignment = ? "
            "AND student = ? AND question_id = ?",
            (assignment, student, question_id),
        ).fetchone()
        return None if row is None else dict(zip(_OVERRIDE_COLUMNS, row, strict=True))

    def changes(self, run_id: int) -> list[Change]:
        """Return what ``run_id`` added or replaced, in order."""
        rows = self._db.execute(
            "SELECT run_id, student, question_id, kind, before, after FROM changes "
            "WHERE run_id = ? ORDER BY change_id",
            (run_id,),
        )
        return [
            Change(
                r,
                s,
                q,
                k,
                None if b is None else json.loads(b),
                None if a is None else json.loads(a),
            )
            for r, s, q, k, b, a in rows
        ]

    def change_counts(self) -> dict[int, int]:
        """Return ``{run_id: rows changed}`` for every run that changed something."""
        rows = self._db.execute(
            "SELECT run_id, count(*) FROM changes WHERE kind != 'current' GROUP BY run_id"
        )
        return dict(rows.fetchall())

    def undo_last(self, command: str) -> tuple[int, int] | None:
        """Put back every row the last run that changed something replaced; return (run, rows).

        Runs are undone newest first (an undo is itself a run, and is not undone by the next
        one). Returns None when no run is left to undo.
        """
        row = self._db.execute(
            "SELECT r.run_id, r.assignment FROM runs r WHERE r.undone_by IS NULL "
            "AND r.kind != 'undo' AND EXISTS (SELECT 1 FROM changes c WHERE c.run_id = r.run_id) "
            "ORDER BY r.run_id DESC LIMIT 1"
        ).fetchone()
        if row is None:
            return None
        run_id, assignment = row
        undo_id = self.start_run(assignment, command, kind="undo")
        with self._transaction():
            logged = self._db.execute(
                "SELECT student, question_id, kind, content_hash, before FROM changes "
                "WHERE run_id = ? ORDER BY change_id DESC",
                (run_id,),
            ).fetchall()
            for student, question_id, kind, content_hash, before_text in logged:
                before = None if before_text is None else json.loads(before_text)
                self._restore(assignment, student, question_id, kind, content_hash, before)
            self._db.execute("UPDATE runs SET undone_by = ? WHERE run_id = ?", (undo_id, run_id))
        self.finish_run(undo_id, 0, 0, f"undid run {run_id}: {len(logged)} row(s) put back")
        return run_id, len(logged)

    def _restore(
        self,
        assignment: str,
        student: str,
        question_id: str,
        kind: str,
        content_hash: str,
        before: dict[str, object] | None,
    ) -> None:
        if kind == "result":
            where = "assignment = ? AND student = ? AND question_id = ? AND content_hash = ?"
            params: tuple[object, ...] = (assignment, student, question_id, content_hash)
            self._db.execute(f"DELETE FROM results WHERE {where}", params)
            if before is not None:
                self._db.execute(
                    f"INSERT INTO results(assignment, student, question_id, content_hash, "
                    f"{', '.join(_RESULT_COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (*params, *(before[c] for c in _RESULT_COLUMNS)),
                )
        elif kind == "current":
            self._db.execute(
                "DELETE FROM current_submissions WHERE assignment = ? AND student = ?",
                (assignment, student),
            )
            if before is not None:
                self._db.execute(
                    "INSERT INTO current_submissions(assignment, student, content_hash) "
                    "VALUES (?, ?, ?)",
                    (assignment, student, before["content_hash"]),
                )
        else:
            self._db.execute(
                "DELETE FROM overrides WHERE assignment = ? AND student = ? AND question_id = ?",
                (assignment, student, question_id),
            )
            if before is not None:
                self._db.execute(
                    f"INSERT INTO overrides(assignment, student, question_id, "
                    f"{', '.join(_OVERRIDE_COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (assignment, student, question_id, *(before[c] for c in _OVERRIDE_COLUMNS)),
                )

    def submissions(self, assignment: str) -> dict[str, dict[str, object]]:
        """Return each student's current hand-in: path, problem, flags, time and lateness."""
        rows = self._db.execute(
            "SELECT s.student, s.path, s.problem, s.flags, s.submitted_at, s.late_days, "
            "s.late_factor, s.late_note, s.content_hash FROM submissions s "
            "JOIN current_submissions c "
            "ON s.assignment = c.assignment AND s.student = c.student "
            "AND s.content_hash = c.content_hash WHERE s.assignment = ? ORDER BY s.student",
            (assignment,),
        )
        names = (
            "path", "problem", "flags", "submitted_at", "late_days", "late_factor", "note",
            "content_hash",
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


class _Transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``, or ``ROLLBACK`` on any exception."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *rest: object) -> None:
        self._db.execute("ROLLBACK" if exc_type else "COMMIT")


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
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)
