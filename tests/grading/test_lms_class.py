"""A class graded from LMS artifacts laid out as canvas-lms and Moodle write them (issue 22).

Sources followed (read with the fetch / read_file tools, not guessed):

* canvas-lms ``app/models/content_zipper.rb``: ``ContentZipper#zip_assignment``,
  ``#add_submission``, ``#get_filename``, ``#sanitize_file_name``, ``#sanitize_user_name``,
  ``#add_upload_submission``. An entry is ``[sortable name, "LATE" if late, user id]`` joined by
  ``_``, with ``[^[[:word:]]]`` removed and down-cased, then ``_<attachment id>_<file name>``.
  Entries are written with rubyzip's ``Zip::File#get_output_stream`` and no time of their own,
  so each carries the time the download was built (``Zip::Entry`` stamps ``DOSTime.now``).
* canvas-lms ``app/models/gradebook_exporter.rb``: ``GradebookExporter#csv_data`` (header
  ``Student, ID, SIS User ID, SIS Login ID, Section, <title (id)>, ...totals``; the
  ``Manual Posting`` row when an assignment posts manually; the ``    Points Possible`` row
  with ``(read only)`` cells; a BOM with ``include_bom``; ``enrollments_for_csv`` puts the Test
  Student's ``StudentViewEnrollment`` last; concluded enrollments are rows like any other;
  ``student_name`` writes a name starting with ``=`` as ``="..."``).
* Moodle ``mod/assign/locallib.php``: ``assign::download_submissions``: the folder
  ``clean_filename(str_replace('_', ' ', fullname($student)) . '_' . get_uniqueid_for_user())``
  ``. '_assignsubmission_file_'`` ("First Last", not "Last, First"); the grading worksheet
  (``Identifier`` = "Participant <id>", ``Full name``, ``Email address``, ...) and the grade
  export (``First name, Last name, ID number, Institution, Department, Email address, ...``).

Every zip here is written by code, with entry times as those LMSs write them (the download's
time), and every case is asserted with the grade it must get (2 points: two choice questions).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import nbformat
import pytest

from lrcourse.grading.assign import AssignmentSpec, write_assignment
from lrcourse.grading.gradebook import Gradebook
from lrcourse.grading.manifest import AssignmentError, LatePolicy, Manifest, load_questions
from lrcourse.grading.roster import read_roster
from tests.grading.helpers import grade_into

BANK = Path(__file__).resolve().parents[1] / "files" / "grading" / "class-bank"
DUE = datetime(2026, 3, 1, 23, 59, tzinfo=UTC)
POLICY = LatePolicy(due=DUE, grace_minutes=15, penalty_per_day=0.1, cutoff_days=3)
#: When the instructor pressed "Download submissions": rubyzip stamps every entry with it.
DOWNLOADED = DUE + timedelta(days=268)
QUESTIONS = ["class.where-lr-is-used", "class.true-statements"]
RIGHT = {"class.where-lr-is-used": 'answer = "step"\n', "class.true-statements": 'answer = ["step-first", "groups"]\n'}  # fmt: skip
HALF = {**RIGHT, "class.where-lr-is-used": 'answer = "backward"\n'}
#: (first, last, SIS login): accents, a hyphenated name, two with one surname (Müller).
PEOPLE = [
    ("José", "Álvarez", "jalvarez"), ("Zoë", "Brontë", "zbronte"), ("Marie-Claire", "Dubois-Martin", "mdubois"),
    ("Anna", "Müller", "amuller"), ("Jonas", "Müller", "jmuller"), ("Wen", "Zhang", "wzhang"),
    ("Søren", "Lund", "slund"), ("Ana", "Peña", "apena"), ("Chidi", "Okafor", "cokafor"),
    ("Dana", "Levi", "dlevi"), ("Emil", "Berg", "eberg"), ("Fatima", "Khan", "fkhan"),
    ("Gus", "Moreau", "gmoreau"), ("Hana", "Sato", "hsato"), ("Ivan", "Petrov", "ipetrov"),
    ("Jade", "Wu", "jwu"), ("Kofi", "Mensah", "kmensah"), ("Lena", "Vogel", "lvogel"),
    ("Marta", "Ruiz", "mruiz"), ("Nils", "Dahl", "ndahl"), ("Omar", "Haddad", "ohaddad"),
    ("Pia", "Rossi", "prossi"), ("Quinn", "Hale", "qhale"), ("Rosa", "Díaz", "rdiaz"),
    ("Karl", "Weiß", "kweiss"),  # dropped: a concluded enrollment, still in Canvas's export
]  # fmt: skip
IDS = [login for _, _, login in PEOPLE]
LATE, DROPPED, NOTHING = 9, 24, 23  # dlevi: Canvas's LATE mark; kweiss dropped; rdiaz none
CANVAS_ID = {login: str(48100 + n) for n, login in enumerate(IDS)}


def canvas_gradebook_csv(path: Path, separator: str = ",") -> Path:
    """Write the gradebook export as GradebookExporter#csv_data writes it (with a BOM)."""
    header = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Quiz 1 (1001)", "Quiz 2 (1002)"]  # fmt: skip
    totals = ["Current Points", "Final Points", "Current Score", "Unposted Current Score", "Final Score", "Unposted Final Score"]  # fmt: skip
    rows = [header + totals]
    rows.append(["", "", "", "", "", "Manual Posting", ""] + [""] * len(totals))
    rows.append(
        ["    Points Possible", "", "", "", "", "2.00", "2.00"] + ["(read only)"] * len(totals)
    )
    people = sorted(PEOPLE, key=lambda p: (p[1].casefold(), p[0].casefold()))
    for first, last, login in people:
        rows.append([f"{last}, {first}", CANVAS_ID[login], f"S{CANVAS_ID[login]}", login, "LR 101"] + [""] * 8)  # fmt: skip
    # The Test Student (student view) comes last; its login is a hash Canvas made up.
    rows.append(["Student, Test", "48999", "", "4f1d3c0e9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d", "LR 101"] + [""] * 8)  # fmt: skip
    text = io.StringIO()
    csv.writer(text, delimiter=separator, lineterminator="\n").writerows(rows)
    path.write_text("\ufeff" + text.getvalue(), encoding="utf-8")
    return path


