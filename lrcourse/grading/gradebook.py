"""The gradebook: SQLite (WAL, one transaction per submission), safe to kill and re-run.

Results are keyed by ``(assignment, student, question, submission hash)``. A submission's results
and the pointer to it as the student's current submission are written in one transaction, so
after ``kill -9`` a submission is either fully recorded or not at all; the next ``grade`` skips
what is recorded and grades the rest. Re-running is idempotent; regrading one student or one
question deletes exactly those rows (in one transaction) and grades them again.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
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
"""


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
    """A current result as the exports read it."""

    student: str
    question_id: str
    score: float
    points: float
    status: str
    reason: str
    answer: str
    feedback: str


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

    def start_run(self, assignment: str, command: str) -> int:
        """Record the start of a grading run; return its id."""
        with self._transaction():
            cursor = self._db.execute(
                "INSERT INTO runs(assignment, command) VALUES (?, ?)", (assignment, command)
            )
        return int(cursor.lastrowid or 0)

    def finish_run(self, run_id: int, seen: int, graded: int) -> None:
        """Mark a run as finished with its counts."""
        with self._transaction():
            self._db.execute(
                "UPDATE runs SET submissions_seen = ?, submissions_graded = ?, finished = 1 "
                "WHERE run_id = ?",
                (seen, graded, run_id),
            )

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
    ) -> None:
        """Store one submission's results and make it current, all in one transaction."""
        with self._transaction():
            self._db.execute("INSERT OR IGNORE INTO students(student) VALUES (?)", (student,))
            self._db.execute(
                "INSERT INTO submissions(assignment, student, content_hash, path, problem) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET path = excluded.path, "
                "problem = excluded.problem",
                (assignment, student, content_hash, path, problem),
            )
            self._db.executemany(
                "INSERT OR REPLACE INTO results(assignment, student, question_id, content_hash, "
                "score, points, status, reason, answer, feedback, run_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
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
                    )
                    for r in results
                ],
            )
            self._db.execute(
                "INSERT INTO current_submissions(assignment, student, content_hash) "
                "VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET content_hash = excluded.content_hash",
                (assignment, student, content_hash),
            )

    def forget(
        self, assignment: str, students: Iterable[str] = (), questions: Iterable[str] = ()
    ) -> int:
        """Delete current results of these students and/or questions (to regrade); return rows."""
        clauses, params = ["assignment = ?"], [assignment]
        students, questions = list(students), list(questions)
        if students:
            clauses.append(f"student IN ({','.join('?' * len(students))})")
            params += students
        if questions:
            clauses.append(f"question_id IN ({','.join('?' * len(questions))})")
            params += questions
        with self._transaction():
            cursor = self._db.execute(f"DELETE FROM results WHERE {' AND '.join(clauses)}", params)
        return cursor.rowcount

    def current_rows(self, assignment: str) -> list[GradeRow]:
        """Return every result of every student's current submission, sorted."""
        rows = self._db.execute(
            "SELECT r.student, r.question_id, r.score, r.points, r.status, r.reason, r.answer, "
            "r.feedback FROM results r JOIN current_submissions c ON r.assignment = c.assignment "
            "AND r.student = c.student AND r.content_hash = c.content_hash "
            "WHERE r.assignment = ? ORDER BY r.student, r.question_id",
            (assignment,),
        )
        return [GradeRow(*row) for row in rows]

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
        """Return ``{student: points earned}`` over current submissions."""
        totals: dict[str, float] = {}
        for row in self.current_rows(assignment):
            totals[row.student] = totals.get(row.student, 0.0) + row.score * row.points
        return totals


class _Transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``, or ``ROLLBACK`` on any exception."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *rest: object) -> None:
        self._db.execute("ROLLBACK" if exc_type else "COMMIT")


def answer_text(value: object) -> str:
    """Return an answer as stored text (JSON for values, the source for code)."""
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)
