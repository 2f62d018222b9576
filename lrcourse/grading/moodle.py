"""Submission times from Moodle's grading worksheet: the time Moodle recorded, not a file's.

Moodle's "Download all submissions" carries no submission time (its folders have none). The
grading worksheet it exports (*Grading action → Download grading worksheet*, mod/assign
``assign_grading_table``) does: ``Identifier`` ("Participant 1234567", the id in the download's
folder names), ``Full name`` and ``Last modified (submission)``, written by ``col_timemodified``
/ ``col_timesubmitted`` through ``userdate()`` in the exporting user's time zone and the
English default format ``strftimedaydatetime`` ("Sunday, 1 March 2026, 11:00 PM"); ``-`` when
nothing was submitted. The time zone is not in the file, so it must be given.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lrcourse.grading.intake import name_keys
from lrcourse.grading.manifest import AssignmentError, Manifest

TIME_MOODLE = "Moodle's grading worksheet"
_FORMATS = (
    "%A, %d %B %Y, %I:%M %p",
    "%d %B %Y, %I:%M %p",
    "%A, %d %B %Y, %H:%M",
    "%d %B %Y, %H:%M",
)
_PARTICIPANT = re.compile(r"(\d{1,18})\s*$")


def _when(text: str, zone: ZoneInfo) -> datetime | None:
    for form in _FORMATS:
        try:
            return datetime.strptime(text.strip(), form).replace(tzinfo=zone)
        except ValueError:
            continue
    return None


def worksheet_times(path: Path, timezone: str, manifest: Manifest) -> dict[str, datetime]:
    """Return each roster student's recorded submission time from Moodle's grading worksheet.

    Rows are matched to the class list by participant id (``moodle_id``), else by full name.
    A time that cannot be read is an :class:`AssignmentError` naming the line.
    """
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise AssignmentError(
            f"--lms-timezone {timezone!r}: not a time zone; write e.g. Europe/Berlin or UTC"
        ) from None
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise AssignmentError(f"--lms-times {path}: cannot read the file ({error})") from None
    rows = list(csv.DictReader(io.StringIO(text)))
    header = {k.strip().casefold(): k for k in (rows[0].keys() if rows else [])}
    column = header.get("last modified (submission)")
    if column is None or "identifier" not in header:
        raise AssignmentError(
            f"--lms-times {path}: not Moodle's grading worksheet (it needs the columns "
            "Identifier and Last modified (submission))"
        )
    by_pid = {e.moodle_id: e.id for e in manifest.roster if e.moodle_id}
    found: dict[str, datetime] = {}
    for number, row in enumerate(rows, start=2):
        stamp = (row.get(column) or "").strip()
        if stamp in ("", "-"):
            continue
        pid = _PARTICIPANT.search(row.get(header["identifier"]) or "")
        student = by_pid.get(pid.group(1)) if pid else None
        if student is None and "full name" in header:
            keys = name_keys(row.get(header["full name"]) or "")
            named = [e.id for e in manifest.roster if keys & name_keys(e.name)]
            student = named[0] if len(named) == 1 else None
        if student is None:
            continue
        when = _when(stamp, zone)
        if when is None:
            raise AssignmentError(
                f"--lms-times {path} line {number}: {stamp!r} is not a time Moodle writes "
                "(e.g. 'Sunday, 1 March 2026, 11:00 PM')"
            )
        found[student] = when
    return found