def canvas_entry(n: int, attachment: int, late: bool = False, file: str = "hw1.ipynb") -> str:
    """Return the name ContentZipper gives student ``n``'s uploaded file."""
    first, last, login = PEOPLE[n]
    user_name = re.sub(r"_(\d+)_", r"\1", f"{last}, {first}")  # sanitize_user_name
    filename = "_".join([user_name, *(["LATE"] if late else []), CANVAS_ID[login]])
    filename = re.sub(r"[^\w]", "", filename).lower()  # sanitize_file_name: [^[[:word:]]]
    return f"{filename}_{attachment}_{file}"


def moodle_folder(n: int, participant: int | None = None) -> str:
    """Return the folder assign::download_submissions writes for student ``n`` (First Last)."""
    first, last, _ = PEOPLE[n]
    return f"{first} {last}_{participant or 5500 + n}_assignsubmission_file_"


def write_zip(path: Path, entries: dict[str, bytes], when: datetime = DOWNLOADED) -> Path:
    """Write a download whose entries all carry ``when`` (the time the LMS built the zip)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(zipfile.ZipInfo(name, when.timetuple()[:6]), data)
    return path


def filled(release: Path, answers: dict[str, str]) -> bytes:
    notebook = nbformat.read(release, as_version=4)
    for cell in notebook.cells:
        marker = cell.metadata.get("lrcourse", {})
        if marker.get("role") == "answer" and marker["question"] in answers:
            cell.source = answers[marker["question"]]
    return nbformat.writes(notebook).encode("utf-8")


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Two quizzes assigned to the class read from Canvas's own gradebook export."""
    root = tmp_path_factory.mktemp("course")
    roster = read_roster(str(canvas_gradebook_csv(root / "canvas-gradebook.csv")))
    pool = load_questions(BANK)
    made: dict[str, object] = {"root": root, "roster": roster, "questions": pool}
    for quiz in ("hw1", "hw2"):
        spec = AssignmentSpec(
            assignment=quiz, title=quiz, question_ids=QUESTIONS, roster=roster, late=POLICY
        )
        made[quiz] = write_assignment(spec, pool, root / "assignments")
        made[f"{quiz}-release"] = root / "assignments" / quiz / "release" / f"{quiz}.ipynb"
    return made


def _grade(course, folder: Path, book: Path, quiz: str = "hw1", **options):
    manifest: Manifest = course[quiz]  # type: ignore[assignment]
    report = grade_into(folder, book, manifest, course["questions"], **options)
    with Gradebook(book) as gradebook:
        return report, gradebook.summary(quiz), gradebook.submissions(quiz)


