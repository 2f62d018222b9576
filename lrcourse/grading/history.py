"""The gradebook's change log: what each run replaced, a person's points, and undo.

Mixed into :class:`~lrcourse.grading.gradebook.Gradebook` (one job per module): every row a run
adds or replaces (a result, the pointer to a student's current hand-in, a person's override) is
logged in ``changes`` with its value before and after, inside the run's own transaction. So
``history`` can say what a run changed, and :meth:`HistoryMixin.undo_last` can put the last
run's rows back exactly as they were, in one transaction.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime

_RESULT_COLUMNS = ("score", "points", "status", "reason", "answer", "feedback", "run_id")
_OVERRIDE_COLUMNS = ("score", "comment", "who", "at", "kind", "run_id")
#: A hand-in's lateness (a change of it changes the grade: logged as kind "late").
_LATE_COLUMNS = ("submitted_at", "late_days", "late_factor", "late_note", "time_source")


def now_text() -> str:
    """Return the current UTC time as ISO text, to the second (how runs and reviews are dated)."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


@dataclass(frozen=True)
class Change:
    """One row a run added or replaced: which, and its values before and after (None: absent)."""

    run_id: int
    student: str
    question_id: str
    kind: str  # "result", "current", "late" or "override"
    before: dict[str, object] | None
    after: dict[str, object] | None


class HistoryMixin:
    """Change log, overrides and undo of a gradebook (needs ``_db``, ``start_run``, ``finish_run``)."""

    _db: sqlite3.Connection

    def _transaction(self) -> Transaction:
        return Transaction(self._db)

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

    def _lateness(
        self, assignment: str, student: str, content_hash: str
    ) -> dict[str, object] | None:
        row = self._db.execute(
            f"SELECT {', '.join(_LATE_COLUMNS)} FROM submissions WHERE assignment = ? "
            "AND student = ? AND content_hash = ?",
            (assignment, student, content_hash),
        ).fetchone()
        return None if row is None else dict(zip(_LATE_COLUMNS, row, strict=True))

    def _current(self, assignment: str, student: str) -> dict[str, object] | None:
        row = self._db.execute(
            "SELECT content_hash FROM current_submissions WHERE assignment = ? AND student = ?",
            (assignment, student),
        ).fetchone()
        return None if row is None else {"content_hash": row[0]}

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
        elif kind == "late":
            if before is not None:
                self._db.execute(
                    f"UPDATE submissions SET {', '.join(f'{c} = ?' for c in _LATE_COLUMNS)} "
                    "WHERE assignment = ? AND student = ? AND content_hash = ?",
                    (*(before[c] for c in _LATE_COLUMNS), assignment, student, content_hash),
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


class Transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``, or ``ROLLBACK`` on any exception."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *rest: object) -> None:
        self._db.execute("ROLLBACK" if exc_type else "COMMIT")
