"""Feedback a student learns from: their answer, the right one, why, the hint and the solution.

Per question: the question as the student saw it (its prompt and snippet, their own variant's),
the verdict and points, what the student wrote (for a choice, the option's text too), the
correct answer (the right options' text, the number or printed output torch computes for this
student's own copy of the question), why (the option's feedback or the failing check, said
once), a reviewer's comment, then the hint and the worked solution. The same content comes as
Markdown (:func:`feedback_markdown`) and as one self-contained HTML page with its style inline
(:func:`feedback_html`): no link, image or request out, whatever the text holds.

What a student, a run or a class list wrote (answers, messages, names, comments) is inert text
(:mod:`lrcourse.grading.inert`): answers sit in code spans or fences, everything else is escaped
Markdown on one line per line, so no such text can add a heading, a score line, a link or an
image to the page.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence

from markdown_it import MarkdownIt

from lrcourse.grading.gradebook import GradeRow, totals
from lrcourse.grading.inert import markdown_text
from lrcourse.grading.keycache import numeric_key, predict_key
from lrcourse.grading.manifest import Manifest, variant_question
from lrcourse.quiz.model import (
    Explain,
    MultipleChoice,
    Numeric,
    Predict,
    QuestionModel,
    SingleChoice,
)

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;"
    "line-height:1.5;color:#1b1b1b}pre{background:#f4f4f4;padding:.6rem;overflow-x:auto}"
    "code{font-family:ui-monospace,monospace}h2{border-top:1px solid #ddd;padding-top:1rem}"
)


#: The feedback pages' renderer: CommonMark without raw HTML, links or images (nothing points out).
_PAGE_MARKDOWN = MarkdownIt("commonmark", {"html": False}).disable(["link", "image", "autolink"])


def _inert_block(label: str, text: str) -> list[str]:
    """Return ``label`` and untrusted ``text``: one escaped line, or several in a code fence.

    A fenced block shows a message's lines as quoted output, set apart from the page's own
    lines, so a line of it reading "Score: 100 / 1" cannot pass for the page's.
    """
    lines = [line for line in text.strip().splitlines() if line.strip()]
    if len(lines) <= 1:
        return [f"{label}{markdown_text(text.strip())}"]
    return [label.rstrip(), *_fence("\n".join(lines))]


def _fence(text: str) -> list[str]:
    body = text.rstrip("\n") or "(empty)"
    ticks = "```"
    while ticks in body:
        ticks += "`"
    return [ticks, body, ticks]


def _their_answer(row: GradeRow, question: QuestionModel | None) -> list[str]:
    if isinstance(question, SingleChoice | MultipleChoice):
        try:
            picked = json.loads(row.answer) if isinstance(question, MultipleChoice) else row.answer
        except ValueError:
            picked = row.answer
        keys = picked if isinstance(picked, list) else [picked]
        texts = {o.key: o.text for o in question.options}
        if keys and all(isinstance(k, str) and k in texts for k in keys):
            return ["Your answer:", *(f"- `{k}`: {texts[k]}" for k in keys)]
    return _inline_or_fenced("Your answer:", row.answer)


def _inline_or_fenced(label: str, text: str) -> list[str]:
    """Return ``label`` and a short one-line ``text`` as inline code, anything longer fenced."""
    one_line = text.strip()
    if one_line and "\n" not in one_line and "`" not in one_line and len(one_line) <= 80:
        return [f"{label} `{one_line}`"]
    return [label, *_fence(text)]


def right_answer_lines(question: QuestionModel) -> list[str]:
    """Return the Markdown lines a feedback page shows as the right answer (a rubric for explain)."""
    if isinstance(question, SingleChoice):
        option = next(o for o in question.options if o.key == question.answer)
        return [f"Correct answer: `{option.key}`: {option.text}"]
    if isinstance(question, MultipleChoice):
        right = [o for o in question.options if o.key in question.answers]
        return ["Correct answer:", *(f"- `{o.key}`: {o.text}" for o in right)]
    if isinstance(question, Numeric):
        unit = f" {question.unit}" if question.unit else ""
        return [f"Correct answer: {numeric_key(question):.6g}{unit}"]
    if isinstance(question, Predict):
        return _inline_or_fenced("Correct answer (what torch prints):", predict_key(question))
    if isinstance(question, Explain):
        return ["A full answer covers:", *(f"- {item}" for item in question.checklist)]
    return []


def _why(row: GradeRow) -> list[str]:
    """Return the reason and the feedback, each said once (neither is dropped when equal)."""
    parts = []
    if row.feedback.strip():
        parts.append(row.feedback.strip())
    reason = row.reason.strip()
    if reason and reason != "wrong" and not any(reason in p for p in parts):
        parts.insert(0, reason)
    if not parts:
        return []
    lines = ["", *_inert_block("Why: ", parts[0])]
    for part in parts[1:]:
        lines += ["", *_inert_block("", part)]
    return lines


def _question_text(question: QuestionModel) -> list[str]:
    """Return the question as the student saw it: the prompt, and the snippet it shows."""
    public = question.public()
    lines = [public.prompt.strip()]
    if public.shown_code and public.type not in ("code", "fix-loop"):
        lines += ["", *_fence(public.shown_code)]
    return ["", *lines]


def feedback_markdown(
    manifest: Manifest,
    student: str,
    rows: Sequence[GradeRow],
    questions: dict[str, QuestionModel],
) -> str:
    """Return one student's feedback as Markdown (see the module docstring for what it holds)."""
    mine = {row.question_id: row for row in rows if row.student == student}
    total = totals(mine.values()).get(student, 0.0)
    name = markdown_text(manifest.display_name(student))
    lines = [
        f"# {manifest.assignment}: feedback for {name}",
        "",
        f"Score: {total:g} / {manifest.possible():g}",
    ]
    late_note = next((r.late_note for r in mine.values() if r.late_note), "")
    if late_note:
        lines += ["", f"Late: {markdown_text(late_note)}."]
    for number, slot in enumerate(manifest.slots, start=1):
        row = mine.get(slot.question_id)
        question = questions.get(slot.question_id)
        lines += ["", f"## Question {number} · `{slot.question_id}`"]
        if question is not None and manifest.variants:
            question = variant_question(question, manifest.seed, student)
        if question is not None and question.type != "flashcard":
            lines += _question_text(question)
        lines.append("")
        if row is None:
            lines.append("Not graded yet.")
            continue
        if row.status == "needs-review" and row.machine_score is None:
            verdict = "waiting for a person"
        else:
            verdict = "right" if row.score >= 1 else ("partly right" if row.score > 0 else "wrong")
        lines.append(f"**{verdict}** ({row.score * row.points:g} / {row.points:g})")
        lines += ["", *_their_answer(row, question)]
        if question is not None and question.type != "flashcard":
            lines += ["", *right_answer_lines(question)]
        lines += _why(row) if row.machine_score is None else []
        if row.reviewer:
            label = f"Reviewed by {markdown_text(row.reviewer)}: "
            lines += ["", *_inert_block(label, row.comment or "(no comment)")]
        if question is None or question.type == "flashcard":
            continue
        lines += ["", f"*Hint:* {question.hint}", "", "*Solution:*"]
        lines += [f"{i}. {step}" for i, step in enumerate(question.solution, start=1)]
    return "\n".join(lines) + "\n"


def feedback_html(markdown_text: str, title: str) -> str:
    """Return the feedback Markdown as one self-contained HTML page (style inline, no links out).

    Raw HTML, links and images are not rendered at all: the page makes no request and points
    nowhere, whatever text reached it.
    """
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>\n<body>\n"
        f"{_PAGE_MARKDOWN.render(markdown_text)}</body></html>\n"
    )
