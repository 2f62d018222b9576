"""The JupyterLab quiz: ipywidgets with answer inputs, grading on click, hint, solution, score.

:class:`QuizWidget` shows a bank (or one question); each :class:`QuestionWidget` grades with
``check.check_answer`` and saves to :class:`~lrcourse.quiz.progress.Progress`, so reopening the
notebook restores every answer, its feedback and the running score, and the text of each
explanation as it was last submitted.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from typing import Any

import ipywidgets as widgets

from lrcourse.quiz.cell_check import find_source
from lrcourse.quiz.check import check_answer, predict_key
from lrcourse.quiz.errors import QuizAnswerError
from lrcourse.quiz.html import check_call, render_markdown, result_html
from lrcourse.quiz.model import Code, FixLoop, Flashcard, Predict, QuestionModel
from lrcourse.quiz.parse import format_problem, is_blank
from lrcourse.quiz.progress import Progress
from lrcourse.quiz.result import Result

#: JupyterLab does not load the book's quiz.css; this one rule makes code boxes monospace.
STYLE = "<style>.lrquiz-mono textarea, .lrquiz-mono input {font-family: monospace;}</style>"


def _wide() -> widgets.Layout:
    return widgets.Layout(width="100%")


def _mono(widget: widgets.Widget) -> widgets.Widget:
    widget.add_class("lrquiz-mono")
    return widget


def _plain(markdown: str) -> str:
    """Return inline Markdown as the plain text it shows (code spans keep their text)."""
    return html.unescape(re.sub(r"<[^>]+>", "", render_markdown(markdown, inline=True))).strip()


def _code_html(code: str) -> str:
    return f"<pre class='lrquiz-code'><code>{html.escape(code)}</code></pre>"


class _Options:
    """Tick boxes labelled with their rendered Markdown (code spans, emphasis): any number ticked.

    Multiple-choice options and an explain question's checklist. A Checkbox's label may be HTML
    (``description_allow_html``) and stays the box's accessible name; single-choice questions use
    radio buttons instead (one pick, announced as such).
    """

    def __init__(self, options: Sequence[tuple[str, str]]) -> None:
        self.boxes = {
            key: widgets.Checkbox(
                value=False,
                indent=False,
                description=render_markdown(text, inline=True),
                description_allow_html=True,
                layout=_wide(),
            )
            for key, text in options
        }
        self.box = widgets.VBox(list(self.boxes.values()), layout=_wide())


class QuestionWidget:
    """One question: its input, Check / Hint / Solution buttons and feedback."""

    def __init__(
        self,
        question: QuestionModel,
        number: int,
        progress: Progress,
        on_change: Callable[[], None] = lambda: None,
    ) -> None:
        self.question, self.progress, self._on_change = question, progress, on_change
        public = question.public()
        self.feedback = widgets.HTML()
        self.extra = widgets.HTML()
        self.check_button = widgets.Button(description="Check", button_style="primary")
        self.hint_button = widgets.Button(description="Hint")
        self.solution_button = widgets.Button(description="Solution", disabled=True)
        self.check_button.on_click(lambda _: self.submit())
        self.hint_button.on_click(lambda _: self.show_hint())
        self.solution_button.on_click(lambda _: self.show_solution())
        header = (
            f"<div class='lrquiz-head'><b>Question {number}</b> · {public.difficulty} · "
            f"{', '.join(public.topics)}</div>{render_markdown(public.prompt)}"
        )
        parts: list[widgets.Widget] = [widgets.HTML(STYLE + header)]
        if public.shown_code and question.type not in ("code", "fix-loop"):
            parts.append(widgets.HTML(_code_html(public.shown_code)))
        self.input = self._make_input()
        parts.append(self.input)
        buttons = [self.check_button, self.hint_button, self.solution_button]
        if question.type == "flashcard":
            buttons = self._flashcard_buttons()
        parts += [widgets.HBox(buttons), self.feedback, self.extra]
        self.box = widgets.VBox(
            parts, layout=widgets.Layout(border="1px solid #ddd", padding="6px")
        )
        self._restore()

    def _make_input(self) -> widgets.Widget:
        q = self.question
        if q.type == "single":
            # Radio buttons: one pick, announced as a radio group. Their labels are plain text
            # (ipywidgets draws no HTML there): the option's Markdown rendered, tags dropped, so
            # `ExponentialLR` reads ExponentialLR, never with its backticks.
            self.radio = widgets.RadioButtons(
                options=[(_plain(o.text), o.key) for o in q.options],
                value=None,
                layout=_wide(),
            )
            return self.radio
        if q.type == "multiple":
            choices = _Options([(o.key, o.text) for o in q.options])
            self.boxes = choices.boxes
            return choices.box
        if q.type == "numeric":
            self.text = widgets.Text(placeholder="a number, e.g. 0.05", description=q.unit or "")
            return self.text
        if q.type == "predict":
            self.text = _mono(
                widgets.Textarea(placeholder="what it prints", layout=_wide(), rows=3)
            )
            return self.text
        if isinstance(q, (Code, FixLoop)):
            # The answer is written in a real code cell (highlighting, Tab, completion), not
            # here: Check grades the latest cell run that defines the entry, as the call does.
            call = check_call(q.id)
            self.call = widgets.HTML(
                f"<p>Write your answer in a code cell below: copy the starter, define "
                f"<code>{html.escape(q.entry)}</code> and run the cell. Then press Check, or run "
                f"<code>{html.escape(call, quote=False)}</code> in a cell of its own.</p>"
                + _code_html(q.starter)
            )
            return self.call
        if q.type == "explain":
            self.text = widgets.Textarea(placeholder="your explanation", layout=_wide(), rows=4)
            checklist = _Options([(str(i), item) for i, item in enumerate(q.checklist)])
            self.boxes = checklist.boxes
            # The checklist is the model answer: it opens once the learner has written (submit).
            note = widgets.HTML("Now tick what your explanation covers:")
            self.checklist = widgets.VBox(
                [note, checklist.box], layout=widgets.Layout(display="none")
            )
            self.check_button.description = "Compare"
            return widgets.VBox([self.text, self.checklist])
        self.card_back = widgets.HTML()
        return self.card_back

    def _flashcard_buttons(self) -> list[widgets.Widget]:
        turn = widgets.Button(description="Turn card")
        knew = widgets.Button(description="I knew it", button_style="success", disabled=True)
        not_yet = widgets.Button(description="Not yet", disabled=True)

        card = self.question
        if not isinstance(card, Flashcard):
            raise TypeError(f"question {card.id} is a {card.type} question, not a flashcard")

        def turn_card(_: Any) -> None:
            self.card_back.value = render_markdown(card.back)
            knew.disabled = not_yet.disabled = False

        turn.on_click(turn_card)
        knew.on_click(lambda _: self.submit(True))
        not_yet.on_click(lambda _: self.submit(False))
        return [turn, knew, not_yet]

    def answer(self) -> Any:
        """Return the answer currently entered, in the shape ``check_answer`` takes."""
        q = self.question
        if q.type == "single":
            return self.radio.value
        if q.type == "multiple":
            return [key for key, box in self.boxes.items() if box.value]
        if q.type == "explain":
            return [int(key) for key, box in self.boxes.items() if box.value]
        if isinstance(q, (Code, FixLoop)):
            # The button runs after its cell finished: the last cell run may be the answer.
            return find_source(q.entry, running_cell=False).source  # or QuizAnswerError
        return self.text.value

    def set_answer(self, answer: Any) -> None:
        """Put ``answer`` back into the input (restoring saved progress)."""
        q = self.question
        if q.type == "single":
            self.radio.value = answer if answer in [o.key for o in q.options] else None
            return
        if q.type == "multiple":
            for key, box in self.boxes.items():
                box.value = key in (answer or [])
        elif q.type == "explain":
            for key, box in self.boxes.items():
                box.value = int(key) in (answer or [])
        elif q.type not in ("flashcard", "code", "fix-loop"):  # code lives in the learner's cell
            self.text.value = str(answer)

    def submit(self, answer: Any = None) -> Result | None:
        """Grade ``answer`` (default: what is entered), show the feedback, save it; return it."""
        if self.question.type == "explain" and self.checklist.layout.display == "none":
            if not self.text.value.strip():
                self.feedback.value = (
                    "<i>Write your explanation first: the checklist opens then.</i>"
                )
                return None
            self.open_checklist()
            self.progress.record_explanation(self.question.id, self.text.value)
            self.feedback.value = "<i>Tick what your explanation covers, then Check.</i>"
            return None
        if answer is None:
            try:
                answer = self.answer()
            except QuizAnswerError as error:
                self.feedback.value = f"<i class='lrquiz-message'>{html.escape(str(error))}</i>"
                return None
        if is_blank(answer) and self.question.type != "explain":
            # A blank answer is not an attempt: not graded, not saved, the solution stays shut.
            choose = self.question.type in ("single", "multiple")
            self.feedback.value = (
                f"<i>{'Pick an option' if choose else 'Type an answer'} first.</i>"
            )
            return None
        slip = self.format_problem(answer)
        if slip is not None:
            # A format slip (1,6 · lr = 1.6 · 1 - 0.001) is a message, not an attempt: not
            # graded, not saved, the solution stays shut (the book's quiz.js does the same).
            self.feedback.value = f"<i class='lrquiz-message'>{html.escape(slip)}</i>"
            return None
        self.feedback.value = "<i>checking…</i>"
        try:
            result = check_answer(self.question, answer)
        except QuizAnswerError as error:
            self.feedback.value = f"<span class='lrquiz-error'>{html.escape(str(error))}</span>"
            return None
        self.feedback.value = result_html(result)
        self.solution_button.disabled = False
        if self.question.type == "explain" and self.text.value.strip():
            self.progress.record_explanation(self.question.id, self.text.value)
        saved = answer if not isinstance(answer, set) else sorted(answer)
        self.progress.record(self.question.id, saved, result.score, result.correct, result.text())
        self._on_change()
        return result

    def format_problem(self, answer: Any) -> str | None:
        """Return the message for a typed answer not in the form asked (see ``format_problem``)."""
        q = self.question
        if not isinstance(answer, str) or q.type not in ("numeric", "predict"):
            return None
        expected = predict_key(q) if isinstance(q, Predict) else None
        return format_problem(q.type, answer, expected)

    def open_checklist(self) -> None:
        """Show an explain question's checklist (after the learner has written)."""
        self.checklist.layout.display = None
        self.check_button.description = "Check"

    def show_hint(self) -> None:
        """Show the hint."""
        self.extra.value = f"<b>Hint.</b> {render_markdown(getattr(self.question, 'hint', ''))}"

    def show_solution(self) -> None:
        """Show the worked solution and the common mistakes (and the reference code)."""
        q = self.question
        if q.type == "flashcard":
            return
        steps = "".join(f"<li>{render_markdown(s, inline=True)}</li>" for s in q.solution)
        mistakes = "".join(f"<li>{render_markdown(m, inline=True)}</li>" for m in q.mistakes)
        reference = _code_html(q.reference) if q.type in ("code", "fix-loop") else ""
        self.extra.value = (
            f"<b>Solution</b><ol>{steps}</ol>{reference}<b>Common mistakes</b><ul>{mistakes}</ul>"
        )

    def _restore(self) -> None:
        written = self.progress.explanations.get(self.question.id)
        if self.question.type == "explain" and written is not None and written.text.strip():
            # The text as last submitted (or typed in the book); the checklist opens again only
            # if it was opened then.
            self.text.value = written.text
            if written.compared:
                self.open_checklist()
        saved = self.progress.answers.get(self.question.id)
        if saved is None:
            return
        self.set_answer(saved.answer)
        if self.question.type == "explain":
            self.open_checklist()
        result = Result(saved.score, saved.correct, saved.feedback)
        self.feedback.value = result_html(result) + (
            f"<i>(restored: {saved.attempts} attempt(s) so far)</i>"
        )
        self.solution_button.disabled = False


class QuizWidget:
    """A list of questions with a running score saved to the learner's progress file."""

    def __init__(self, title: str, questions: Sequence[QuestionModel], progress: Progress) -> None:
        self.progress = progress
        self.score = widgets.HTML()
        self.questions = [
            QuestionWidget(q, i + 1, progress, self._update) for i, q in enumerate(questions)
        ]
        heading = widgets.HTML(f"{STYLE}<h3>{html.escape(title)}</h3>")
        self.box = widgets.VBox([heading, self.score, *(q.box for q in self.questions)])
        self._update()

    def _update(self) -> None:
        ids = {q.question.id for q in self.questions}
        answered = [a for qid, a in self.progress.answers.items() if qid in ids]
        total = sum(a.score for a in answered)
        self.score.value = (
            f"<div class='lrquiz-score' role='status'>Score: {total:g} / {len(ids)} · "
            f"answered {len(answered)} of {len(ids)} · saved to <code>"
            f"{html.escape(str(self.progress.path))}</code></div>"
        )
