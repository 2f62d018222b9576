"""The gradebook: idempotent re-runs, targeted regrades, and kill -9 at random points."""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import sqlite3
import time
from pathlib import Path

import pytest

from lrcourse.grading.gradebook import Gradebook
from lrcourse.grading.manifest import Manifest
from lrcourse.quiz.model import QuestionModel
from tests.grading.helpers import CHOICE_ONLY, CORPUS, grade_into
from tests.sandbox.helpers import sandbox_processes

#: Submissions whose grades do not depend on timing (no timeouts), so two runs must agree.
STEADY = [
    "correct--full",
    "source-as-one-string--full",
    "sys-exit-zero--code-zero",
    "syntax-error--code-zero",
    "monkeypatch-torch--code-zero",
    "forge-stdout-verdict--code-zero",
    "answer-duplicated--one-zero",
    "answer-wrong-type--one-zero",
    "corrupt-json--zero",
    "untouched-release--zero",
    "forged-metadata-and-outputs--zero",
]


def _folder(root: Path, copies: int = 0) -> Path:
    folder = root / "submitted"
    folder.mkdir()
    for name in STEADY:
        shutil.copy(CORPUS / f"{name}.ipynb", folder / f"{name}.ipynb")
    for n in range(copies):
        shutil.copy(CORPUS / "correct--full.ipynb", folder / f"student-{n:02d}.ipynb")
    return folder


def _snapshot(book: Path, assignment: str) -> list[tuple[object, ...]]:
    with Gradebook(book) as gradebook:
        return gradebook.snapshot(assignment)


def _run_ids(book: Path) -> dict[tuple[str, str], int]:
    with sqlite3.connect(book) as db:
        return {
            (s, q): r for s, q, r in db.execute("SELECT student, question_id, run_id FROM results")
        }


@pytest.fixture(scope="module")
def reference(tmp_path_factory, manifest: Manifest, questions: dict[str, QuestionModel]):
    """One uninterrupted run over the steady submissions: the truth the other runs must equal."""
    root = tmp_path_factory.mktemp("reference")
    folder = _folder(root)
    book = root / "gradebook.sqlite"
    grade_into(folder, book, manifest, questions)
    return folder, book, _snapshot(book, manifest.assignment)


def test_grading_twice_changes_nothing_and_grades_nothing(reference, manifest, questions) -> None:
    folder, book, before = reference
    report = grade_into(folder, book, manifest, questions)
    assert report.graded == 0 and report.skipped == len(STEADY)
    assert _snapshot(book, manifest.assignment) == before


def _regrade_a_copy(tmp_path, reference, manifest, bank_questions, **only):
    """Regrade a copy of the reference gradebook; return the report, the copy and changed keys.

    A key (student, question) has changed when its result was written by the new run.
    """
    folder, book, _ = reference
    copy = tmp_path / "book.sqlite"
    shutil.copy(book, copy)
    old = _run_ids(copy)
    report = grade_into(folder, copy, manifest, bank_questions, regrade=True, **only)
    new = _run_ids(copy)
    return report, copy, {key for key in old if old[key] != new[key]}


def test_regrading_one_student_rewrites_only_that_student(
    tmp_path, reference, manifest, questions
) -> None:
    only = {"students": ["correct--full"]}
    report, copy, changed = _regrade_a_copy(tmp_path, reference, manifest, questions, **only)
    assert report.graded == 1
    assert {student for student, _ in changed} == {"correct--full"}
    assert len(changed) == len(manifest.slots)
    assert _snapshot(copy, manifest.assignment) == reference[2]


def test_regrading_one_question_rewrites_only_that_question(
    tmp_path, reference, manifest, questions
) -> None:
    question = "grading-test.where-lr-is-used"
    only = {"questions": [question]}
    _, copy, changed = _regrade_a_copy(tmp_path, reference, manifest, questions, **only)
    assert {q for _, q in changed} == {question}
    assert len(changed) == len(STEADY)
    assert _snapshot(copy, manifest.assignment) == reference[2]


def test_a_resubmission_becomes_current_and_keeps_the_old_results(
    tmp_path, manifest, questions
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    book = tmp_path / "book.sqlite"
    shutil.copy(CORPUS / "untouched-release--zero.ipynb", folder / "alice.ipynb")
    grade_into(folder, book, manifest, questions, questions=CHOICE_ONLY)
    shutil.copy(CORPUS / "correct--full.ipynb", folder / "alice.ipynb")
    grade_into(folder, book, manifest, questions, questions=CHOICE_ONLY)
    with Gradebook(book) as gradebook:
        [row] = gradebook.current_rows(manifest.assignment)
        assert row.score == 1.0
        assert (
            len([s for s in gradebook.snapshot(manifest.assignment) if s[0] == "submission"]) == 2
        )


def _rows(book: Path) -> int:
    try:
        if not book.exists():
            return 0
        with sqlite3.connect(book, timeout=5) as db:
            return db.execute("SELECT count(*) FROM results").fetchone()[0]
    except sqlite3.OperationalError:  # not created yet
        return 0


def _start_grader(folder: Path, book: Path, manifest: Manifest, questions) -> int:
    """Fork a grader process (its own process group) grading ``folder`` into ``book``."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child is killed or exits without returning
        try:
            os.setpgrp()
            grade_into(folder, book, manifest, questions)
        finally:
            os._exit(0)
    # Set the group from this side too: a kill right after fork must not find it missing.
    with contextlib.suppress(OSError):
        os.setpgid(pid, pid)
    return pid


@pytest.mark.slow  # ~20 s of kill -9 and rerun cycles (CI runs it)
def test_kill_9_at_random_points_then_rerun_equals_one_uninterrupted_run(
    tmp_path, manifest, questions
) -> None:
    folder = _folder(tmp_path, copies=9)
    total = len(list(folder.glob("*.ipynb"))) * len(manifest.slots)
    truth_book = tmp_path / "truth.sqlite"
    grade_into(folder, truth_book, manifest, questions)
    book = tmp_path / "gradebook.sqlite"
    rng = random.Random(20261123)
    # Each run resumes the last one, so kill points climb: one during start-up (no new rows),
    # then nine at random row counts, each followed by a random delay of up to 50 ms.
    targets = [0, *sorted(rng.sample(range(1, total * 4 // 5), 9))]
    targets += [0] * 10  # spare start-up kills, used only if a run finished before its kill
    kills, mid_run = 0, 0
    for target in targets:
        if kills >= 10:
            break
        pid = _start_grader(folder, book, manifest, questions)
        deadline = time.monotonic() + 60
        finished = False
        while _rows(book) < target and time.monotonic() < deadline:
            if os.waitpid(pid, os.WNOHANG) != (0, 0):
                finished = True
                break
            time.sleep(0.005)
        if not finished:
            time.sleep(rng.uniform(0, 0.05) if target else rng.uniform(0, 1.0))
            if os.waitpid(pid, os.WNOHANG) == (0, 0):
                os.killpg(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                kills += 1
        rows = _rows(book)
        mid_run += 0 < rows < total
        assert rows % len(manifest.slots) == 0, "a submission was half-recorded"
    assert kills >= 10
    assert mid_run >= 3, "the kills should land in the middle of grading"
    report = grade_into(folder, book, manifest, questions)
    assert report.seen == report.graded + report.skipped
    assert _snapshot(book, manifest.assignment) == _snapshot(truth_book, manifest.assignment)
    deadline = time.monotonic() + 10  # orphaned sandbox servers finish their run, then exit
    while sandbox_processes() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert sandbox_processes() == []
