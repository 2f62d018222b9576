"""The static book's quiz: accessible HTML graded in the reader's browser by ``static/quiz.js``.

Choice, numeric and predict questions get real ``<input>``/``<textarea>`` controls with labels, a
Check ``<button>`` and an ``aria-live`` feedback region; ``quiz.js`` (shipped with the site,
registered in ``_config.yml``) grades them with the same rules as ``check.py``. Code and
fix-the-loop questions show the task, the starter, how to run the check in JupyterLab and the
reference solution inside the worked solution. The hint comes first (a ``<details>``, so it works
with the keyboard and without JavaScript); the worked solution stays ``hidden`` until an attempt.

What the browser grades against travels in a ``<script type="application/json"
class="lrquiz-self-check">`` block beside each practice question: keys computed from torch
(``check.predict_key`` / ``numeric_key``), never typed. This is a practice quiz; graded work is
released from ``PublicQuestion`` only (see ``quizzes/SCHEMA.md``).
"""

from __future__ import annotations

import html
import json
import re
from collections import Counter
from typing import Any

from markdown_it import MarkdownIt

from lrcourse.quiz.model import (
    Code,
    Explain,
    FixLoop,
    Flashcard,
    MultipleChoice,
    Numeric,
    Predict,
    QuestionModel,
    SingleChoice,
)
from lrcourse.quiz.result import Result

_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable("table")  # ch7 Q6 has a table
_RENDERED: Counter[str] = Counter()
GRADED_IN_BROWSER = ("single", "multiple", "numeric", "predict")
#: Every question type but the flashcard: each has a prompt, hint and worked solution.
Solved = SingleChoice | MultipleChoice | Numeric | Predict | Code | FixLoop | Explain


def render_markdown(text: str, *, inline: bool = False) -> str:
    """Return ``text`` (Markdown, raw HTML disabled) as HTML; ``inline`` drops the ``<p>``."""
    if inline:
        return _MARKDOWN.renderInline(text)
    return _MARKDOWN.render(text)


#: "Right. Right: the update…" (a verdict, then an option's feedback saying it again) reads once.
_REPEATED_VERDICT = re.compile(r"^(?P<word>[A-Z][a-z]+(?: [a-z]+)?)\. (?=(?P=word)\b)")


def result_html(result: Result) -> str:
    """Return one feedback line: the mark (✓ ◐ ✗, as the book shows), then the feedback once."""
    mark = "✓" if result.correct else ("◐" if result.score > 0 else "✗")
    lines = "".join(f"<li>{render_markdown(line, inline=True)}</li>" for line in result.details)
    details = f"<ul>{lines}</ul>" if lines else ""
    feedback = _REPEATED_VERDICT.sub("", result.feedback)
    return (
        f"<div class='lrquiz-result'><b>{mark}</b> "
        f"{render_markdown(feedback, inline=True)}{details}</div>"
    )


def check_call(question_id: str) -> str:
    """Return the exact line a learner runs to check ``question_id`` (the widget and book show it)."""
    return f'lrcourse.check("{question_id}")'


def _dom_id(question_id: str) -> str:
    """Return a unique, stable DOM id for a question (a repeat on a page gets a suffix)."""
    base = "lrq-" + re.sub(r"[^a-z0-9-]", "-", question_id)
    _RENDERED[base] += 1
    count = _RENDERED[base]
    return base if count == 1 else f"{base}-{count}"


def _code(code: str) -> str:
    return f'<pre class="lrquiz-code"><code>{html.escape(code.rstrip())}</code></pre>'


def _json_script(data: dict[str, Any]) -> str:
    text = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    return f'<script type="application/json" class="lrquiz-self-check">{text}</script>'


def _controls(
    q: SingleChoice | MultipleChoice | Numeric | Predict, dom: str
) -> tuple[str, dict[str, Any]]:
    """Return the answer controls and what the browser grades against."""
    # Here, not at the top: check imports torch, which render_markdown's callers (the QTI
    # export) do not need.
    from lrcourse.quiz.check import numeric_key, predict_key

    if isinstance(q, (SingleChoice, MultipleChoice)):
        kind = "radio" if q.type == "single" else "checkbox"
        legend = "Choose one" if q.type == "single" else "Select all that apply"
        labels = "".join(
            f'<label class="lrquiz-option"><input type="{kind}" name="{dom}-choice" '
            f'value="{html.escape(o.key)}"> {render_markdown(o.text, inline=True)}</label>'
            for o in q.options
        )
        key: dict[str, Any] = {
            "feedback": {o.key: render_markdown(o.feedback, inline=True) for o in q.options}
        }
        key["answers"] = [q.answer] if isinstance(q, SingleChoice) else list(q.answers)
        return f"<fieldset><legend>{legend}</legend>{labels}</fieldset>", key
    if isinstance(q, Numeric):
        unit = f" ({html.escape(q.unit)})" if q.unit else ""
        control = (
            f'<label for="{dom}-input">Your answer{unit}</label> '
            f'<input type="text" inputmode="decimal" id="{dom}-input" class="lrquiz-input" '
            f'autocomplete="off" placeholder="e.g. 0.05">'
        )
        return control, {
            "key": numeric_key(q),
            "abs": q.tolerance.abs,
            "rel": q.tolerance.rel,
        }
    control = (
        f'<label for="{dom}-input">What does it print?</label>'
        f'<textarea id="{dom}-input" class="lrquiz-input" rows="3" spellcheck="false"></textarea>'
    )
    return control, {"output": predict_key(q)}


