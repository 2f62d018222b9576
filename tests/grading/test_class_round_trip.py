"""A scripted class of 25, run through the real ``lrcourse`` commands as an instructor would.

Roster CSV with names and LMS ids → ``assign`` (per-student variants, points, due date and late
penalty) → hand-ins from Canvas ("download submissions" zip, one late, one copy, one format slip,
a stranger) and Moodle ("download all" folders, one symlink, one blank written answer, one
stranger) → ``grade`` each download → review sheet filled and read back → an override →
a full regrade (the override survives) → regrades pointed at a wrong folder or student
(refused, nothing lost) → ``history`` and ``undo`` → ``export`` (Canvas column of an existing
assignment, Moodle maximum, missing students, late totals, feedback with the right answers).
Every command runs as a separate process, as in a shell; the timings of assign, grade, a
one-student regrade and export are printed (``-s``) and bounded loosely (the machine is shared).
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import time
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import nbformat
import pytest

from lrcourse.grading.gradebook import Gradebook
from lrcourse.grading.manifest import Manifest, load_questions, variant_question
from lrcourse.quiz.check import numeric_key, predict_key

BANK = Path(__file__).resolve().parents[1] / "files" / "grading" / "class-bank"
LRCOURSE = str(Path(sys.executable).parent / "lrcourse")
DUE = datetime(2026, 3, 1, 23, 59, tzinfo=UTC)
NAMES = [
    "Wen Zhang", "José Álvarez", "Ann Smith", "Bo Li", "Chidi Okafor", "Dana Levi", "Emil Berg",
    "Fatima Khan", "Gus Moreau", "Hana Sato", "Ivan Petrov", "Jade Wu", "Kofi Mensah",
    "Lena Vogel", "Marta Ruiz", "Nils Dahl", "Omar Haddad", "Pia Rossi", "Quinn Hale",
    "Rosa Diaz", "Sami Nieminen", "Tara Singh", "Uma Patel", "Viktor Hahn", "Yuki Mori",
]  # fmt: skip
CANVAS, MOODLE = range(0, 13), range(13, 23)  # 23 and 24 hand in nothing
LATE, SLIP, COPY = 10, 11, 12  # Canvas: two days late; a numeric expression; student 0's notebook
WRONG, BLANK, LINKED = 14, 15, 22  # Moodle: a wrong pick; an empty explanation; a symlink
RIGHT_CODE = (
    "def make_scheduler(optimizer):\n    return StepLR(optimizer, step_size=3, gamma=0.1)\n"
)
EXPLANATION = 'answer = """Early gradients are noisy and a small rate stops overshooting."""\n'


def _id(name: str) -> str:
    first, last = name.split(" ", 1)
    plain = last.replace("á", "a").replace("Á", "A").lower()
    return (first[0].lower() + plain).replace(" ", "")


IDS = [_id(name) for name in NAMES]


def _lrcourse(tmp: Path, *args: str) -> tuple[int, str, str, float]:
    start = time.monotonic()
    done = subprocess.run(
        [LRCOURSE, *args], cwd=tmp, capture_output=True, text=True, timeout=300, check=False
    )
    return done.returncode, done.stdout, done.stderr, time.monotonic() - start


def _answers(student: str, manifest: Manifest, questions) -> dict[str, str]:
    """Return right answers for ``student``'s copy: keys computed by torch for their variant."""
    predict = variant_question(questions["class.steplr-after-three"], manifest.seed, student)
    return {
        "class.where-lr-is-used": 'answer = "step"\n',
        "class.steplr-after-three": f'answer = """{predict_key(predict)}"""\n',
        "class.rate-after-decay": f"answer = {numeric_key(questions['class.rate-after-decay'])!r}\n",
        "class.true-statements": 'answer = ["step-first", "groups"]\n',
        "class.make-step-scheduler": RIGHT_CODE,
        "class.why-warm-up": EXPLANATION,
    }


def _filled(release: Path, answers: dict[str, str]) -> bytes:
    notebook = nbformat.read(release, as_version=4)
    for cell in notebook.cells:
        marker = cell.metadata.get("lrcourse", {})
        if marker.get("role") == "answer" and marker["question"] in answers:
            cell.source = answers[marker["question"]]
    return nbformat.writes(notebook).encode("utf-8")


def _current(book: Path) -> list[tuple[object, ...]]:
    with Gradebook(book) as gradebook:
        return [
            (r.student, r.question_id, r.score, r.status, r.reviewer)
            for r in gradebook.current_rows("hw3")
        ]


