"""The class tools one by one: roster input, late policy, history and undo, CLI mistakes."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lrcourse.cli import main
from lrcourse.grading.gradebook import Gradebook
from lrcourse.grading.late import lateness
from lrcourse.grading.manifest import AssignmentError, LatePolicy, Manifest
from lrcourse.grading.roster import read_roster
from tests.grading.helpers import BANKS, CHOICE_ONLY, CORPUS, grade_into

DUE = datetime(2026, 3, 1, 23, 59, tzinfo=UTC)


def test_a_roster_csv_keeps_names_and_lms_ids(tmp_path: Path) -> None:
    path = tmp_path / "class.csv"
    path.write_text("id,name,canvas_id,moodle_id\nwzhang,Wen Zhang,48213,1234567\n")
    [entry] = read_roster(str(path))
    assert (entry.id, entry.name, entry.canvas_id, entry.moodle_id) == (
        "wzhang", "Wen Zhang", "48213", "1234567",
    )  # fmt: skip


def test_canvas_gradebook_export_is_a_roster_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / "canvas.csv"
    path.write_text(
        "Student,ID,SIS User ID,SIS Login ID,Section,hw1 (77)\n"
        "    Points Possible,,,,,10\n"
        '"Zhang, Wen",48213,s1,wzhang,A,\n'
    )
    [entry] = read_roster(str(path))
    assert (entry.id, entry.name, entry.canvas_id) == ("wzhang", "Zhang, Wen", "48213")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("nosuchfile.txt", "no such file"),
        ("a,a", "'a' is listed twice"),
        ("ann,bad/name", "'bad/name' is not a student id"),
    ],
)
def test_student_list_mistakes_are_named(text: str, message: str) -> None:
    with pytest.raises(AssignmentError, match=message):
        read_roster(text)


def test_a_name_with_a_space_in_a_list_file_is_an_error_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "students.txt"
    path.write_text("ann\nAnn Smith\n")
    with pytest.raises(AssignmentError, match=r"line 2: 'Ann Smith' is not a student id"):
        read_roster(str(path))


def test_late_policy_counts_started_days_grace_and_cutoff() -> None:
    policy = LatePolicy(due=DUE, grace_minutes=30, penalty_per_day=0.1, cutoff_days=3)
    assert lateness(policy, DUE + timedelta(minutes=20)).factor == 1.0  # within grace
    one = lateness(policy, DUE + timedelta(hours=2))
    assert (one.days, one.factor) == (1, pytest.approx(0.9))
    assert lateness(policy, DUE + timedelta(days=1, hours=1)).factor == pytest.approx(0.8)
    assert lateness(policy, DUE + timedelta(days=5)).factor == 0.0
    unknown = lateness(policy, None, lms_late=True)  # issue 22 item 2: no time, no penalty
    assert (unknown.factor, unknown.unknown) == (1.0, True)
    assert lateness(None, DUE + timedelta(days=9)).factor == 1.0  # no policy: no penalty


def _grade(folder: Path, book: Path, manifest: Manifest, questions, **options):
    return grade_into(folder, book, manifest, questions, questions=CHOICE_ONLY, **options)


def _rows(book: Path, assignment: str) -> list[tuple[str, float]]:
    with Gradebook(book) as gradebook:
        return [(r.student, r.score) for r in gradebook.current_rows(assignment)]


def test_an_empty_or_mismatched_folder_or_filter_changes_nothing(
    tmp_path: Path, manifest: Manifest, questions
) -> None:
    folder, book = tmp_path / "in", tmp_path / "book.sqlite"
    folder.mkdir()
    shutil.copy(CORPUS / "correct--full.ipynb", folder / "ann.ipynb")
    _grade(folder, book, manifest, questions)
    before = _rows(book, manifest.assignment)
    (tmp_path / "empty").mkdir()
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("x")
    mistakes = [
        (tmp_path / "empty", {}, "no files in this folder"),
        (tmp_path / "other", {}, "none of them a hand-in"),
        (tmp_path / "missing", {}, "not a folder"),
        (folder, {"students": ["bob"]}, "no hand-in of theirs"),
    ]
    for where, options, message in mistakes:
        with pytest.raises(AssignmentError, match=message):
            _grade(where, book, manifest, questions, regrade=True, **options)
        assert _rows(book, manifest.assignment) == before


def test_every_run_is_in_the_history_and_undo_puts_the_last_one_back(
    tmp_path: Path, manifest: Manifest, questions
) -> None:
    folder, book = tmp_path / "in", tmp_path / "book.sqlite"
    folder.mkdir()
    shutil.copy(CORPUS / "untouched-release--zero.ipynb", folder / "ann.ipynb")
    _grade(folder, book, manifest, questions)
    first = _rows(book, manifest.assignment)
    shutil.copy(CORPUS / "correct--full.ipynb", folder / "ann.ipynb")  # a resubmission
    _grade(folder, book, manifest, questions)
    assert _rows(book, manifest.assignment) == [("ann", 1.0)]
    with Gradebook(book) as gradebook:
        runs = gradebook.runs()
        assert [r["kind"] for r in runs] == ["grade", "grade"]
        assert all(r["started_at"] and r["finished_at"] for r in runs)
        changed = gradebook.changes(runs[-1]["run_id"])
        assert {(c.kind, c.question_id) for c in changed} == {
            ("result", CHOICE_ONLY[0]),
            ("current", ""),
        }
        assert gradebook.undo_last("test undo") == (runs[-1]["run_id"], 2)
    assert _rows(book, manifest.assignment) == first
    with Gradebook(book) as gradebook:
        assert gradebook.runs()[-1]["kind"] == "undo"
        assert gradebook.undo_last("again") == (runs[0]["run_id"], 2)
        assert gradebook.current_rows(manifest.assignment) == []
        assert gradebook.undo_last("nothing left") is None


def test_cli_mistakes_are_one_line_and_exit_2(tmp_path: Path, capsys) -> None:
    cases = [
        ["assign", "hw/1", "--banks", str(BANKS), "--out", str(tmp_path)],
        ["assign", "hw 1", "--banks", str(BANKS), "--out", str(tmp_path)],
        ["assign", "hw", "--banks", str(BANKS), "--students", "nosuchfile.txt"],
        ["gradebook", "--gradebook", str(tmp_path / "none.sqlite")],
        ["validate", str(tmp_path / "none.ipynb")],
    ]
    for argv in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("lrcourse: "), err


def test_gradebook_piped_into_head_ends_quietly(tmp_path: Path, manifest: Manifest) -> None:
    book = tmp_path / "book.sqlite"
    with Gradebook(book) as gradebook:
        for n in range(12000):  # ~84 KB of names: more than a pipe holds
            gradebook.register(manifest.model_copy(update={"assignment": f"hw{n:05d}"}))
    lrcourse = Path(sys.executable).parent / "lrcourse"
    done = subprocess.run(
        ["bash", "-c", f'"{lrcourse}" gradebook --gradebook "{book}" | head -1; '
         'echo "status ${PIPESTATUS[0]}"'],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.stdout.splitlines() == ["hw00000", "status 0"]
    assert done.stderr == ""


def test_a_bank_edit_since_assign_is_named_at_grade_time(
    tmp_path: Path, manifest: Manifest, questions
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(CORPUS / "correct--full.ipynb", folder / "ann.ipynb")
    edited = dict(questions)
    key = edited[CHOICE_ONLY[0]]
    edited[CHOICE_ONLY[0]] = key.model_copy(update={"answer": "backward"})  # a key changed
    report = _grade(folder, tmp_path / "book.sqlite", manifest, edited)
    assert report.changed_questions == [CHOICE_ONLY[0]]
    assert _grade(folder, tmp_path / "b2.sqlite", manifest, questions).changed_questions == []


def test_an_unanswered_release_never_replaces_a_graded_hand_in(
    tmp_path: Path, manifest: Manifest, questions
) -> None:
    folder, book = tmp_path / "in", tmp_path / "book.sqlite"
    folder.mkdir()
    shutil.copy(CORPUS / "correct--full.ipynb", folder / "ann.ipynb")
    _grade(folder, book, manifest, questions)
    shutil.copy(CORPUS / "untouched-release--zero.ipynb", folder / "ann.ipynb")
    report = _grade(folder, book, manifest, questions, regrade=True)
    assert _rows(book, manifest.assignment) == [("ann", 1.0)]
    assert [f.kind for f in report.findings] == ["untouched"]