def _lines(report) -> list[str]:
    return [f.line() for f in report.findings]


def test_canvas_gradebook_export_is_a_class_list_as_canvas_writes_it(tmp_path: Path) -> None:
    for separator in (",", ";"):
        roster = read_roster(str(canvas_gradebook_csv(tmp_path / f"g{separator}.csv", separator)))
        assert [e.id for e in roster] == sorted(IDS, key=lambda i: (PEOPLE[IDS.index(i)][1].casefold(), PEOPLE[IDS.index(i)][0].casefold()))  # fmt: skip
        assert len(roster) == 25  # no Manual Posting row, no Points Possible, no Test Student
        by_id = {e.id: e for e in roster}
        assert by_id["mdubois"].name == "Dubois-Martin, Marie-Claire"
        assert by_id["jalvarez"].canvas_id == "48100" and by_id["kweiss"].name == "Weiß, Karl"


def test_moodle_grade_export_and_worksheet_are_class_lists(tmp_path: Path) -> None:
    export = tmp_path / "moodle-grades.csv"
    lines = ['"First name","Last name","ID number",Institution,Department,"Email address","Assignment: hw1 (Real)","Last downloaded from this course"']  # fmt: skip
    lines += [f'"{f}","{last}",,,,{login}@uni.example,-,1772000000' for f, last, login in PEOPLE]
    export.write_text("\n".join(lines) + "\n", encoding="utf-8")
    roster = read_roster(str(export))
    assert [e.id for e in roster][:2] == ["jalvarez@uni.example", "zbronte@uni.example"]
    assert roster[2].name == "Marie-Claire Dubois-Martin"
    sheet = tmp_path / "worksheet.csv"
    lines = ["Identifier,\"Full name\",\"Email address\",Status,Grade,\"Maximum grade\",\"Grade can be changed\",\"Last modified (submission)\",\"Last modified (grade)\",\"Feedback comments\""]  # fmt: skip
    lines += [f'"Participant {5500 + n}","{f} {last}",{login}@uni.example,"Submitted for grading",,2.00,Yes,"Sunday, 1 March 2026, 11:00 PM",-,' for n, (f, last, login) in enumerate(PEOPLE)]  # fmt: skip
    sheet.write_text("\n".join(lines) + "\n", encoding="utf-8")
    roster = read_roster(str(sheet))
    assert (roster[3].id, roster[3].name, roster[3].moodle_id) == (
        "amuller@uni.example",
        "Anna Müller",
        "5503",
    )


def test_an_honest_canvas_class_keeps_every_point_though_the_zip_dates_say_late(
    course, tmp_path: Path
) -> None:
    """Item 2: rubyzip dated every entry 268 days after the due date; nobody loses a point."""
    release = course["hw1-release"]
    entries = {}
    for n in range(23):
        answers = HALF if IDS[n] == "jmuller" else RIGHT  # Jonas Müller, not Anna, slips once
        entries[canvas_entry(n, 900000 + n, late=n == LATE)] = filled(release, answers)
    entries[canvas_entry(0, 1, file="notes.txt")] = b"not a notebook"
    folder = tmp_path / "canvas"
    folder.mkdir()
    write_zip(folder / "lr101-hw1 submissions.zip", entries)
    report, totals, hand_ins = _grade(course, folder, tmp_path / "book.sqlite")
    expected = {i: 2.0 for i in IDS[:23]} | {"jmuller": 1.0}
    assert totals == expected  # the LATE one too: Canvas gives no time, so no silent 10 %
    assert hand_ins["dlevi"]["note"].startswith("marked LATE by the LMS")
    assert hand_ins["dlevi"]["time_source"] == "Canvas's LATE mark (no time)"
    assert hand_ins["jalvarez"]["time_source"] == "no submission time in the download"
    lines = _lines(report)
    assert any(line.startswith("late-unknown") and "levidana_late_48109_900009" in line for line in lines)  # fmt: skip
    assert "missing       rdiaz: no hand-in found" in lines
    assert "missing       kweiss: no hand-in found" in lines  # dropped: Canvas does not say so

    # The time Canvas shows for the LATE one (SpeedGrader), given: grace applies to it too.
    book = tmp_path / "book.sqlite"
    report, totals, hand_ins = _grade(course, folder, book, submitted={"dlevi": DUE + timedelta(minutes=10)})  # fmt: skip
    assert totals["dlevi"] == 2.0 and report.graded == 1  # only its lateness was written again
    assert hand_ins["dlevi"]["note"] == "submitted 2026-03-02 00:09 UTC (given with --submitted): on time"  # fmt: skip
    assert any(line.startswith("late-changed  dlevi: lateness now submitted") for line in _lines(report))  # fmt: skip
    _, totals, hand_ins = _grade(course, folder, book, submitted={"dlevi": DUE + timedelta(hours=26)})  # fmt: skip
    assert totals["dlevi"] == pytest.approx(1.6)  # two started days: 20 % off
    with Gradebook(book) as gradebook:
        runs = gradebook.runs()
        late = [c for c in gradebook.changes(int(runs[-1]["run_id"])) if c.kind == "late"]  # type: ignore[arg-type]
        assert len(runs) == 3 and len(late) == 1 and late[0].student == "dlevi"
        assert gradebook.undo_last("gradebook undo") is not None  # undo puts the lateness back
        assert gradebook.summary("hw1")["dlevi"] == 2.0

    # An excused (dropped) student is not missing; an extension is recorded with the note.
    report, _, _ = _grade(course, folder, tmp_path / "book2.sqlite", excused=["kweiss"])
    assert "missing       kweiss: no hand-in found" not in _lines(report)