def _solution(q: Solved) -> str:
    """Return the worked solution, ``hidden`` until the learner has tried (``quiz.js`` opens it).

    A question graded in the browser unlocks it on the first non-blank Check; any other question
    gets a "Show the solution" button, so a solution never sits in view before an attempt.
    """
    steps = "".join(f"<li>{render_markdown(s, inline=True)}</li>" for s in q.solution)
    mistakes = "".join(f"<li>{render_markdown(m, inline=True)}</li>" for m in q.mistakes)
    reference = (
        f"<p>Reference solution:</p>{_code(q.reference)}" if isinstance(q, (Code, FixLoop)) else ""
    )
    reveal = (
        ""
        if q.type in GRADED_IN_BROWSER or q.type == "explain"  # explain: Compare opens it
        else '<button type="button" class="lrquiz-reveal">I have tried: show the solution</button>'
    )
    return (
        f'{reveal}<details class="lrquiz-solution" hidden><summary>Worked solution</summary>'
        f"<ol>{steps}</ol>{reference}<p>Common mistakes:</p><ul>{mistakes}</ul></details>"
    )


def _lab(q: Code | FixLoop) -> str:
    call = html.escape(f'lrcourse.show_question("{q.id}")')
    what = (
        "checked against torch: " + ", ".join(sorted({c.kind.replace("_", " ") for c in q.checks}))
        if isinstance(q, Code)
        else f"run against a recording optimizer and {html.escape(q.scheduler)} that reports "
        "each step-timing mistake"
    )
    check = html.escape(check_call(q.id))
    return (
        f"<p>Starter (define <code>{html.escape(q.entry)}</code>):</p>{_code(q.starter)}"
        f'<p class="lrquiz-run">To check your answer, open this chapter in JupyterLab and run '
        f"<code>{call}</code>; write <code>{html.escape(q.entry)}</code> in a code cell, run "
        f"it, then run <code>{check}</code>: your code is {what}.</p>"
    )


def question_html(q: QuestionModel, number: int) -> str:
    """Return one question's ``<section>``."""
    dom = _dom_id(q.id)
    title = f"{dom}-title"
    meta = f"{q.difficulty} · {', '.join(q.topics)}"
    # The chapter section to review (optional): quiz.js's end-of-quiz summary links it.
    anchor = None if isinstance(q, Flashcard) else q.section  # flashcards are not in a quiz
    section = f' data-section="{html.escape(anchor)}"' if anchor else ""
    head = (
        f'<section class="lrquiz-q" id="{dom}" data-qid="{html.escape(q.id)}" '
        f'data-type="{q.type}" aria-labelledby="{title}"{section}>'
        f'<h4 id="{title}">Question {number} <span class="lrquiz-meta">{html.escape(meta)}</span>'
        "</h4>"
    )
    if isinstance(q, Flashcard):
        body = (
            f'<details class="lrquiz-card"><summary>{render_markdown(q.front, inline=True)}'
            f"</summary>{render_markdown(q.back)}</details>"
        )
        return head + body + "</section>"
    body = f'<div class="lrquiz-prompt">{render_markdown(q.prompt)}</div>'
    shown = q.public().shown_code
    if shown and q.type not in ("code", "fix-loop"):
        body += _code(shown)
    if isinstance(q, (SingleChoice, MultipleChoice, Numeric, Predict)):
        controls, key = _controls(q, dom)
        body += (
            f'<div class="lrquiz-controls">{controls}</div>'
            '<button type="button" class="lrquiz-check">Check</button>'
            '<div class="lrquiz-feedback" role="status" aria-live="polite"></div>'
            + _json_script({"type": q.type, **key})
        )
    elif isinstance(q, Explain):
        items = "".join(f"<li>{render_markdown(item, inline=True)}</li>" for item in q.checklist)
        # The checklist is the model answer: hidden until the learner has written something
        # and asks to compare (quiz.js); the text is kept in this browser across reloads.
        body += (
            f'<label for="{dom}-input">Your explanation (saved in this browser)</label>'
            f'<textarea id="{dom}-input" class="lrquiz-input" rows="4"></textarea>'
            '<button type="button" class="lrquiz-compare">Compare with the model answer</button>'
            '<div class="lrquiz-feedback" role="status" aria-live="polite"></div>'
            f'<div class="lrquiz-checklist" hidden><p>A full answer covers:</p><ul>{items}</ul>'
            "</div>"
        )
    else:
        body += _lab(q)
    hint = render_markdown(q.hint)
    body += f'<details class="lrquiz-hint"><summary>Hint</summary>{hint}</details>' + _solution(q)
    return head + body + "</section>"


def quiz_html(title: str, questions: list[QuestionModel], bank_stem: str) -> str:
    """Return the kernel-free quiz: every question plus a running score ``quiz.js`` updates."""
    graded = sum(q.type in GRADED_IN_BROWSER for q in questions)
    sections = "".join(question_html(q, i + 1) for i, q in enumerate(questions))
    return (
        f'<div class="lrquiz" data-bank="{html.escape(bank_stem)}">'
        f'<h3 class="lrquiz-title">Quiz: {html.escape(title)}</h3>'
        f'<p class="lrquiz-score" role="status" aria-live="polite" data-graded="{graded}">'
        f"{graded} questions are graded in your browser; code questions run in JupyterLab. "
        "Your answers stay in this browser.</p>"
        f"{sections}"
        '<button type="button" class="lrquiz-reset" hidden>Reset this quiz</button></div>'
    )
