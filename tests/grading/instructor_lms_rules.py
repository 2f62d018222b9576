"""What Canvas's and Moodle's importers accept, written from their source code (principle 8).

Each function mirrors one importer closely enough to fail where the real one refuses a file or
reads a cell as something else; each cites the file and function it follows:

* Canvas: ``app/models/gradebook_importer.rb`` (instructure/canvas-lms), ``GradebookImporter``:
  ``row_has_student_headers?`` / ``update_column_count`` / ``header?`` (the header row),
  ``check_for_non_student_row`` (``Points Possible`` and ``Muted``/``Manual Posting`` rows),
  ``process_student`` (who a row is: ``ID``, then SIS ids, then the name), the CSV converter
  ``decimal_comma_to_period`` and ``no_score?`` (a grade cell: blank or ``-`` is no score, ``EX``
  excused; for a points column anything else must be a number, or Canvas stores no score).
* Moodle: ``grade/import/csv/classes/load_data.php`` (moodle/moodle),
  ``gradeimport_csv_load_data::prepare_import_grade_data`` (rows of one cell are skipped; a row
  whose user field matches nobody aborts the whole import), ``map_user_data_with_value`` /
  ``check_user_exists`` (the user column), ``update_grade_item`` (``''`` or ``-`` is no grade;
  else ``unformat_float($value, true)`` — ``lib/moodlelib.php``: spaces removed, the locale's
  decimal separator made ``.``, then PHP ``is_numeric`` — or ``badgrade`` aborts the whole
  import) and ``insert_grade_record`` (a grade above ``gradepointmax``, 100 by default, aborts).
* Moodle's offline grading worksheet: ``mod/assign/feedback/offline/importgradeslib.php``,
  ``assignfeedback_offline_grade_importer::init`` (the ``Identifier``, ``Grade`` and ``Last
  modified (grade)`` columns must all be there, or ``invalidgradeimport``) and ``next`` (the
  participant id is what follows ``Participant `` in ``Identifier``), and ``locallib.php``,
  ``process_import_grades`` (``unformat_float`` of the grade; empty, negative or above the
  maximum is skipped; a ``strtotime``-able date older than Moodle's grade is skipped).
* Moodle's feedback-files zip: ``mod/assign/feedback/file/importziplib.php``,
  ``assignfeedback_file_zip_importer::is_valid_filename_for_import``: no file name starting
  with ``.`` or ``~``; some path part, split on ``_`` at most 5 ways, has ≥ 4 pieces whose second
  is a numeric participant id of the assignment and whose third and fourth name the plugin
  (``assignfeedback``, ``file``); the rest of that part and the parts after it are the file name.
* Canvas's re-upload of a submissions zip: ``app/models/assignment.rb``,
  ``Assignment#infer_comment_context_from_filename``: the base name split on ``_``; its first two
  all-digit pieces are the user id and the id of an attachment of that user's submission.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile

#: PHP's is_numeric for a string (leading and trailing whitespace allowed since PHP 8).
_PHP_NUMERIC = re.compile(r"^\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*$")
#: GradebookImporter's ``decimal_comma_to_period`` converter: what it treats as a number.
_CANVAS_NUMBER = re.compile(r"^-?[0-9.,]+%?$")
_CANVAS_SKIP_LINE = re.compile(r"^[;, ]+$")
_CANVAS_MUTED = re.compile(r"^\s*(Muted|Manual Posting.*)?\s*$", re.IGNORECASE)
#: ``insert_grade_record``: without ``$CFG->unlimitedgrades`` the most a grade may be.
MOODLE_GRADE_POINT_MAX = 100.0


def _canvas_decimal(field: str) -> str:
    if _CANVAS_NUMBER.match(field):
        parts = re.split(r"[,.]", field)
        last = parts.pop()
        return last if not parts else "".join(parts) + "." + last
    return field


def canvas_import_problems(text: str, column: str) -> list[str]:
    """Return why Canvas's GradebookImporter would refuse ``text`` or misread its ``column``."""
    lines = [line for line in text.splitlines() if not _CANVAS_SKIP_LINE.match(line)]
    rows = list(csv.reader(io.StringIO("\n".join(lines))))
    if not rows:
        return ["empty file"]
    header = rows[0]
    if not (len(header) > 3 and "Student" in header[0] and "ID" in header[1]):
        return [f"invalid header row {header!r} (row_has_student_headers?)"]
    student_columns = 3
    if re.search(r"SIS\s+Login\s+ID", header[2]):
        student_columns += 1
    elif re.search(r"SIS\s+User\s+ID", header[2]) and re.search(r"SIS\s+Login\s+ID", header[3]):
        student_columns += 2
    if "Section" not in header[student_columns - 1]:
        return [f"invalid header row: column {student_columns} is not Section (header?)"]
    if column not in header[student_columns:]:
        return [f"no column {column!r} after the student columns"]
    index = header.index(column)
    problems = []
    for number, row in enumerate(rows[1:], start=2):
        if row and "Points Possible" in row[0]:
            if not _CANVAS_NUMBER.match(row[index]):
                problems.append(f"line {number}: points possible {row[index]!r} is not a number")
            continue
        if all(_CANVAS_MUTED.match(cell) for cell in row):
            continue  # a Muted / Manual Posting row: not a student
        if not any(row[i].strip() for i in range(student_columns - 1)):
            problems.append(f"line {number}: no ID, SIS id or name: matches no student")
        grade = _canvas_decimal(row[index].strip())
        if grade in ("", "-") or grade.casefold() == "ex":
            continue
        if not _CANVAS_NUMBER.match(grade):
            problems.append(f"line {number}: grade {row[index]!r} is not a number: no score")
    return problems