def test_file_times_only_on_request_with_grace_penalty_and_cut_off(course, tmp_path: Path) -> None:
    """Item 2: a folder's mtimes decide nothing unless asked; then grace, penalty and cut-off."""
    import os

    release = course["hw1-release"]
    late_by = {  # student: minutes after the due date, and the grade it must get
        "jalvarez": (-60, 2.0),
        "zbronte": (10, 2.0),  # inside the 15-minute grace
        "mdubois": (60 * 26, 1.6),  # two started days after due + grace: 20 % off
        "amuller": (60 * 24 * 4, 0.0),  # past the 3-day cut-off
        "jmuller": (-5, 2.0),
        "wzhang": (-1, 2.0),
        "slund": (0, 2.0),
    }
    folder = tmp_path / "plain"
    folder.mkdir()
    for student, (minutes, _) in late_by.items():
        path = folder / f"{student}.ipynb"
        path.write_bytes(filled(release, RIGHT))
        stamp = (DUE + timedelta(minutes=minutes)).timestamp()
        os.utime(path, (stamp, stamp))
    _, totals, _ = _grade(course, folder, tmp_path / "a.sqlite")
    assert set(totals.values()) == {2.0}  # mtimes are not submission times: not used
    _, totals, hand_ins = _grade(course, folder, tmp_path / "b.sqlite", use_file_times=True)
    assert totals == {s: grade for s, (_, grade) in late_by.items()}
    assert "(file time (--use-file-times)), 2 day(s) late: 20 % off" in hand_ins["mdubois"]["note"]
    # A 26-hour extension for mdubois: on time.
    _, totals, _ = _grade(
        course, folder, tmp_path / "c.sqlite", use_file_times=True, extensions={"mdubois": 26}
    )
    assert totals["mdubois"] == 2.0


def test_a_run_that_would_make_most_of_the_class_late_is_refused(course, tmp_path: Path) -> None:
    """Item 2: asked to use the Canvas zip's entry dates (the download time), grade refuses."""
    entries = {canvas_entry(n, 900000 + n): filled(course["hw1-release"], RIGHT) for n in range(10)}
    folder = tmp_path / "canvas"
    folder.mkdir()
    write_zip(folder / "download.zip", entries)
    book = tmp_path / "book.sqlite"
    with pytest.raises(AssignmentError, match="10 of 10 hand-ins would lose points for lateness"):
        _grade(course, folder, book, use_file_times=True)
    with Gradebook(book) as gradebook:
        assert gradebook.runs() == [] and gradebook.summary("hw1") == {}  # nothing changed
    _, totals, _ = _grade(course, folder, book, use_file_times=True, accept_late=True)
    assert set(totals.values()) == {0.0}  # asked for: 268 days late, past the cut-off


