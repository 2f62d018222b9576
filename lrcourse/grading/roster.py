"""The class list: read from ``--students`` (a list, a text file, a CSV or a Canvas grade export).

The roster is the source of truth for who should hand in. Each entry has the id used in the
gradebook and the exports, a display name and, when the list has them, the student's LMS
identities, which is how ``grade`` recognises Canvas and Moodle download names
(``intake.py``). Accepted inputs:

* ``a,b,c`` on the command line;
* a text file with one id per line (``#`` starts a comment);
* a CSV file with a header: ``id`` (or ``username`` / ``SIS Login ID``), and optionally ``name``
  (or ``Student``, or ``first name`` + ``last name``), ``canvas_id`` (or Canvas's ``ID``),
  ``canvas_login``, ``moodle_id``, ``email``. Canvas's own gradebook export works as it is.

Every mistake (a missing file, a name with a space where an id belongs, a duplicate id) is an
:class:`~lrcourse.grading.manifest.AssignmentError` naming the file, the line and what is valid.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from pathlib import Path

from lrcourse.grading.manifest import AssignmentError, RosterEntry

#: A student id: letters (any script), digits and ``. _ @ + -``, starting with a letter or digit.
STUDENT_ID = re.compile(r"^[^\W_][\w.@+-]{0,127}$")
_ID_COLUMNS = (
    "sis login id",
    "sis user id",
    "id",
    "student id",
    "username",
    "login",
    "id number",
)
_NAME_COLUMNS = ("name", "student", "full name", "display name")


def valid_id(text: str) -> bool:
    """Return True when ``text`` can be a student id (and so a file or folder name)."""
    return bool(STUDENT_ID.match(text)) and text not in (".", "..")


def squashed(text: str) -> str:
    """Return ``text`` lower-cased with accents and everything but letters and digits removed."""
    plain = unicodedata.normalize("NFKD", text)
    return "".join(c for c in plain.casefold() if c.isalnum())


def _check_id(student: str, where: str) -> str:
    if not valid_id(student):
        raise AssignmentError(
            f"{where}: {student!r} is not a student id (letters, digits, '.', '_', '@', '+', '-'; "
            "no spaces or '/'); for names, give a CSV with columns id,name"
        )
    return student


def _column(header: dict[str, str], names: tuple[str, ...]) -> str | None:
    for name in names:
        if name in header:
            return header[name]
    return None


#: canvas-lms GradebookExporter: the row under the header when an assignment posts manually.
CANVAS_HIDDEN_ROW = "Manual Posting"
#: canvas-lms User#fake_student: the Test Student ("Student, Test" as a sortable name).
CANVAS_TEST_STUDENT = ("test student", "student, test")
#: Moodle's grading worksheet names a participant "Participant 1234567".
MOODLE_PARTICIPANT = re.compile(r"^\D*?(\d{1,18})$")


def _unformula(text: str) -> str:
    """Return a cell as written, without the ``="..."`` Canvas wraps a name starting with = in."""
    if text.startswith('="') and text.endswith('"'):
        return text[2:-1]
    return text


def _sniff_separator(first: str) -> str:
    """Canvas writes ``,`` or, by a user's setting, ``;`` or a tab (CSVWithI18n)."""
    counts = {sep: first.count(sep) for sep in (",", ";", "\t")}
    return max(counts, key=lambda sep: counts[sep])