def moodle_import_problems(text: str, user_column: str, grade_column: str) -> list[str]:
    """Return why Moodle's CSV grade import would abort on ``text`` (it aborts the whole file)."""
    rows = list(csv.reader(io.StringIO(text)))
    header = [cell.strip() for cell in rows[0]]
    if user_column not in header or grade_column not in header:
        return [f"no column {user_column!r} or {grade_column!r} in {header!r}"]
    user, grade = header.index(user_column), header.index(grade_column)
    for number, row in enumerate(rows[1:], start=2):
        if len(row) <= 1:
            continue  # "There is no data on this line, move on."
        if not row[user].strip():
            return [f"line {number}: empty user field: usermappingerrorusernotfound"]
        value = row[grade].strip()
        if value in ("", "-"):
            continue  # no grade
        if not _PHP_NUMERIC.match(value.replace(" ", "")):
            return [f"line {number}: grade {value!r}: badgrade (the whole import is refused)"]
        if float(value.replace(" ", "")) > MOODLE_GRADE_POINT_MAX:
            return [f"line {number}: grade {value!r} above gradepointmax: gradevaluetoobig"]
    return []


def moodle_feedback_zip_owner(path: str, participants: set[str]) -> tuple[str, str] | None:
    """Return ``(participant id, file name)`` Moodle's feedback-file import gives ``path``, or None."""
    name = path.rsplit("/", 1)[-1]
    if path.endswith("/") or name.startswith((".", "~")):
        return None
    parts = path.split("/")
    while parts:
        info = parts.pop(0).split("_", 4)
        if len(info) < 4:
            continue
        participant = info[1]
        if not _PHP_NUMERIC.match(participant) or str(int(float(participant))) not in participants:
            continue
        if (info[2], info[3]) != ("assignfeedback", "file"):
            continue
        rest = info[4] if len(info) == 5 else ""
        return str(int(float(participant))), "/".join([rest, *parts])
    return None


def moodle_feedback_zip_owners(data: bytes, participants: set[str]) -> dict[str, str]:
    """Return each file of a feedback zip that Moodle would import, by path: its participant."""
    owners = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            owner = moodle_feedback_zip_owner(info.filename, participants)
            if owner:
                owners[info.filename] = owner[0]
    return owners


def canvas_reupload_owner(path: str) -> tuple[str, str] | None:
    """Return ``(user id, attachment id)`` Canvas's re-upload reads from ``path``, or None."""
    name = path.rsplit("/", 1)[-1]
    pieces = name.split("_")
    digits = [p for p in pieces if re.fullmatch(r"\d+", p)][:2]
    if len(digits) < 2 or pieces[-1].startswith("link") or name.startswith("._"):
        return None
    return digits[0], digits[1]


def moodle_worksheet_grades(text: str, maximum: float) -> dict[str, float | None]:
    """Return participant id -> the grade Moodle's worksheet import would set (None: skipped)."""
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    for needed in ("Identifier", "Grade", "Last modified (grade)"):
        if needed not in header:
            raise ValueError(f"invalidgradeimport: no column {needed!r}")
    ident, grade, modified = (
        header.index(n) for n in ("Identifier", "Grade", "Last modified (grade)")
    )
    grades: dict[str, float | None] = {}
    for row in rows[1:]:
        if not row[ident].startswith("Participant "):
            continue
        participant = row[ident][len("Participant ") :]
        if not re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", row[modified]):
            raise ValueError(f"date {row[modified]!r} is not one strtotime reads as written")
        value = row[grade].strip().replace(" ", "")
        number = float(value) if _PHP_NUMERIC.match(value) else None
        grades[participant] = number if number is not None and 0 <= number <= maximum else None
    return grades