def test_another_assignments_notebooks_are_refused_or_flagged(course, tmp_path: Path) -> None:
    """Item 3: hw2's download graded as hw1 is refused; a folder of both grades hw1's only."""
    hw1, hw2 = course["hw1-release"], course["hw2-release"]
    only_hw2 = tmp_path / "hw2"
    only_hw2.mkdir()
    write_zip(only_hw2 / "d.zip", {canvas_entry(n, 900 + n): filled(hw2, RIGHT) for n in range(5)})
    book = tmp_path / "book.sqlite"
    with pytest.raises(AssignmentError, match="released for hw2, not 'hw1'"):
        _grade(course, only_hw2, book)
    with Gradebook(book) as gradebook:
        assert gradebook.runs() == []
    both = tmp_path / "both"
    both.mkdir()
    write_zip(both / "hw1.zip", {canvas_entry(n, 900 + n): filled(hw1, RIGHT) for n in range(5)})
    write_zip(both / "hw2.zip", {canvas_entry(n, 990 + n): filled(hw2, HALF) for n in range(5)})
    report, totals, _ = _grade(course, both, book)
    assert totals == {IDS[n]: 2.0 for n in range(5)}  # hw2's later uploads did not win
    flagged = [line for line in _lines(report) if line.startswith("other-assignment")]
    assert len(flagged) == 5 and "released for 'hw2', not 'hw1'" in flagged[0]


def test_an_older_download_never_replaces_a_newer_hand_in(course, tmp_path: Path) -> None:
    """Item 4: Canvas's attachment ids grow; an older download puts nothing back; all logged."""
    release = course["hw1-release"]
    book = tmp_path / "book.sqlite"
    newer, older, newest = (tmp_path / name for name in ("newer", "older", "newest"))
    for folder, attachment, answers in ((newer, 2000, RIGHT), (older, 1000, HALF), (newest, 3000, HALF)):  # fmt: skip
        folder.mkdir()
        write_zip(folder / "d.zip", {canvas_entry(0, attachment): filled(release, answers)})
    _grade(course, newer, book)
    report, totals, hand_ins = _grade(course, older, book, regrade=True)
    assert totals == {"jalvarez": 2.0} and hand_ins["jalvarez"]["lms_order"] == 2000
    assert any(line.startswith("older-download") and "file id 1000" in line for line in _lines(report))  # fmt: skip
    report, totals, hand_ins = _grade(course, newest, book)
    assert totals == {"jalvarez": 1.0} and hand_ins["jalvarez"]["lms_order"] == 3000
    assert any(line.startswith("replaced") for line in _lines(report))
    with Gradebook(book) as gradebook:
        last = gradebook.runs()[-1]["run_id"]
        kinds = [c.kind for c in gradebook.changes(int(last))]  # type: ignore[arg-type]
    assert "current" in kinds and kinds.count("result") == 2  # the hand-in and both answers


def test_moodle_folders_match_a_last_first_list_and_the_newest_of_two_counts(
    course, tmp_path: Path
) -> None:
    """Items 5 and 8: "First Last" folders against "Last, First" names; two notebooks."""
    release = course["hw1-release"]
    download = tmp_path / "moodle.zip"
    entries = {f"{moodle_folder(n)}/hw1.ipynb": filled(release, RIGHT) for n in range(5)}
    with zipfile.ZipFile(download, "w") as archive:
        for name, data in entries.items():
            archive.writestr(zipfile.ZipInfo(name, DOWNLOADED.timetuple()[:6]), data)
        # Anna Müller uploaded twice: an early draft and, later, her final notebook.
        archive.writestr(zipfile.ZipInfo(f"{moodle_folder(3)}/draft.ipynb", (2026, 2, 20, 9, 0, 0)), filled(release, HALF))  # fmt: skip
    folder = tmp_path / "in"
    folder.mkdir()
    download.rename(folder / "moodle.zip")
    report, totals, _ = _grade(course, folder, tmp_path / "book.sqlite")
    assert totals == {IDS[n]: 2.0 for n in range(5)}
    chose = [line for line in _lines(report) if line.startswith("chose-newest")]
    assert (
        len(chose) == 1 and "2 notebooks in one Moodle folder (draft.ipynb, hw1.ipynb)" in chose[0]
    )


