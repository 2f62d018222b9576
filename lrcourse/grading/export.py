"""Export the gradebook: LMS grade CSVs, per-student feedback, item analysis, LMS questions.

Grade CSVs (one row per student on the roster or with a hand-in; points = sum of score × points,
times the late factor, written as a plain decimal with at most two places, as Canvas's own export
does; a roster student with no hand-in gets 0, or with ``ExportOptions(missing="mark")`` "no
grade" in the form each importer reads as such: an empty cell for Canvas (GradebookImporter's
``no_score?``: blank or ``-``) and ``-`` for Moodle (grade/import/csv's ``update_grade_item``:
``''`` or ``-`` is "no grade"; any other text that is not a number makes Moodle refuse the whole
file). Every cell a person wrote (names, notes) goes through :mod:`csvsafe`, so none becomes a
spreadsheet formula.

* **Canvas** (Grades → Import): columns ``Student, ID, SIS User ID, SIS Login ID, Section,
  <column>``, then a ``Points Possible`` row, as Canvas's own export has. Canvas matches rows
  by ``ID``, ``SIS User ID`` or ``SIS Login ID``: the roster's Canvas id goes in ``ID``, the
  student id in the other two. ``<column>`` is the assignment name, or the exact title of an
  existing Canvas column (``hw3 (123456)``, as Canvas's export writes it) so the import fills
  that assignment instead of creating a new one.
* **Moodle** (Grades → Import → CSV file): columns ``Username, <assignment>, Maximum``; on import
  map ``Username`` to the user field ``username`` and the assignment column to its grade item
  (whose maximum should equal ``Maximum``).
* **Moodle's offline grading worksheet** (``grades-moodle-worksheet.csv``, written when the class
  list has Moodle participant ids; the assignment → *Upload grading worksheet*): grades straight
  into the assignment, see :func:`moodle_worksheet_csv`.
* ``late.csv``: per student the points before lateness, the factor and the note.

Item analysis (classical test theory): per question the difficulty *p* (mean score), the
corrected point-biserial discrimination *r_pb* (question score vs. total of the other questions)
and the upper–lower 27 % index *D*; per choice option how many students picked it.

Questions (``lms.py`` picks them and computes their keys with torch): GIFT (Moodle's text format)
and a QTI 1.2 package for Canvas (``<assignment>-qti.zip``, see ``qti.py``) hold the ``single``,
``multiple``, ``numeric`` and ``predict`` questions; ``code`` and ``fix-loop`` have no LMS
equivalent and are listed as skipped (a comment in each file).
"""

from __future__ import annotations

import json
import statistics
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from lrcourse.grading.bulk_feedback import canvas_feedback_zip, moodle_feedback_zip
from lrcourse.grading.csvsafe import csv_text
from lrcourse.grading.feedback import feedback_html, feedback_markdown
from lrcourse.grading.gradebook import GradeRow, totals
from lrcourse.grading.lms import (
    assignment_questions,
    numeric_answer,
    predict_answer,
    skipped_questions,
)
from lrcourse.grading.manifest import AssignmentError, Manifest
from lrcourse.grading.qti import qti_file_name, qti_package
from lrcourse.quiz.model import (
    MultipleChoice,
    Numeric,
    Predict,
    QuestionModel,
    SingleChoice,
)

MISSING_MODES = ("zero", "mark")


@dataclass(frozen=True)
class ExportOptions:
    """How grade CSVs are written: missing students, and the LMS column to match."""

    #: Students on the roster with no hand-in: ``zero`` (0 points) or ``mark`` ("missing").
    missing: str = "zero"
    #: The Canvas column to import into, as Canvas's own export titles it (``hw3 (123456)``).
    canvas_column: str = ""


def _grade_lines(
    manifest: Manifest, rows: Sequence[GradeRow], options: ExportOptions
) -> list[tuple[str, str | None]]:
    """Return ``(student, points text)`` for every student with a hand-in or on the roster.

    The points are None for a roster student with no hand-in: :func:`_cell` writes what
    ``options.missing`` asks for there.
    """
    earned = totals(rows)
    students = sorted({*earned, *manifest.roster_ids()})
    return [(s, points_text(earned[s]) if s in earned else None) for s in students]


def points_text(points: float) -> str:
    """Return ``points`` as both importers read a number: plain decimal, at most two places.

    Never an exponent (``%g`` wrote ``1.234e+04``, which Canvas's ``decimal_comma_to_period``
    does not read as a number) and never ``-0``.
    """
    text = f"{round(points, 2):.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _cell(points: str | None, options: ExportOptions, no_grade: str) -> str:
    if points is not None:
        return points
    return "0" if options.missing == "zero" else no_grade


