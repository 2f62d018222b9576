"""Class feedback zips in the layouts Moodle's and Canvas's bulk feedback uploads read.

The readers in ``tests/grading/instructor_lms_rules.py`` mirror Moodle's
``assignfeedback_file_zip_importer::is_valid_filename_for_import`` and Canvas's
``Assignment#infer_comment_context_from_filename``: each page must be attributed to exactly its
student, whatever the names hold.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from lrcourse.grading.bulk_feedback import canvas_feedback_zip, moodle_feedback_zip
from lrcourse.grading.export import export_all
from lrcourse.grading.gradebook import GradeRow
from lrcourse.grading.manifest import Manifest, RosterEntry
from tests.grading.instructor_lms_rules import (
    canvas_reupload_owner,
    moodle_feedback_zip_owner,
    moodle_feedback_zip_owners,
)

#: Names Moodle's importer would misread if written as they are.
ROSTER = [
    RosterEntry(id="ann", name="Ann_Lee_99_assignfeedback_file", moodle_id="101", canvas_id="7"),
    RosterEntry(id="bob", name=".hidden ~Bob/../x", moodle_id="102", canvas_id="8"),
    RosterEntry(id="cy", name="Zoë Ñúñez-García", moodle_id="103", canvas_id="9"),
    RosterEntry(id="dee", name="Dee NoMoodle", canvas_id="10"),
]
PAGES = {entry.id: f"<html>page of {entry.id}</html>" for entry in ROSTER}
#: What the gradebook stores as each hand-in's path (Canvas download names; dee's is plain).
HAND_INS = {
    "ann": "submissions.zip:leeann_7_5551_hw.ipynb",
    "bob": "downloads/bobby_late_8_5552_hw_2.ipynb",
    "cy": "submissions.zip:nunezcy_9_5553_hw.ipynb",
    "dee": "plain/dee.ipynb",
}


def _manifest(manifest: Manifest) -> Manifest:
    return manifest.model_copy(update={"roster": ROSTER})


def _contents(data: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name).decode() for name in archive.namelist()}


def test_moodle_attributes_each_page_to_its_own_participant(manifest) -> None:
    bulk = moodle_feedback_zip(_manifest(manifest), PAGES)
    owners = moodle_feedback_zip_owners(bulk.data, {"101", "102", "103", "99"})
    by_id = {entry.moodle_id: entry.id for entry in ROSTER}
    files = _contents(bulk.data)
    assert sorted(owners.values()) == ["101", "102", "103"]
    for path, participant in owners.items():
        assert files[path] == PAGES[by_id[participant]]
        # Moodle joins the empty piece after the last "_" back on: "/" + the file name, as
        # for its own "download all" folders (fullname_id_assignsubmission_file_/...).
        assert moodle_feedback_zip_owner(path, {participant})[1] == "/hw-test-feedback.html"
    assert bulk.skipped == [("dee", "no Moodle participant id on the class list")]


def test_the_moodle_reader_would_misattribute_a_raw_name(manifest) -> None:
    """The reader can fail: Ann's raw name, written as is, gives her page to participant 99."""
    raw = "Ann_Lee_99_assignfeedback_file_101_assignfeedback_file_/hw-test-feedback.html"
    assert moodle_feedback_zip_owner(raw, {"99", "101"}) is None or (
        moodle_feedback_zip_owner(raw, {"99", "101"})[0] != "101"
    )


def test_canvas_reupload_names_carry_the_user_and_attachment_ids(manifest) -> None:
    bulk = canvas_feedback_zip(_manifest(manifest), PAGES, HAND_INS)
    files = _contents(bulk.data)
    owners = {canvas_reupload_owner(name): body for name, body in files.items()}
    assert owners == {
        ("7", "5551"): PAGES["ann"],
        ("8", "5552"): PAGES["bob"],
        ("9", "5553"): PAGES["cy"],
    }
    assert [s for s, _ in bulk.skipped] == ["dee"]


def test_a_hand_in_of_another_canvas_user_is_not_attached(manifest) -> None:
    swapped = {**HAND_INS, "ann": "submissions.zip:bobby_8_5552_hw.ipynb"}
    bulk = canvas_feedback_zip(_manifest(manifest), PAGES, swapped)
    assert "ann" not in bulk.included
    assert ("ann", "the hand-in's Canvas user id 8 is not theirs (7)") in bulk.skipped


def test_export_writes_both_zips_and_names_who_is_left_out(
    tmp_path: Path, manifest, questions
) -> None:
    manifest = _manifest(manifest)
    rows = [
        GradeRow(entry.id, slot.question_id, 1.0, 1.0, "graded", "", "x", "")
        for entry in ROSTER
        for slot in manifest.slots
    ]
    notes: list[str] = []
    written = export_all(manifest, rows, questions, tmp_path, hand_ins=HAND_INS, notes=notes)
    names = {path.name for path in written}
    assert {"feedback-moodle.zip", "feedback-canvas.zip"} <= names
    moodle = _contents((tmp_path / "feedback-moodle.zip").read_bytes())
    for body in moodle.values():
        assert body in {(tmp_path / "feedback" / f"{s}.html").read_text() for s in PAGES}
    assert any("feedback-moodle.zip: dee left out" in note for note in notes)
    assert (tmp_path / "feedback-moodle.zip").read_bytes() == moodle_feedback_zip(
        manifest, {s: (tmp_path / "feedback" / f"{s}.html").read_text() for s in PAGES}
    ).data  # byte-identical: fixed entry times