@pytest.mark.slow
def test_a_class_of_25_from_lms_downloads_to_lms_imports(tmp_path: Path) -> None:
    timings: dict[str, float] = {}
    questions = load_questions(BANK)
    roster = tmp_path / "roster.csv"
    with roster.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "name", "canvas_id", "moodle_id"])
        for n, (student, name) in enumerate(zip(IDS, NAMES, strict=True)):
            # Half the Canvas students are matched by their Canvas id, half by their login.
            writer.writerow([student, name, str(48200 + n) if n % 2 else "", str(9100 + n)])
    assign = [
        "assign", "hw3", "--students", "roster.csv", "--per-student", "--variants",
        "--banks", str(BANK), "--questions", ",".join(questions), "--seed", "7",
        "--points", "class.make-step-scheduler=2,class.why-warm-up=2",
        "--due", DUE.isoformat(), "--penalty", "0.1", "--cutoff", "7",
    ]  # fmt: skip
    status, out, err, timings["assign"] = _lrcourse(tmp_path, *assign)
    assert status == 0, err
    assert "6 question(s), 8 point(s), 25 release notebook(s), 25 student(s)" in out
    manifest = Manifest.load(tmp_path / "assignments/hw3/manifest.json")
    assert [e.name for e in manifest.roster] == [NAMES[IDS.index(e.id)] for e in manifest.roster]

    # Assigning again (another seed) would change every variant: refused, manifest untouched.
    status, _, err, _ = _lrcourse(tmp_path, *assign[:-2], "--seed", "8")
    assert status == 2 and "pass --force" in err and err.count("\n") == 1
    assert Manifest.load(tmp_path / "assignments/hw3/manifest.json") == manifest

    # --- hand-ins as the LMSs deliver them ------------------------------------------------
    release = tmp_path / "assignments/hw3/release"
    work: dict[int, bytes] = {}
    for n, student in enumerate(IDS[:23]):
        answers = _answers(student, manifest, questions)
        if n == SLIP:
            answers["class.rate-after-decay"] = "answer = 0.2 * 0.9 ** 2\n"
        if n == WRONG:
            answers["class.where-lr-is-used"] = 'answer = "backward"\n'
        if n == BLANK:
            del answers["class.why-warm-up"]
        source = IDS[0] if n == COPY else student
        work[n] = _filled(release / f"{source}.ipynb", answers)
    canvas = tmp_path / "canvas"
    canvas.mkdir()
    with zipfile.ZipFile(canvas / "submissions.zip", "w") as archive:
        for n in CANVAS:
            last, first = NAMES[n].split(" ", 1)[1], NAMES[n].split(" ", 1)[0]
            login = (last + first).lower().replace("á", "a").replace("é", "e").replace(" ", "")
            late = "_late" if n == LATE else ""
            name = f"{login}{late}_{48200 + n}_{1290000 + n}_hw3.ipynb"
            when = DUE + timedelta(days=1, hours=2) if n == LATE else DUE - timedelta(hours=n)
            archive.writestr(zipfile.ZipInfo(name, when.timetuple()[:6]), work[n])
        archive.writestr("stranger_99999_88888_hw3.ipynb", work[0])
    moodle = tmp_path / "moodle"
    for n in MOODLE:
        folder = moodle / f"{NAMES[n]}_{5550 + n}_assignsubmission_file_"
        folder.mkdir(parents=True)
        if n == LINKED:
            (folder / "hw3.ipynb").symlink_to(canvas / "submissions.zip")
            continue
        (folder / "hw3.ipynb").write_bytes(work[n])
        os.utime(folder / "hw3.ipynb", (DUE.timestamp() - 3600, DUE.timestamp() - 3600))
    (moodle / "Nobody Here_5999_assignsubmission_file_").mkdir()
    (moodle / "Nobody Here_5999_assignsubmission_file_" / "hw3.ipynb").write_bytes(work[13])

    # --- grade the Canvas download, then the Moodle one ----------------------------------
    grade = ["grade", "--assignment", "assignments/hw3", "--banks", str(BANK), "--no-progress"]
    grade += ["--jobs", "1", "--wall", "10", "--cpu", "5"]
    status, out, err, timings["grade canvas (13)"] = _lrcourse(tmp_path, *grade, "canvas")
    assert status == 1, err  # findings: a stranger, a copy, answers to review, missing students
    assert "13 student(s) handed in, 13 graded" in out
    assert "not-on-roster submissions.zip:stranger_99999_88888_hw3.ipynb" in out
    assert "released-to   submissions.zip:" in out and f"released to {IDS[0]!r}" in out
    assert f"invalid       {IDS[SLIP]} class.rate-after-decay" in out
    assert f"missing       {IDS[23]}: no hand-in found" in out
    assert "late-unknown  submissions.zip:" in out
    # Nothing new: no sandbox, no torch (issue 22 item 13: target 1 s, a whole process).
    status, out, err, timings["grade, nothing new"] = _lrcourse(tmp_path, *grade, "canvas")
    assert "0 graded, 13 already graded, 0 code run(s)" in out, err
    assert timings["grade, nothing new"] <= 1.0
    status, out, err, timings["grade moodle (10)"] = _lrcourse(tmp_path, *grade, "moodle")
    assert status == 1, err
    assert "10 student(s) handed in" in out  # the symlink is one, flagged for review, not read
    assert "not-on-roster Nobody Here_5999_assignsubmission_file_/hw3.ipynb" in out
    assert f"needs-review  {IDS[LINKED]} class.where-lr-is-used: " in out
    assert "a symbolic link (not followed)" in out
    assert f"missing       {IDS[0]}" not in out  # graded from the Canvas download already
    book = tmp_path / "gradebook.sqlite"
    with Gradebook(book) as gradebook:
        totals = gradebook.summary("hw3")
        hand_ins = gradebook.submissions("hw3")
    assert totals[IDS[0]] == 6  # all right; the written answer (2 points) waits for review
    # Canvas's LATE mark without a time (the zip entry dates are not submission times): no
    # silent penalty, a finding for a person (issue 22 item 2).
    assert totals[IDS[LATE]] == 6
    assert str(hand_ins[IDS[LATE]]["note"]).startswith("marked LATE by the LMS")
    assert totals[IDS[WRONG]] == 5 and totals[IDS[SLIP]] == 5 and totals[IDS[LINKED]] == 0
    assert hand_ins[IDS[COPY]]["flags"] == f"the notebook was released to {IDS[0]!r}"
    assert set(totals) == set(IDS[:23])

    status, out, _, _ = _lrcourse(tmp_path, "gradebook", "hw3")
    assert status == 0 and f"{IDS[24]:<30}  missing" in out

    # --- review: a sheet filled in by a person and read back -----------------------------
    status, out, _, _ = _lrcourse(tmp_path, "review", "hw3", "--sheet", "review.csv")
    assert status == 1
    rows = list(csv.DictReader(io.StringIO((tmp_path / "review.csv").read_text())))
    waiting = {(r["student"], r["question"]) for r in rows}
    assert (IDS[0], "class.why-warm-up") in waiting and (
        IDS[SLIP],
        "class.rate-after-decay",
    ) in waiting
    assert (IDS[BLANK], "class.why-warm-up") not in waiting  # not answered: nothing to review
    for row in rows:
        if row["question"] == "class.why-warm-up":
            row["points"], row["comment"] = "2", "Both ideas are there."
        elif row["student"] == IDS[SLIP]:
            row["points"], row["comment"] = "1", "The value is right; write it as a number."
    with (tmp_path / "review.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    env_who = {**os.environ, "LRCOURSE_REVIEWER": "dr-ta"}
    done = subprocess.run(
        [LRCOURSE, "review", "hw3", "--read", "review.csv"],
        cwd=tmp_path, env=env_who, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert "answer(s) reviewed from review.csv" in done.stdout, done.stderr
    assert done.returncode == 1  # the symlinked hand-in still waits (its points were left empty)
    status, _, err, _ = _lrcourse(
        tmp_path, "override", "hw3", "--student", IDS[WRONG], "--question",
        "class.where-lr-is-used", "--points", "1", "--comment", "Regraded on appeal.", "--who", "prof",
    )  # fmt: skip
    assert status == 0, err
    reviewed = _current(book)
    assert (IDS[0], "class.why-warm-up", 1.0, "reviewed", "dr-ta") in reviewed
    assert (IDS[WRONG], "class.where-lr-is-used", 1.0, "overridden", "prof") in reviewed

    # --- a full regrade keeps every person's points; a one-student regrade is quick ------
    status, out, err, _ = _lrcourse(tmp_path, *grade, "canvas", "--regrade")
    assert status == 1 and "13 graded" in out, err
    status, out, err, timings["regrade one student"] = _lrcourse(
        tmp_path, *grade, "moodle", "--regrade", "--student", IDS[WRONG]
    )
    assert "1 graded" in out, err
    assert _current(book) == reviewed

    # --- wrong folders and filters: refused with one line, nothing lost --------------------
    (tmp_path / "empty").mkdir()
    for mistake in (["empty"], ["canvs"], ["moodle", "--student", "nosuch"], [str(tmp_path / "assignments")]):  # fmt: skip
        status, out, err, _ = _lrcourse(tmp_path, *grade, *mistake, "--regrade")
        assert status == 2, (mistake, out, err)
        assert err.count("\n") <= 2 and "Traceback" not in err, err  # "reading ..." + the error
        assert _current(book) == reviewed, mistake
    status, _, err, _ = _lrcourse(tmp_path, *grade, "moodle", "--question", "no.such")
    assert status == 2 and "no question 'no.such'" in err

    # --- history says what each run changed; undo puts the last one back -----------------
    status, out, _, _ = _lrcourse(tmp_path, "gradebook", "history")
    assert status == 0 and out.count("\nrun ") + out.startswith("run ") >= 6
    assert "overridden" in out and "reviewed" in out
    with Gradebook(book) as gradebook:
        runs = gradebook.runs()
    last = runs[-1]["run_id"]
    status, out, _, _ = _lrcourse(tmp_path, "gradebook", "history", "--run", str(last))
    assert status == 0
    status, out, _, _ = _lrcourse(tmp_path, "override", "hw3", "--student", IDS[1], "--question",
                                  "class.true-statements", "--points", "0", "--comment", "oops")  # fmt: skip
    assert status == 0 and ("class.true-statements" in _lrcourse(tmp_path, "gradebook", "history", "--run", str(last + 1))[1])  # fmt: skip
    status, out, _, _ = _lrcourse(tmp_path, "gradebook", "undo")
    assert status == 0 and f"undid run {last + 1}: 1 row(s)" in out
    assert _current(book) == reviewed

    # --- export ---------------------------------------------------------------------------
    status, _, err, _ = _lrcourse(tmp_path, "export", "hw3")  # the course banks lack these
    assert status == 2 and "pass --banks" in err
    export = ["export", "hw3", "--banks", str(BANK), "--canvas-column", "Homework 3 (4242)"]
    status, out, err, timings["export"] = _lrcourse(tmp_path, *export)
    assert status == 1, err  # the symlinked hand-in still waits for a person: said, and exit 1
    # the symlinked hand-in: 6 answers to review, of which the sheet settled the written one
    assert "5 answer(s) still wait for a person and count 0" in out
    table = list(csv.reader(io.StringIO((tmp_path / "export/grades-canvas.csv").read_text())))
    assert table[0][5] == "Homework 3 (4242)" and table[1][5] == "8"
    canvas_points = {row[2]: row[5] for row in table[2:]}
    assert len(canvas_points) == 25 and canvas_points[IDS[23]] == canvas_points[IDS[24]] == "0"
    assert canvas_points[IDS[0]] == "8" and canvas_points[IDS[LATE]] == "8"  # LATE, no time
    assert table[2 + sorted(IDS).index(IDS[1])][1] == "48201"  # Canvas's own user id
    moodle_rows = list(csv.reader(io.StringIO((tmp_path / "export/grades-moodle.csv").read_text())))
    assert moodle_rows[0] == ["Username", "hw3", "Maximum"] and moodle_rows[1][2] == "8"
    feedback = (tmp_path / f"export/feedback/{IDS[WRONG]}.md").read_text()
    assert "Your answer:\n- `backward`" in feedback and "Correct answer: `step`" in feedback
    assert "Reviewed by prof: Regraded on appeal." in feedback
    page = (tmp_path / f"export/feedback/{IDS[SLIP]}.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and "http" not in page.replace("http-equiv", "")
    gift = (tmp_path / "export/questions.gift").read_text()
    assert "~%-50%" in gift and "~%50%" in gift  # the course's rule: a wrong pick cancels a right

    # --- a student checks their notebook before handing it in (no keys needed) ----------
    (tmp_path / "mine.ipynb").write_bytes(work[SLIP])
    status, out, _, _ = _lrcourse(tmp_path, "validate", "mine.ipynb")
    assert status == 1 and "FIX  class.rate-after-decay" in out
    (tmp_path / "mine.ipynb").write_bytes(work[0])
    status, out, _, _ = _lrcourse(tmp_path, "validate", "mine.ipynb")
    assert status == 0 and "6 of 6 answer(s) ready" in out

    print("\ntimings (wall, separate processes, shared 2-core machine):")
    for step, seconds in timings.items():
        print(f"  {step:<22} {seconds:6.2f} s")
    (tmp_path / "timings.json").write_text(json.dumps(timings))