def canvas_csv(
    manifest: Manifest, rows: Sequence[GradeRow], options: ExportOptions = ExportOptions()
) -> str:
    """Return the Canvas gradebook import CSV of ``manifest``'s assignment."""
    roster = {entry.id: entry for entry in manifest.roster}
    column = options.canvas_column or manifest.assignment
    table: list[list[str]] = [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", column],
        ["Points Possible", "", "", "", "", points_text(manifest.possible())],
    ]
    for student, points in _grade_lines(manifest, rows, options):
        entry = roster.get(student)
        name = entry.name if entry and entry.name else student
        canvas_id = entry.canvas_id if entry else ""
        table.append([name, canvas_id, student, student, "", _cell(points, options, "")])
    return csv_text(table)


def moodle_csv(
    manifest: Manifest, rows: Sequence[GradeRow], options: ExportOptions = ExportOptions()
) -> str:
    """Return the Moodle grade import CSV: username, points, and the points it is out of."""
    table = [["Username", manifest.assignment, "Maximum"]]
    maximum = points_text(manifest.possible())
    for student, points in _grade_lines(manifest, rows, options):
        table.append([student, _cell(points, options, "-"), maximum])
    return csv_text(table)


#: Column titles Moodle's offline grading worksheet import looks for (English strings
#: ``recordid``, ``grade``, ``lastmodifiedgrade`` and the comments plugin's name).
MOODLE_WORKSHEET_COLUMNS = (
    "Identifier", "Full name", "Grade", "Maximum Grade", "Last modified (grade)",
    "Feedback comments",
)  # fmt: skip