def _from_csv(text: str, source: str) -> list[RosterEntry]:
    """Read a CSV class list: ours, Canvas's gradebook export, Moodle's grade export or worksheet.

    Canvas (canvas-lms app/models/gradebook_exporter.rb, ``csv_data``): an optional BOM, the
    header ``Student, ID, [SIS User ID,] SIS Login ID, [...,] Section, <assignments>``, a
    "Manual Posting" row when an assignment posts manually (its name cells are empty), the
    ``    Points Possible`` row, then the students with the Test Student (a
    ``StudentViewEnrollment``) last; concluded and inactive enrollments appear as rows with no
    mark of their own. Moodle: the gradebook export (``First name, Last name, ID number, ...,
    Email address``) and the grading worksheet (``Identifier, Full name, Email address, ...``).
    """
    rows = list(csv.reader(io.StringIO(text), delimiter=_sniff_separator(text.split("\n", 1)[0])))
    header = {cell.strip().casefold(): cell for cell in rows[0]}
    id_column = _column(header, _ID_COLUMNS)
    email_column = _column(header, ("email address", "email"))
    participant_column = _column(header, ("identifier",))
    if id_column is None and email_column is None:
        raise AssignmentError(
            f"{source}: a CSV class list needs an id column (id, username, SIS Login ID, "
            f"ID number or Email address); found: {', '.join(rows[0])}"
        )
    index = {cell: i for i, cell in enumerate(rows[0])}
    name_column = _column(header, _NAME_COLUMNS)
    first, last = (
        _column(header, ("first name", "firstname")),
        _column(header, ("last name", "lastname")),
    )

    def cell(row: list[str], column: str | None) -> str:
        if column is None or index[column] >= len(row):
            return ""
        return _unformula(row[index[column]].strip())

    entries = []
    for number, row in enumerate(rows[1:], start=2):
        name = cell(row, name_column) or " ".join(
            p for p in (cell(row, first), cell(row, last)) if p
        )
        if not any(c.strip() for c in row) or name.startswith("Points Possible"):
            continue  # a blank line, or the points row of a Canvas export
        if not name and any(c.strip().startswith(CANVAS_HIDDEN_ROW) for c in row):
            continue  # Canvas's "Manual Posting" row under the header
        if name.casefold() in CANVAS_TEST_STUDENT:
            continue  # Canvas's Test Student (student view), never a member of the class
        student = cell(row, id_column) if id_column else ""
        if not student and email_column:
            student = cell(row, email_column)  # Moodle's exports: the e-mail address
        if not student and "id" in header and id_column == header.get("sis login id"):
            student = cell(row, header["id"])  # Canvas: no login; the Canvas user id
        student = _check_id(student, f"{source} line {number}")
        canvas_id = cell(row, _column(header, ("canvas_id", "canvas id")))
        if not canvas_id and "sis login id" in header and "id" in header:
            canvas_id = cell(row, header["id"])  # Canvas's export: ID is the Canvas user id
        moodle_id = cell(row, _column(header, ("moodle_id", "moodle id", "participant")))
        if not moodle_id and participant_column:
            found = MOODLE_PARTICIPANT.match(cell(row, participant_column))
            moodle_id = found.group(1) if found else ""
        entries.append(
            RosterEntry(
                id=student,
                name=name,
                canvas_id=canvas_id,
                canvas_login=cell(row, _column(header, ("canvas_login", "canvas login"))),
                moodle_id=moodle_id,
                email=cell(row, email_column),
            )
        )
    return entries


def _from_lines(text: str, source: str) -> list[RosterEntry]:
    entries = []
    for number, line in enumerate(text.splitlines(), start=1):
        student = line.split("#", 1)[0].strip()
        if student:
            entries.append(RosterEntry(id=_check_id(student, f"{source} line {number}")))
    return entries


def read_roster(text: str | None) -> list[RosterEntry]:
    """Return the class list ``--students`` names: ``a,b,c`` or a file (lines or CSV)."""
    if not text:
        return []
    path = Path(text)
    if path.is_file():
        try:
            content = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as error:
            raise AssignmentError(f"--students {text}: cannot read the file ({error})") from None
        first = content.split("\n", 1)[0]
        entries = (
            _from_csv(content, text)
            if ("," in first or "\t" in first or ";" in first)
            else _from_lines(content, text)
        )
    elif "," not in text and (path.suffix or "/" in text or path.parent != Path(".")):
        raise AssignmentError(
            f"--students {text}: no such file; give a file of ids (one per line, or a CSV with "
            "id,name) or a list such as ann,bob"
        )
    else:
        entries = [
            RosterEntry(id=_check_id(part.strip(), "--students"))
            for part in text.split(",")
            if part.strip()
        ]
    seen: set[str] = set()
    for entry in entries:
        if entry.id in seen:
            raise AssignmentError(f"--students {text}: {entry.id!r} is listed twice")
        seen.add(entry.id)
    if not entries:
        raise AssignmentError(f"--students {text}: the class list is empty")
    return entries
