"""Collection trusts nothing in the folder: odd entries are named, never followed, never waited on.

Issue 13 item 5 and issue 14 item 1: symlinks (to another student's work, to ``/dev/zero``),
FIFOs, a file planted beside a student's folder, odd folder names, and the three layouts
(plain, Canvas bulk download, Moodle "download all") matched against the roster.
"""

from __future__ import annotations

import os
import shutil
import threading
import zipfile
from pathlib import Path

from lrcourse.grading.gradebook import Gradebook
from lrcourse.grading.intake import collect_folder, match_entry
from lrcourse.grading.manifest import Manifest, RosterEntry
from tests.grading.helpers import CHOICE_ONLY, CORPUS, grade_into

RIGHT = CORPUS / "correct--full.ipynb"
BLANK = CORPUS / "untouched-release--zero.ipynb"


def _with_roster(manifest: Manifest, *entries: RosterEntry) -> Manifest:
    return manifest.model_copy(
        update={"roster": list(entries), "students": [e.id for e in entries]}
    )


def _grade(folder: Path, book: Path, manifest: Manifest, questions, **options):
    report = grade_into(folder, book, manifest, questions, questions=CHOICE_ONLY, **options)
    with Gradebook(book) as gradebook:
        return report, {r.student: r for r in gradebook.current_rows(manifest.assignment)}


def _in_thread(function, seconds: float = 20.0):
    """Run ``function`` in a thread; fail if it does not return in time (it blocked)."""
    box: dict[str, object] = {}
    thread = threading.Thread(target=lambda: box.setdefault("value", function()), daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "collection blocked"
    return box["value"]


def test_a_symlinked_notebook_is_flagged_and_never_read_as_its_target(
    tmp_path: Path, manifest: Manifest, questions
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(RIGHT, folder / "ann.ipynb")
    (folder / "bob.ipynb").symlink_to(folder / "ann.ipynb")  # bob hands in ann's work
    _, rows = _grade(folder, tmp_path / "book.sqlite", manifest, questions)
    assert rows["ann"].score == 1.0 and rows["ann"].status == "graded"
    assert rows["bob"].score == 0.0 and rows["bob"].status == "needs-review"
    assert "bob.ipynb: a symbolic link (not followed)" in rows["bob"].reason


def test_a_symlink_to_dev_zero_and_a_fifo_do_not_block_and_are_named(
    tmp_path: Path, manifest: Manifest
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "zed.ipynb").symlink_to("/dev/zero")
    os.mkfifo(folder / "fifo.ipynb")  # nobody ever writes to it: reading it would block
    (folder / "dev").symlink_to("/dev")
    intake = _in_thread(lambda: collect_folder(folder, manifest))
    problems = {h.label: h.problem for found in intake.handins.values() for h in found}
    assert problems == {
        "fifo.ipynb": "fifo.ipynb: not a regular file (a FIFO, device or socket)",
        "zed.ipynb": "zed.ipynb: a symbolic link (not followed)",
    }
    assert [f.line() for f in intake.findings] == [
        "unmatched     dev: a symbolic link (not followed)"
    ]


def test_a_file_planted_beside_a_students_folder_does_not_zero_them(
    tmp_path: Path, manifest: Manifest, questions
) -> None:
    folder = tmp_path / "in"
    (folder / "ann").mkdir(parents=True)
    shutil.copy(RIGHT, folder / "ann" / "hw.ipynb")
    shutil.copy(BLANK, folder / "ann.ipynb")  # planted next to ann's folder
    report, rows = _grade(folder, tmp_path / "book.sqlite", manifest, questions)
    assert rows["ann"].score == 1.0
    assert [f.line() for f in report.findings] == [
        "extra-file    ann.ipynb: another file for ann outside their folder; not graded"
    ]


def test_odd_names_are_graded_or_named_never_skipped_silently(
    tmp_path: Path, manifest: Manifest, questions
) -> None:
    folder = tmp_path / "in"
    for name in ("José", "..hidden", "-rf", "Ann Smith"):
        (folder / name).mkdir(parents=True)
        shutil.copy(RIGHT, folder / name / "hw.ipynb")
    report, rows = _grade(folder, tmp_path / "book.sqlite", manifest, questions)
    assert set(rows) == {"José"}  # a real name in another script is a fine id
    named = {f.name: f.detail for f in report.findings}
    assert set(named) == {"..hidden/hw.ipynb", "-rf/hw.ipynb", "Ann Smith/hw.ipynb"}
    assert all("not a usable student id" in detail for detail in named.values())


def test_canvas_and_moodle_names_match_the_roster_by_lms_id_or_name(manifest: Manifest) -> None:
    manifest = _with_roster(
        manifest,
        RosterEntry(id="wzhang", name="Wen Zhang", canvas_id="48213", moodle_id="1234567"),
        RosterEntry(id="jalvarez", name="José Álvarez"),
    )
    canvas = match_entry(("zhangwen_48213_1290344_hw3.ipynb",), manifest)
    assert (canvas.student, canvas.layout, canvas.lms_late) == ("wzhang", "canvas", False)
    late = match_entry(("alvarezjose_late_50000_1290400_hw3-1.ipynb",), manifest)
    assert (late.student, late.lms_late, late.lms_submission) == ("jalvarez", True, 1290400)
    moodle = match_entry(("Wen Zhang_1234567_assignsubmission_file_", "hw3.ipynb"), manifest)
    assert (moodle.student, moodle.layout) == ("wzhang", "moodle")
    by_name = match_entry(("José Álvarez_7654321_assignsubmission_file_", "x.ipynb"), manifest)
    assert by_name.student == "jalvarez"
    parent = match_entry(("submissions", "wzhang", "hw3.ipynb"), manifest)
    assert parent.student == "wzhang"  # pointing one folder too high does not invent a student
    stranger = match_entry(("smithann_99_1_hw3.ipynb",), manifest)
    assert stranger.student is None


def test_a_canvas_zip_is_read_in_memory_and_the_latest_resubmission_counts(
    tmp_path: Path, manifest: Manifest, questions
) -> None:
    manifest = _with_roster(manifest, RosterEntry(id="ann", name="Ann Lee", canvas_id="7"))
    folder = tmp_path / "in"
    folder.mkdir()
    with zipfile.ZipFile(folder / "submissions.zip", "w") as archive:
        archive.writestr("leeann_7_100_hw.ipynb", BLANK.read_bytes())
        archive.writestr("leeann_late_7_101_hw-1.ipynb", RIGHT.read_bytes())
        archive.writestr("notes.txt", "not a notebook")
    report, rows = _grade(folder, tmp_path / "book.sqlite", manifest, questions)
    # Canvas's LATE mark without a time costs nothing silently: it is a finding to check.
    assert rows["ann"].score == 1.0 and rows["ann"].late_note.startswith("marked LATE")
    lines = [f.line() for f in report.findings]
    assert lines == [
        "unmatched     submissions.zip:notes.txt: not a notebook (.ipynb)",
        "resubmitted   submissions.zip:leeann_7_100_hw.ipynb: an earlier submission; not graded",
        "late-unknown  submissions.zip:leeann_late_7_101_hw-1.ipynb: marked LATE by the LMS, "
        "which gives no time: not penalised; check it in the LMS",
    ]
