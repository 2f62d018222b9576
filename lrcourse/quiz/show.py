"""``show_quiz``, ``show_question`` and ``progress``: widgets in JupyterLab, HTML in the book."""

from __future__ import annotations

import html
import json

import ipywidgets as widgets

from lrcourse.display.dual_view import BookPart, DualView
from lrcourse.quiz.bank import LoadedBank, bank_paths, find_bank, find_question, load_bank
from lrcourse.quiz.html import GRADED_IN_BROWSER, question_html, quiz_html
from lrcourse.quiz.progress import ChapterProgress, Progress, chapter_progress, progress_dir
from lrcourse.quiz.widget import QuestionWidget, QuizWidget


def show_quiz(name: str) -> BookPart:
    """Return chapter ``name``'s quiz (a slug like ``"learning-rate"`` or ``"01-learning-rate"``).

    In JupyterLab: answer, check, hint, solution and a running score; answers are saved to
    ``$LRCOURSE_PROGRESS_FILE_DIR/<bank>.json`` (default ``~/.lrcourse/progress``) and restored
    when the notebook is reopened. In the static book: the same questions graded by ``quiz.js``.
    The notebook stores no quiz: only the bank's name and a line asking to run the cell (see
    :class:`~lrcourse.display.dual_view.BookPart` and :func:`book_part_html`).
    """
    loaded = find_bank(name)
    questions = list(loaded.bank.questions)
    widget = QuizWidget(loaded.bank.title, questions, Progress.load(loaded.stem))
    data = {"part": "quiz", "bank": loaded.stem, "questions": [q.id for q in questions]}
    text = f"Quiz: {loaded.bank.title}. Run this cell to take it here (answers are checked live)."
    return BookPart(widget.box, data, text, book_part_html)


def show_question(question_id: str) -> BookPart:
    """Return one question by id (e.g. ``"steplr.after-three-steps"``), from any chapter's bank."""
    loaded, question = find_question(question_id)
    widget = QuestionWidget(question, 1, Progress.load(loaded.stem))
    data = {"part": "question", "bank": loaded.stem, "questions": [question.id]}
    text = f"Question {question.id}. Run this cell to answer it here (answers are checked live)."
    return BookPart(widget.box, data, text, book_part_html)


def book_part_html(data: dict[str, object]) -> str:
    """Return the book's HTML for a stored :class:`BookPart` (``book/_ext/book_parts.py`` calls it).

    The keys ``quiz.js`` grades against are computed here, from the bank and torch, when the book
    is built: they are in the built page, never in the notebook.
    """
    part, bank, ids = data.get("part"), data.get("bank"), data.get("questions")
    if part not in ("quiz", "question") or not isinstance(bank, str) or not isinstance(ids, list):
        raise ValueError(f"not a stored quiz part: {data!r}")
    loaded = find_bank(bank)
    by_id = {q.id: q for q in loaded.bank.questions}
    missing = [qid for qid in ids if qid not in by_id]
    if missing:
        raise ValueError(f"bank {bank} has no question {', '.join(map(str, missing))}")
    questions = [by_id[qid] for qid in ids]
    if part == "quiz":
        return quiz_html(loaded.bank.title, questions, loaded.stem)
    return f'<div class="lrquiz" data-bank="{loaded.stem}">{question_html(questions[0], 1)}</div>'


#: Question types the book's flashcards page shows as cards (``content.flashcards.review_cards``).
REVIEWED_AS_CARDS = ("flashcard", "explain")


def _lab_table(rows: list[ChapterProgress]) -> str:
    body = "".join(
        f"<tr><th scope='row'>{row.chapter}. {html.escape(row.title)}</th>"
        f"<td>{row.answered} of {row.questions}</td><td>{row.score:g} / {row.questions}</td>"
        f"<td>{row.known} of {row.flashcards}</td></tr>"
        for row in rows
    )
    return (
        "<table class='lrc-progress'><caption>Your progress (saved in "
        f"<code>{html.escape(str(progress_dir()))}</code>)</caption><thead><tr>"
        "<th scope='col'>Chapter</th><th scope='col'>Questions answered</th>"
        "<th scope='col'>Score</th><th scope='col'>Flashcards known</th></tr></thead>"
        f"<tbody>{body}</tbody></table>"
        "<p>To carry this progress to the book's progress page or another machine, and back: "
        '<code>lrcourse.export_progress("lrcourse-progress.json")</code> and '
        '<code>lrcourse.import_progress("lrcourse-progress.json")</code>.</p>'
    )


