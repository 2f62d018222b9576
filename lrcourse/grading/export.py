"""Export the gradebook: LMS grade CSVs, per-student feedback, item analysis, LMS questions.

Grade CSVs (one row per student with a current submission, points = sum of score × points):

* **Canvas** (Grades → Import): columns ``Student, ID, SIS User ID, SIS Login ID, Section,
  <assignment>``, then a ``Points Possible`` row, as Canvas's own export has. Canvas matches rows
  by ``ID``, ``SIS User ID`` or ``SIS Login ID``; the student id (the submission's file or folder
  name) goes in ``SIS User ID`` and ``SIS Login ID``, ``ID`` is left empty.
* **Moodle** (Grades → Import → CSV file): columns ``Username, <assignment>``; on import map
  ``Username`` to the user field ``username`` and the assignment column to its grade item.

Item analysis (classical test theory): per question the difficulty *p* (mean score), the
corrected point-biserial discrimination *r_pb* (question score vs. total of the other questions)
and the upper–lower 27 % index *D*; per choice option how many students picked it.

Questions (``lms.py`` picks them and computes their keys with torch): GIFT (Moodle's text format)
and a QTI 1.2 package for Canvas (``<assignment>-qti.zip``, see ``qti.py``) hold the ``single``,
``multiple``, ``numeric`` and ``predict`` questions; ``code`` and ``fix-loop`` have no LMS
equivalent and are listed as skipped (a comment in each file).
"""

from __future__ import annotations

import csv
import io
import json
import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from lrcourse.grading.gradebook import GradeRow
from lrcourse.grading.lms import (
    assignment_questions,
    numeric_answer,
    predict_answer,
    skipped_questions,
)
from lrcourse.grading.manifest import Manifest, variant_question
from lrcourse.grading.qti import qti_file_name, qti_package
from lrcourse.quiz.check import predict_key
from lrcourse.quiz.model import (
    MultipleChoice,
    Numeric,
    Predict,
    QuestionModel,
    SingleChoice,
)


def _totals(rows: Sequence[GradeRow]) -> dict[str, float]:
    totals: dict[str, float] = {}
    for row in rows:
        totals[row.student] = totals.get(row.student, 0.0) + row.score * row.points
    return totals


def canvas_csv(manifest: Manifest, rows: Sequence[GradeRow]) -> str:
    """Return the Canvas gradebook import CSV of ``manifest``'s assignment."""
    possible = sum(slot.points for slot in manifest.slots)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", manifest.assignment]
    )
    writer.writerow(["Points Possible", "", "", "", "", f"{possible:g}"])
    for student, total in sorted(_totals(rows).items()):
        writer.writerow([student, "", student, student, "", f"{total:.4g}"])
    return out.getvalue()


def moodle_csv(manifest: Manifest, rows: Sequence[GradeRow]) -> str:
    """Return the Moodle grade import CSV of ``manifest``'s assignment."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["Username", manifest.assignment])
    for student, total in sorted(_totals(rows).items()):
        writer.writerow([student, f"{total:.4g}"])
    return out.getvalue()


def feedback_markdown(
    manifest: Manifest,
    student: str,
    rows: Sequence[GradeRow],
    questions: dict[str, QuestionModel],
) -> str:
    """Return one student's feedback: per question right/wrong, why, the hint and the solution."""
    mine = {row.question_id: row for row in rows if row.student == student}
    total = sum(r.score * r.points for r in mine.values())
    possible = sum(slot.points for slot in manifest.slots)
    lines = [
        f"# {manifest.assignment}: feedback for {student}",
        "",
        f"Score: {total:g} / {possible:g}",
    ]
    for number, slot in enumerate(manifest.slots, start=1):
        row = mine.get(slot.question_id)
        question = questions.get(slot.question_id)
        lines += ["", f"## Question {number} · `{slot.question_id}`", ""]
        if row is None:
            lines.append("Not graded yet.")
            continue
        verdict = "right" if row.score >= 1 else ("partly right" if row.score > 0 else "wrong")
        lines.append(f"**{verdict}** ({row.score * row.points:g} / {row.points:g})")
        # The reason is the feedback's first line when grading produced feedback: say it once.
        if row.reason and row.reason != "wrong" and not row.feedback.startswith(row.reason):
            lines += ["", f"Why: {row.reason}"]
        if row.feedback and row.feedback != row.reason:
            lines += ["", row.feedback]
        if question is None or question.type == "flashcard":
            continue
        if manifest.variants:
            question = variant_question(question, manifest.seed, student)
        lines += ["", f"*Hint:* {question.hint}", "", "*Solution:*"]
        lines += [f"{i}. {step}" for i, step in enumerate(question.solution, start=1)]
        if isinstance(question, Predict):
            lines += ["", "torch prints:", "```", predict_key(question).rstrip("\n"), "```"]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class ItemStats:
    """Classical item statistics of one question."""

    question_id: str
    students: int
    difficulty: float  # p: mean score in [0, 1]
    point_biserial: float | None  # corrected r_pb; None when undefined (no variance)
    upper_lower: float | None  # D = p(upper 27 %) - p(lower 27 %)
    option_counts: dict[str, int]


def _pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    if len(xs) < 2 or statistics.pvariance(xs) == 0 or statistics.pvariance(ys) == 0:
        return None
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    cov = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    return cov / math.sqrt(sum((x - mx) ** 2 for x in xs) * sum((y - my) ** 2 for y in ys))


def item_analysis(manifest: Manifest, rows: Sequence[GradeRow]) -> list[ItemStats]:
    """Return difficulty, discrimination and option counts for every question of the assignment."""
    scores: dict[str, dict[str, float]] = defaultdict(dict)
    answers: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        scores[row.student][row.question_id] = row.score
        if row.status == "graded":  # an answer that was read; not an untouched template
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
        "",
        "| question | students | p | r_pb | D | options picked |",
        "|---|---|---|---|---|---|",
    ]
    for s in stats:
        picked = ", ".join(f"`{k}`: {n}" for k, n in s.option_counts.items()) or "—"
        lines.append(
            f"| `{s.question_id}` | {s.students} | {s.difficulty:.2f} | {_fmt(s.point_biserial)} "
            f"| {_fmt(s.upper_lower)} | {picked} |"
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
            right = len(q.answers)
            wrong = max(1, len(q.options) - right)
            body = [
                f"~%{100 / right:.5g}%{_gift(o.text)}#{_gift(o.feedback)}"
                if o.key in q.answers
                else f"~%-{100 / wrong:.5g}%{_gift(o.text)}#{_gift(o.feedback)}"
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
    manifest: Manifest, rows: Sequence[GradeRow], questions: dict[str, QuestionModel], out: Path
) -> list[Path]:
    """Write every export of one assignment under ``out``; return the files written."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "feedback").mkdir(exist_ok=True)
    exported = assignment_questions(manifest, questions)
    written = {
        out / "grades-canvas.csv": canvas_csv(manifest, rows),
        out / "grades-moodle.csv": moodle_csv(manifest, rows),
        out / "item-analysis.md": item_analysis_markdown(manifest, item_analysis(manifest, rows)),
        out / "questions.gift": gift_questions(exported),
    }
    for student in sorted({row.student for row in rows}):
        written[out / "feedback" / f"{student}.md"] = feedback_markdown(
            manifest, student, rows, questions
        )
    for path, text in written.items():
        path.write_text(text, encoding="utf-8")
    package = out / qti_file_name(manifest)
    package.write_bytes(qti_package(manifest, exported))
    return sorted([*written, package])