def test_moodle_blind_marking_folders_match_the_worksheets_participant_ids(
    course, tmp_path: Path
) -> None:
    """Blind marking: ``Participant_<id>_assignsubmission_file_``; only the id can match."""
    sheet = tmp_path / "worksheet.csv"
    lines = ['Identifier,"Full name","Email address",Status,Grade,"Maximum grade"']
    lines += [f'"Participant {5500 + n}","{f} {last}",{login}@uni.example,x,,2.00' for n, (f, last, login) in enumerate(PEOPLE)]  # fmt: skip
    sheet.write_text("\n".join(lines) + "\n", encoding="utf-8")
    roster = read_roster(str(sheet))
    spec = AssignmentSpec(assignment="hw1", title="hw1", question_ids=QUESTIONS, roster=roster)
    manifest = write_assignment(spec, course["questions"], tmp_path / "assignments")
    folder = tmp_path / "in"
    folder.mkdir()
    release = tmp_path / "assignments" / "hw1" / "release" / "hw1.ipynb"
    entries = {f"Participant_{5500 + n}_assignsubmission_file_/hw1.ipynb": filled(release, RIGHT if n else HALF) for n in range(4)}  # fmt: skip
    write_zip(folder / "blind.zip", entries)
    report = grade_into(folder, tmp_path / "book.sqlite", manifest, course["questions"])
    with Gradebook(tmp_path / "book.sqlite") as gradebook:
        totals = gradebook.summary("hw1")
    assert totals == {"jalvarez@uni.example": 1.0} | {f"{PEOPLE[n][2]}@uni.example": 2.0 for n in range(1, 4)}  # fmt: skip
    assert report.graded == 4


def test_moodle_worksheet_times_decide_lateness_in_their_time_zone(course, tmp_path: Path) -> None:
    """Item 2: Moodle's recorded time (grading worksheet, userdate() in the user's zone)."""
    from lrcourse.grading.moodle import TIME_MOODLE, worksheet_times

    sheet = tmp_path / "worksheet.csv"
    stamps = [
        "Sunday, 1 March 2026, 11:00 PM",  # 22:00 UTC: on time
        "Monday, 2 March 2026, 1:10 AM",  # 00:10 UTC: 11 minutes late, inside the grace
        "Tuesday, 3 March 2026, 10:00 AM",  # 09:00 UTC: two started days late
        "-",  # nothing recorded: no lateness from anywhere
    ]
    lines = ['Identifier,"Full name","Email address",Status,"Last modified (submission)"']
    lines += [f'"Participant {5500 + n}","{PEOPLE[n][0]} {PEOPLE[n][1]}",x@y,s,"{stamp}"' for n, stamp in enumerate(stamps)]  # fmt: skip
    sheet.write_text("\n".join(lines) + "\n", encoding="utf-8")
    times = worksheet_times(sheet, "Europe/Berlin", course["hw1"])
    assert times[IDS[0]] == DUE - timedelta(hours=1, minutes=59) and IDS[3] not in times
    folder = tmp_path / "in"
    folder.mkdir()
    entries = {f"{moodle_folder(n)}/hw1.ipynb": filled(course["hw1-release"], RIGHT) for n in range(4)}  # fmt: skip
    write_zip(folder / "moodle.zip", entries)
    source = f"{TIME_MOODLE}, Europe/Berlin"
    _, totals, hand_ins = _grade(course, folder, tmp_path / "b.sqlite", recorded=times, recorded_source=source)  # fmt: skip
    assert totals == {IDS[0]: 2.0, IDS[1]: 2.0, IDS[2]: pytest.approx(1.6), IDS[3]: 2.0}
    assert hand_ins[IDS[2]]["time_source"] == source
    with pytest.raises(AssignmentError, match="not a time zone"):
        worksheet_times(sheet, "Mars/Olympus", course["hw1"])


def test_the_lateness_flags_are_checked_before_anything_is_read(course, tmp_path: Path, capsys) -> None:  # fmt: skip
    from lrcourse.cli import main

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "jalvarez.ipynb").write_bytes(filled(course["hw1-release"], RIGHT))
    grade = ["grade", str(folder), "--assignment", str(course["root"] / "assignments" / "hw1")]
    grade += ["--banks", str(BANK), "--gradebook", str(tmp_path / "b.sqlite"), "--no-progress"]
    for extra, said in (
        (["--lms-times", "w.csv"], "--lms-times needs --lms-timezone"),
        (["--submitted", "jalvarez=yesterday"], "write e.g. bob=2026-03-03T09:30"),
        (["--extension", "nobody=5"], "--extension 'nobody': not on the class list"),
        (["--excuse", "nobody"], "--excuse 'nobody': not on the class list"),
    ):
        assert main([*grade, *extra]) == 2
        assert said in capsys.readouterr().err
    assert not (tmp_path / "b.sqlite").exists()
    assert main([*grade, "--submitted", "jalvarez=2026-03-02T00:10"]) == 1  # 24 are missing
    with Gradebook(tmp_path / "b.sqlite") as gradebook:
        assert gradebook.summary("hw1") == {"jalvarez": 2.0}  # 11 minutes late: inside the grace