def _book_dashboard(banks: list[LoadedBank]) -> str:
    """Return the book's dashboard: one row per chapter that ``progress.js`` fills from localStorage."""
    rows = []
    for loaded in banks:
        bank = loaded.bank
        graded_ids = [q.id for q in bank.questions if q.type in GRADED_IN_BROWSER]
        lab_ids = [q.id for q in bank.questions if q.type in ("code", "fix-loop")]
        graded, in_lab = len(graded_ids), len(lab_ids)
        # The book's flashcards page deals every flashcard and explain question as a card.
        cards = [q.id for q in bank.questions if q.type in REVIEWED_AS_CARDS]

        def ids(values: list[str]) -> str:
            return html.escape(json.dumps(values), quote=True)

        rows.append(
            f'<tr data-bank="{html.escape(loaded.stem)}" data-graded="{graded}" '
            f'data-ids="{ids(graded_ids)}" data-lab="{in_lab}" data-lab-ids="{ids(lab_ids)}" '
            f'data-cards="{ids(cards)}">'
            f'<th scope="row">{bank.chapter}. {html.escape(bank.title)}</th>'
            f'<td data-field="answered">0 of {graded}</td><td data-field="score">0 / {graded}</td>'
            f'<td data-field="known">0 of {len(cards)}</td>'
            f'<td data-field="lab">0 of {in_lab}</td></tr>'
        )
    return (
        '<div class="lrc-dashboard"><div class="lrc-continue-home" hidden></div>'
        "<table><caption>Your progress in this browser</caption>"
        '<thead><tr><th scope="col">Chapter</th><th scope="col">Questions answered here</th>'
        '<th scope="col">Score</th><th scope="col">Flashcards known</th>'
        '<th scope="col">Code questions (JupyterLab)</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
        '<p class="lrc-dashboard-total" role="status"></p>'
        "<p>Code questions are checked in JupyterLab (<code>make lab</code>, then the chapter's "
        "<code>lrcourse.show_quiz</code> cell); their progress is saved there. To carry progress "
        "either way, export it here and run <code>lrcourse.import_progress(FILE)</code> in the "
        "Lab, or <code>lrcourse.export_progress(FILE)</code> there and import it here: per "
        "question the better answer (then the newer) is kept, and you confirm before anything "
        "saved is replaced.</p>"
        '<div class="lrc-dashboard-actions" hidden>'
        '<button type="button" class="lrc-dashboard-export">Export progress (JSON file)</button>'
        '<label class="lrc-dashboard-import">Import progress from a file '
        '<input type="file" accept="application/json,.json"></label>'
        '<div class="lrc-dashboard-preview" hidden><ul></ul>'
        '<button type="button" class="lrc-dashboard-apply">Apply the import</button>'
        '<button type="button" class="lrc-dashboard-cancel">Cancel</button></div>'
        '<button type="button" class="lrc-dashboard-reset">'
        "Forget every answer and flashcard mark in this browser</button>"
        '<button type="button" class="lrc-dashboard-undo" hidden>Undo: bring them back</button>'
        '<p class="lrc-dashboard-message" role="status" aria-live="polite"></p></div></div>'
    )


def progress() -> DualView:
    """Return the course dashboard: each chapter's questions answered, score and flashcards known.

    In JupyterLab: read from the progress files the quizzes save (``$LRCOURSE_PROGRESS_FILE_DIR``,
    default ``~/.lrcourse/progress``). In the static book: a table that ``progress.js`` fills from
    what the book's quizzes and flashcards saved in this browser.
    """
    banks = [load_bank(path) for path in bank_paths()]
    rows = [
        chapter_progress(
            loaded.stem,
            loaded.bank.chapter,
            loaded.bank.title,
            {q.id: q.type == "flashcard" for q in loaded.bank.questions},
        )
        for loaded in banks
    ]
    return DualView(widgets.HTML(_lab_table(rows)), _book_dashboard(banks))
