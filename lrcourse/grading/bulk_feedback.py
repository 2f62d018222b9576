"""Feedback for the whole class, zipped in the layout each LMS's bulk feedback upload reads.

* **Moodle** (the assignment → *View all submissions* → *Upload multiple feedback files in a
  zip*; ``mod/assign/feedback/file/importziplib.php``,
  ``assignfeedback_file_zip_importer::is_valid_filename_for_import``): each file sits in a folder
  ``<full name>_<participant id>_assignfeedback_file_/``; Moodle splits that folder name on
  ``_`` (at most 5 pieces) and reads the participant id from the second piece, so a name's own
  ``_`` is written as a space (``Ann_Lee`` would make ``Lee`` the id and drop the file). Names
  starting with ``.`` or ``~`` are skipped by Moodle, so none is written. The participant id is
  the roster's ``moodle_id`` (the number in Moodle's own download folder names).
* **Canvas** (the assignment → *Re-Upload Submissions*; ``app/models/assignment.rb``,
  ``Assignment#infer_comment_context_from_filename``): the file's base name, split on ``_``,
  must hold the user id and then the id of an attachment of that user's submission as its first
  two all-digit pieces, as Canvas's own download names do (``login_late_12345_67890_hw.ipynb``).
  The feedback page is named after the student's downloaded file: ``login_12345_67890_feedback.html``;
  Canvas adds it as a comment on that submission.

A student the layout cannot name (no ``moodle_id``; a hand-in that did not come from a Canvas
download, or whose user id is not the roster's) is listed as skipped, never guessed.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field

from lrcourse.grading.manifest import Manifest

#: Zip entries carry a fixed time: the same feedback gives byte-identical zips.
_ENTRY_TIME = (1980, 1, 1, 0, 0, 0)
_DIGITS = re.compile(r"^\d+$")


@dataclass
class FeedbackZip:
    """A bulk-feedback zip: its bytes, who is in it, and who is not and why."""

    data: bytes
    included: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


def _zip(entries: Mapping[str, str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=_ENTRY_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, entries[name].encode("utf-8"))
    return out.getvalue()


def _moodle_name(name: str) -> str:
    """Return ``name`` as a Moodle folder-name part: no ``_`` or path separators, not hidden."""
    plain = re.sub(r"[_/\\\x00-\x1f\x7f]+", " ", name).strip().lstrip(".~").strip()
    return plain or "student"


def moodle_feedback_zip(manifest: Manifest, pages: Mapping[str, str]) -> FeedbackZip:
    """Return the feedback pages (student id -> HTML) as Moodle's feedback-files zip."""
    entries: dict[str, str] = {}
    result = FeedbackZip(b"")
    roster = {entry.id: entry for entry in manifest.roster}
    for student in sorted(pages):
        entry = roster.get(student)
        if entry is None or not _DIGITS.match(entry.moodle_id):
            result.skipped.append((student, "no Moodle participant id on the class list"))
            continue
        folder = f"{_moodle_name(entry.name or student)}_{entry.moodle_id}_assignfeedback_file_"
        entries[f"{folder}/{manifest.assignment}-feedback.html"] = pages[student]
        result.included.append(student)
    result.data = _zip(entries)
    return result


def canvas_download_prefix(path: str) -> tuple[str, str, str] | None:
    """Return ``(prefix, user id, attachment id)`` of a Canvas download name, or None.

    ``prefix`` is the name up to its attachment id (``login_late_12345_67890``), read as
    ``Assignment#infer_comment_context_from_filename`` reads it: the first two all-digit pieces.
    """
    name = re.split(r"[/:\\]", path)[-1]
    pieces = name.split("_")
    digits = [i for i, piece in enumerate(pieces) if _DIGITS.match(piece)][:2]
    if len(digits) < 2 or name.startswith("._"):
        return None
    return "_".join(pieces[: digits[1] + 1]), pieces[digits[0]], pieces[digits[1]]


def canvas_feedback_zip(
    manifest: Manifest, pages: Mapping[str, str], hand_ins: Mapping[str, str]
) -> FeedbackZip:
    """Return the feedback pages as a zip for Canvas's *Re-Upload Submissions*.

    ``hand_ins`` maps a student id to the path of the hand-in graded (as the gradebook stores
    it); only hand-ins named as Canvas's download names them can be matched back.
    """
    entries: dict[str, str] = {}
    result = FeedbackZip(b"")
    roster = {entry.id: entry for entry in manifest.roster}
    for student in sorted(pages):
        found = canvas_download_prefix(hand_ins.get(student, ""))
        if found is None:
            result.skipped.append((student, "no hand-in from a Canvas download to attach it to"))
            continue
        prefix, user_id, _ = found
        entry = roster.get(student)
        if entry is not None and entry.canvas_id and entry.canvas_id != user_id:
            result.skipped.append(
                (
                    student,
                    f"the hand-in's Canvas user id {user_id} is not theirs ({entry.canvas_id})",
                )
            )
            continue
        entries[f"{prefix}_feedback.html"] = pages[student]
        result.included.append(student)
    result.data = _zip(entries)
    return result
