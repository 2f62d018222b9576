"""``show_quiz`` and ``show_question``: a chapter's quiz as a widget in JupyterLab, HTML in the book."""

from __future__ import annotations

from lrcourse.display.dual_view import DualView
from lrcourse.quiz.bank import find_bank, find_question
from lrcourse.quiz.html import question_html, quiz_html
from lrcourse.quiz.progress import Progress
from lrcourse.quiz.widget import QuestionWidget, QuizWidget


def show_quiz(name: str) -> DualView:
    """Return chapter ``name``'s quiz (a slug like ``"learning-rate"`` or ``"01-learning-rate"``).

    In JupyterLab: answer, check, hint, solution and a running score; answers are saved to
    ``$LRCOURSE_PROGRESS_FILE_DIR/<bank>.json`` (default ``~/.lrcourse/progress``) and restored
    when the notebook is reopened. In the static book: the same questions graded by ``quiz.js``.
    """
    loaded = find_bank(name)
    questions = list(loaded.bank.questions)
    widget = QuizWidget(loaded.bank.title, questions, Progress.load(loaded.stem))
    return DualView(widget.box, quiz_html(loaded.bank.title, questions, loaded.stem))


def show_question(question_id: str) -> DualView:
    """Return one question by id (e.g. ``"steplr.after-three-steps"``), from any chapter's bank."""
    loaded, question = find_question(question_id)
    widget = QuestionWidget(question, 1, Progress.load(loaded.stem))
    html = f'<div class="lrquiz" data-bank="{loaded.stem}">{question_html(question, 1)}</div>'
    return DualView(widget.box, html)