def moodle_worksheet_csv(
    manifest: Manifest,
    rows: Sequence[GradeRow],
    options: ExportOptions = ExportOptions(),
    now: datetime | None = None,
) -> str:
    """Return Moodle's offline grading worksheet: grades into the assignment itself.

    Moodle (``mod/assign/feedback/offline``: ``importgradeslib.php`` ``init``/``next`` and
    ``locallib.php`` ``process_import_grades``) needs the ``Identifier``, ``Grade`` and ``Last
    modified (grade)`` columns; it finds the student by ``Participant <id>`` (the roster's
    ``moodle_id``), skips a grade that is empty, negative or above the assignment's maximum, and
    skips one whose date is older than the grade Moodle holds (a grade changed in Moodle since
    this export is not overwritten). Unlike the gradebook import it does not mark the grade
    "overridden" in Moodle's gradebook. ``Feedback comments`` gets each question's points (no
    student text). Only students with a ``moodle_id`` can be named.
    """
    moment = (now or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M:%S UTC")
    roster = {entry.id: entry for entry in manifest.roster}
    by_student: dict[str, dict[str, GradeRow]] = defaultdict(dict)
    for row in rows:
        by_student[row.student][row.question_id] = row
    table: list[Sequence[str]] = [MOODLE_WORKSHEET_COLUMNS]
    for student, points in _grade_lines(manifest, rows, options):
        entry = roster.get(student)
        if entry is None or not entry.moodle_id.isdigit():
            continue
        mine = by_student.get(student, {})
        comment = "; ".join(
            f"Q{number} {points_text(mine[s.question_id].score * s.points)}/{points_text(s.points)}"
            for number, s in enumerate(manifest.slots, start=1)
            if s.question_id in mine
        )
        table.append(
            [
                f"Participant {entry.moodle_id}",
                entry.name or student,
                _cell(points, options, ""),
                points_text(manifest.possible()),
                moment,
                comment,
            ]
        )
    return csv_text(table)


def late_csv(manifest: Manifest, rows: Sequence[GradeRow]) -> str:
    """Return per student the raw points, the late factor, the points kept and the late note."""
    table = [["student", "points before lateness", "late factor", "points", "note"]]
    raw: dict[str, float] = {}
    info: dict[str, GradeRow] = {}
    for row in rows:
        raw[row.student] = raw.get(row.student, 0.0) + row.score * row.points
        info[row.student] = row
    for student in sorted(raw):
        row = info[student]
        kept = raw[student] * row.late_factor
        table.append(
            [student, points_text(raw[student]), f"{row.late_factor:g}", points_text(kept),
             row.late_note]
        )  # fmt: skip
    return csv_text(table)


@dataclass(frozen=True)
class ItemStats:
    """Classical item statistics of one question."""

    question_id: str
    students: int
    difficulty: float  # p: mean score in [0, 1]
    point_biserial: float | None  # corrected r_pb; None when undefined (no variance)
    upper_lower: float | None  # D = p(upper 27 %) - p(lower 27 %)
    option_counts: dict[str, int]
    #: Results a person decided (review or override): their points are the ones counted.
    by_person: int = 0


def _pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Return Pearson's r, or None where it is undefined (under two students, or no spread)."""
    try:
        return statistics.correlation(xs, ys)
    except statistics.StatisticsError:
        return None


def item_analysis(manifest: Manifest, rows: Sequence[GradeRow]) -> list[ItemStats]:
    """Return difficulty, discrimination and option counts for every question of the assignment."""
    scores: dict[str, dict[str, float]] = defaultdict(dict)
    answers: dict[str, list[str]] = defaultdict(list)
    decided: Counter[str] = Counter()
    for row in rows:
        scores[row.student][row.question_id] = row.score  # a person's points when they decided
        decided[row.question_id] += row.machine_score is not None
        # An answer that was read (not an untouched template), also when a person then decided
        # its points: an override changes the score, not what the student picked.
        if row.status == "graded" or row.machine_score is not None:
            answers[row.question_id].append(row.answer)
    students = sorted(scores)
    stats = []
    for slot in manifest.slots:
        qid = slot.question_id
        item = [scores[s].get(qid, 0.0) for s in students]
        rest = [sum(v for k, v in scores[s].items() if k != qid) for s in students]
        ranked = sorted(range(len(students)), key=lambda i: (rest[i] + item[i], students[i]))
        group = max(1, round(0.27 * len(students))) if students else 0
        upper_lower = None
        if len(students) >= 4:
            low, high = ranked[:group], ranked[-group:]
            upper_lower = statistics.fmean(item[i] for i in high) - statistics.fmean(
                item[i] for i in low
            )
        counts: Counter[str] = Counter()
        if slot.type in ("single", "multiple"):
            for text in answers[qid]:
                try:
                    picked = json.loads(text) if slot.type == "multiple" else text
                except ValueError:
                    picked = []
                for key in [picked] if isinstance(picked, str) else picked or []:
                    if isinstance(key, str) and key:
                        counts[key] += 1
        stats.append(
            ItemStats(
                question_id=qid,
                students=len(students),
                difficulty=statistics.fmean(item) if item else 0.0,
                point_biserial=_pearson(item, rest),
                upper_lower=upper_lower,
                option_counts=dict(sorted(counts.items())),
                by_person=decided[qid],
            )
        )
    return stats


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def item_analysis_markdown(manifest: Manifest, stats: Sequence[ItemStats]) -> str:
    """Return the item analysis as a Markdown report."""
    lines = [
        f"# Item analysis: {manifest.assignment}",
        "",
        "p = mean score (difficulty); r_pb = corrected point-biserial (item vs. rest of test);",
        "D = p(top 27 %) − p(bottom 27 %). Low or negative r_pb / D: check the key and wording.",
        "Scores are the final ones: a person's points (review, override) where they decided.",
        "",
        "| question | students | p | r_pb | D | decided by a person | options picked |",
        "|---|---|---|---|---|---|---|",
    ]
    for s in stats:
        picked = ", ".join(f"`{k}`: {n}" for k, n in s.option_counts.items()) or "—"
        lines.append(
            f"| `{s.question_id}` | {s.students} | {s.difficulty:.2f} | {_fmt(s.point_biserial)} "
            f"| {_fmt(s.upper_lower)} | {s.by_person} | {picked} |"
        )
    return "\n".join(lines) + "\n"


_GIFT_SPECIAL = str.maketrans({c: "\\" + c for c in "~=#{}:\\"})


def _gift(text: str) -> str:
    return text.strip().translate(_GIFT_SPECIAL).replace("\n", "\\n")


def gift_questions(questions: Sequence[QuestionModel]) -> str:
    """Return the questions in Moodle GIFT format (code questions are listed as skipped)."""
    blocks = []
    for q in questions:
        head = f"::{q.id}::[markdown]{_gift(getattr(q, 'prompt', ''))}"
        shown_code = q.public().shown_code  # what the learner sees: a predict's code, a snippet
        if shown_code:
            head += "\\n\\n```\\n" + _gift(shown_code) + "\\n```"
        if isinstance(q, SingleChoice):
            body = [
                f"{'=' if o.key == q.answer else '~'}{_gift(o.text)}#{_gift(o.feedback)}"
                for o in q.options
            ]
        elif isinstance(q, MultipleChoice):
            # The course's rule (check_multiple): each right pick earns 1/right of the points
            # and each wrong pick takes as much away, floored at 0 (Moodle floors too).
            weight = f"{100 / len(q.answers):.5g}"
            body = [
                f"~%{'' if o.key in q.answers else '-'}{weight}%{_gift(o.text)}#{_gift(o.feedback)}"
                for o in q.options
            ]
        elif isinstance(q, Numeric):
            answer = numeric_answer(q)
            body = [f"#{answer.key!r}:{answer.margin:.6g}"]
        elif isinstance(q, Predict):
            body = ["=" + _gift(predict_answer(q))]
        else:
            continue  # no GIFT equivalent: listed in the header
        blocks.append(head + " {\n" + "\n".join(body) + "\n}")
    header = "// lrcourse questions in GIFT format (Moodle: Question bank → Import → GIFT)."
    skipped = skipped_questions(questions)
    if skipped:
        header += f"\n// Skipped (no GIFT equivalent for code questions): {', '.join(skipped)}"
    return header + "\n\n" + "\n\n".join(blocks) + "\n"


def export_all(
    manifest: Manifest,
    rows: Sequence[GradeRow],
    questions: dict[str, QuestionModel],
    out: Path,
    options: ExportOptions = ExportOptions(),
    hand_ins: Mapping[str, str] | None = None,
    notes: list[str] | None = None,
) -> list[Path]:
    """Write every export of one assignment under ``out``; return the files written.

    Besides the per-student pages, the class's feedback goes into the zips each LMS's bulk
    feedback upload reads (``feedback-moodle.zip``, ``feedback-canvas.zip``; see
    :mod:`lrcourse.grading.bulk_feedback`), each written when it holds anyone; ``hand_ins``
    (student -> the graded hand-in's path) names the Canvas download files to attach to. A line
    per student left out of a zip, and why, is appended to ``notes``.

    Raises :class:`AssignmentError` when a question of the assignment is not in ``questions``
    (the banks it was assigned from are needed for keys, feedback and the LMS questions).
    """
    missing = [s.question_id for s in manifest.slots if s.question_id not in questions]
    if missing:
        raise AssignmentError(
            f"the banks given do not hold {len(missing)} question(s) of {manifest.assignment!r} "
            f"({', '.join(missing[:3])}); pass --banks with the folder it was assigned from"
        )
    if options.missing not in MISSING_MODES:
        raise AssignmentError(f"--missing {options.missing!r}: valid: {', '.join(MISSING_MODES)}")
    out.mkdir(parents=True, exist_ok=True)
    (out / "feedback").mkdir(exist_ok=True)
    exported = assignment_questions(manifest, questions)
    written = {
        out / "grades-canvas.csv": canvas_csv(manifest, rows, options),
        out / "grades-moodle.csv": moodle_csv(manifest, rows, options),
        out / "late.csv": late_csv(manifest, rows),
        out / "item-analysis.md": item_analysis_markdown(manifest, item_analysis(manifest, rows)),
        out / "questions.gift": gift_questions(exported),
    }
    for student in sorted({row.student for row in rows}):
        text = feedback_markdown(manifest, student, rows, questions)
        written[out / "feedback" / f"{student}.md"] = text
        title = f"{manifest.assignment}: feedback for {manifest.display_name(student)}"
        written[out / "feedback" / f"{student}.html"] = feedback_html(text, title)
    pages = {
        path.stem: text
        for path, text in written.items()
        if path.parent.name == "feedback" and path.suffix == ".html"
    }
    zips = {
        out / "feedback-moodle.zip": moodle_feedback_zip(manifest, pages),
        out / "feedback-canvas.zip": canvas_feedback_zip(manifest, pages, hand_ins or {}),
    }
    if any(entry.moodle_id.isdigit() for entry in manifest.roster):
        written[out / "grades-moodle-worksheet.csv"] = moodle_worksheet_csv(manifest, rows, options)
    for path, text in written.items():
        path.write_text(text, encoding="utf-8")
    for path, bulk in zips.items():
        if bulk.included:
            path.write_bytes(bulk.data)
            written[path] = ""
            if notes is not None:
                notes += [
                    f"{path.name}: {student} left out: {why}" for student, why in bulk.skipped
                ]
    package = out / qti_file_name(manifest)
    package.write_bytes(qti_package(manifest, exported))
    return sorted([*written, package])
