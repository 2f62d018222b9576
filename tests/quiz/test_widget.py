"""The JupyterLab quiz widget grades, saves progress, and restores it; the book twin carries keys from torch."""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace

import IPython
import ipywidgets as widgets
import pytest
import torch

import lrcourse
from lrcourse import show_question, show_quiz
from lrcourse.quiz.bank import find_bank
from lrcourse.quiz.progress import Progress
from lrcourse.quiz.widget import QuizWidget


@pytest.fixture
def progress_dir(tmp_path, monkeypatch):
    folder = tmp_path / "progress"
    monkeypatch.setenv("LRCOURSE_PROGRESS_FILE_DIR", str(folder))
    return folder


def question_widget(quiz: QuizWidget, question_id: str):
    return next(q for q in quiz.questions if q.question.id == question_id)


def test_answering_grades_saves_and_updates_the_running_score(progress_dir):
    loaded = find_bank("learning-rate")
    quiz = QuizWidget(loaded.bank.title, loaded.bank.questions, Progress.load(loaded.stem))
    single = question_widget(quiz, "lr-basics.where-lr-is-applied")
    single.radio.value = "step"
    result = single.submit()
    assert result.correct and "<b>✓</b> Right: <code>step()</code>" in single.feedback.value
    assert single.feedback.value.count("Right") == 1  # one feedback line, the verdict said once
    numeric = question_widget(quiz, "lr-basics.one-sgd-step")
    numeric.text.value = "2.4"
    assert not numeric.submit().correct
    assert "Score: 1 / 12" in quiz.score.value and "answered 2 of 12" in quiz.score.value
    saved = json.loads((progress_dir / "01-learning-rate.json").read_text())
    assert saved["answers"]["lr-basics.where-lr-is-applied"]["answer"] == "step"
    assert saved["answers"]["lr-basics.one-sgd-step"]["score"] == 0


def test_reopening_restores_answers_feedback_and_score(progress_dir):
    first = show_quiz("01-learning-rate")
    del first
    loaded = find_bank("learning-rate")
    quiz = QuizWidget(loaded.bank.title, loaded.bank.questions, Progress.load(loaded.stem))
    predict = question_widget(quiz, "steplr.after-three-steps")
    predict.text.value = "0.05"
    predict.submit()
    predict.submit()
    reopened = QuizWidget(loaded.bank.title, loaded.bank.questions, Progress.load(loaded.stem))
    again = question_widget(reopened, "steplr.after-three-steps")
    assert again.text.value == "0.05"
    assert "restored: 2 attempt(s)" in again.feedback.value
    assert "Score: 1 / 12" in reopened.score.value
    assert not again.solution_button.disabled


def test_hint_and_solution_on_request(progress_dir):
    view = show_question("lr-basics.halve-every-scheduler")
    assert "HalveEvery" in view.static_html
    loaded = find_bank("custom-schedulers")
    quiz = QuizWidget("t", loaded.bank.questions, Progress.load(loaded.stem))
    code = question_widget(quiz, "lr-basics.halve-every-scheduler")
    assert code.solution_button.disabled
    code.show_hint()
    assert "base_lrs" in code.extra.value
    code.show_solution()
    assert "Common mistakes" in code.extra.value and "0.5 ** (self.last_epoch" in code.extra.value


def test_an_unreadable_progress_file_is_kept_aside_not_lost(progress_dir):
    progress_dir.mkdir(parents=True)
    (progress_dir / "01-learning-rate.json").write_text("{not json")
    progress = Progress.load("01-learning-rate")
    assert progress.answers == {}
    assert (progress_dir / "01-learning-rate.unreadable-1.json").read_text() == "{not json"


def self_checks(html: str) -> dict[str, dict]:
    found = {}
    for section in re.findall(r'<section class="lrquiz-q".*?</section>', html, re.S):
        qid = re.search(r'data-qid="([^"]+)"', section)[1]
        key = re.search(r'class="lrquiz-self-check">(.*?)</script>', section, re.S)
        if key:
            found[qid] = json.loads(key[1])
    return found


def test_book_twin_keys_come_from_torch(progress_dir):
    html = show_quiz("learning-rate").static_html
    keys = self_checks(html)
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    for _ in range(3):
        optimizer.step()
        scheduler.step()
    assert keys["steplr.after-three-steps"]["output"].strip() == str(scheduler.get_last_lr()[0])
    w = torch.nn.Parameter(torch.tensor(2.0, dtype=torch.float64))
    sgd = torch.optim.SGD([w], lr=0.1)
    (w**2).backward()
    sgd.step()
    assert keys["lr-basics.one-sgd-step"]["key"] == pytest.approx(w.item())
    assert set(keys) == {
        "lr-basics.where-lr-is-applied",
        "lr-basics.lr-lives-in-param-groups",
        "lr-basics.one-sgd-step",
        "lr-basics.two-sgd-steps",
        "lr-basics.which-rate-diverges",
        "lr-basics.rate-regimes",
        "lr-basics.param-groups-two-rates",
        "steplr.after-three-steps",
    }


def test_book_twin_is_accessible_markup(progress_dir):
    html = show_quiz("learning-rate").static_html
    # one per browser-graded question, one per explain question (its Compare), one for the score
    assert html.count('aria-live="polite"') == 8 + 1 + 1
    for input_id in re.findall(r'<(?:input|textarea) [^>]*id="([^"]+)"', html):
        assert f'<label for="{input_id}">' in html
    assert html.count('<button type="button" class="lrquiz-check">Check</button>') == 8
    assert "<script src" not in html and "http" not in html
    assert html.count("<p>Reference solution:</p>") == 2  # 1 code + 1 fix-loop
    assert "lrcourse.show_question(&quot;lr-basics.fix-step-order&quot;)" in html
    assert "lrcourse.check(&quot;lr-basics.fix-step-order&quot;)" in html


@pytest.fixture
def cells(monkeypatch) -> list[str]:
    """A fake IPython shell whose ``In`` (cell sources in run order) the test appends to."""
    history: list[str] = [""]
    shell = SimpleNamespace(user_ns={"In": history})
    monkeypatch.setattr(IPython, "get_ipython", lambda: shell)
    return history


def test_a_code_question_is_answered_in_a_code_cell_not_a_text_box(progress_dir, cells):
    loaded = find_bank("learning-rate")
    quiz = QuizWidget(loaded.bank.title, loaded.bank.questions, Progress.load(loaded.stem))
    lab = question_widget(quiz, "lr-basics.weight-after-steps")
    assert not hasattr(lab, "text")  # no textarea: the answer lives in a real cell
    assert 'lrcourse.check("lr-basics.weight-after-steps")' in lab.call.value
    assert "def weight_after(w0, curvature, lr, steps):" in lab.call.value  # the starter
    assert lab.submit() is None  # no cell defines weight_after yet: a message, not an attempt
    assert "no cell you ran defines weight_after" in lab.feedback.value
    assert lab.solution_button.disabled and not (progress_dir / "01-learning-rate.json").exists()


def test_a_fix_loop_answer_is_run_out_of_process_and_reported_in_the_widget(progress_dir, cells):
    loaded = find_bank("learning-rate")
    quiz = QuizWidget(loaded.bank.title, loaded.bank.questions, Progress.load(loaded.stem))
    lab = question_widget(quiz, "lr-basics.fix-step-order")
    cells.append(lab.question.starter)  # the learner ran the starter's cell; Check grades it
    assert not lab.submit().correct
    assert "scheduler-before-optimizer" in lab.feedback.value
    cells.append(lab.question.reference)
    assert lab.submit().correct
    assert "12 <code>optimizer.step()</code>" in lab.feedback.value
    saved = Progress.load(loaded.stem).answers["lr-basics.fix-step-order"]
    assert saved.answer == lab.question.reference and saved.attempts == 2
    reopened = QuizWidget(loaded.bank.title, loaded.bank.questions, Progress.load(loaded.stem))
    assert "restored: 2 attempt(s)" in question_widget(reopened, lab.question.id).feedback.value


def test_multiple_choice_options_show_their_markdown_as_html_not_backticks(progress_dir):
    loaded = find_bank("learning-rate")
    quiz = QuizWidget(loaded.bank.title, loaded.bank.questions, Progress.load(loaded.stem))
    multiple = question_widget(quiz, "lr-basics.rate-regimes")
    assert all(isinstance(box, widgets.Checkbox) for box in multiple.boxes.values())
    labels = [box.description for box in multiple.boxes.values()]
    assert all(box.description_allow_html for box in multiple.boxes.values())
    assert any("<code>w[1]</code>" in label for label in labels)
    assert not any("`" in label for label in labels)


def test_a_single_choice_is_a_radio_group_labelled_without_backticks(progress_dir):
    loaded = find_bank("learning-rate")
    quiz = QuizWidget(loaded.bank.title, loaded.bank.questions, Progress.load(loaded.stem))
    single = question_widget(quiz, "lr-basics.where-lr-is-applied")
    assert isinstance(single.radio, widgets.RadioButtons) and single.radio.value is None
    labels = [label for label, _ in single.radio.options]
    assert "optimizer.step()" in labels  # written `optimizer.step()` in the bank
    assert not any("`" in label or "<" in label for label in labels)
    first, second = [key for _, key in single.radio.options][:2]
    single.radio.value = first
    single.radio.value = second
    assert single.answer() == second


def test_a_blank_answer_is_not_counted_or_saved_and_keeps_the_solution_shut(progress_dir):
    loaded = find_bank("learning-rate")
    quiz = QuizWidget(loaded.bank.title, loaded.bank.questions, Progress.load(loaded.stem))
    predict = question_widget(quiz, "steplr.after-three-steps")
    predict.text.value = "   "
    assert predict.submit() is None
    assert "Type an answer first" in predict.feedback.value
    assert predict.solution_button.disabled
    assert "answered 0 of 12" in quiz.score.value
    assert not (progress_dir / "01-learning-rate.json").exists()


def test_progress_view_counts_answers_score_and_known_flashcards(progress_dir):
    loaded = find_bank("learning-rate")
    quiz = QuizWidget(loaded.bank.title, loaded.bank.questions, Progress.load(loaded.stem))
    question_widget(quiz, "lr-basics.where-lr-is-applied").submit("step")
    question_widget(quiz, "lr-basics.one-sgd-step").submit("2.4")
    card = next(q for q in quiz.questions if q.question.type == "flashcard")
    card.submit(True)
    view = lrcourse.progress()
    lab = view.widget.value
    graded_in_lab = sum(q.type != "flashcard" for q in loaded.bank.questions)
    cards = sum(q.type == "flashcard" for q in loaded.bank.questions)
    row = re.search(r"1\. The learning rate</th>(.*?)</tr>", lab)[1]
    assert row == f"<td>2 of {graded_in_lab}</td><td>1 / {graded_in_lab}</td><td>1 of {cards}</td>"
    book = view.static_html
    assert 'data-bank="01-learning-rate" data-graded="8"' in book
    assert book.count("<tr data-bank=") == len(
        list((Path(lrcourse.__file__).parents[1] / "quizzes").glob("0*.yaml"))
    )


def test_a_format_slip_is_a_message_not_an_attempt(progress_dir):
    loaded = find_bank("learning-rate")
    quiz = QuizWidget(loaded.bank.title, loaded.bank.questions, Progress.load(loaded.stem))
    numeric = question_widget(quiz, "lr-basics.one-sgd-step")
    predict = question_widget(quiz, "steplr.after-three-steps")
    for widget, typed, message in [
        (numeric, "1,6", "Write decimals with a dot"),
        (numeric, "lr = 1.6", "Type only the value"),
        (numeric, "1 - 0.001", "Work the value out"),
        (predict, "lr = 0.025", "Type only the value"),
        (predict, "0,025", "Write decimals with a dot"),
    ]:
        widget.text.value = typed
        assert widget.submit() is None, typed
        assert message in widget.feedback.value and "✗" not in widget.feedback.value
        assert widget.solution_button.disabled, typed  # the solution stays shut
    assert "answered 0 of 12" in quiz.score.value
    assert not (progress_dir / "01-learning-rate.json").exists()  # nothing saved
    numeric.text.value = "2.4"  # a well-formed wrong answer is an attempt (the key is 1.6)
    assert numeric.submit().score == 0 and not numeric.solution_button.disabled
    assert "answered 1 of 12" in quiz.score.value


def test_an_explain_question_shows_its_checklist_only_after_the_learner_writes(progress_dir):
    loaded = find_bank("learning-rate")
    quiz = QuizWidget(loaded.bank.title, loaded.bank.questions, Progress.load(loaded.stem))
    explain = question_widget(quiz, "lr-basics.why-schedule")
    assert explain.checklist.layout.display == "none"
    assert explain.submit() is None and "Write your explanation first" in explain.feedback.value
    assert explain.checklist.layout.display == "none" and explain.solution_button.disabled
    explain.text.value = "A large rate moves fast early; a small one settles late."
    assert explain.submit() is None  # the first Compare opens the checklist, grades nothing
    assert explain.checklist.layout.display != "none" and "answered 0 of" in quiz.score.value
    next(iter(explain.boxes.values())).value = True
    assert explain.submit() is not None and not explain.solution_button.disabled
    reopened = QuizWidget(loaded.bank.title, loaded.bank.questions, Progress.load(loaded.stem))
    assert question_widget(reopened, "lr-basics.why-schedule").checklist.layout.display != "none"


def test_a_typed_explanation_is_saved_when_compared_and_restored_on_reopen(progress_dir):
    loaded = find_bank("learning-rate")
    quiz = QuizWidget(loaded.bank.title, loaded.bank.questions, Progress.load(loaded.stem))
    explain = question_widget(quiz, "lr-basics.why-schedule")
    explain.text.value = "Typed, not yet compared."
    reopened = QuizWidget(loaded.bank.title, loaded.bank.questions, Progress.load(loaded.stem))
    assert question_widget(reopened, "lr-basics.why-schedule").text.value == ""  # not submitted
    first = "Early on a large rate makes progress; later it bounces, so it is lowered."
    explain.text.value = first
    assert explain.submit() is None  # Compare: the text is saved, nothing graded yet
    reopened = QuizWidget(loaded.bank.title, loaded.bank.questions, Progress.load(loaded.stem))
    again = question_widget(reopened, "lr-basics.why-schedule")
    assert again.text.value == first and again.checklist.layout.display != "none"
    assert "answered 0 of" in reopened.score.value
    # edited and checked with a tick in the reopened widget: the newer text wins
    again.text.value = first + " Noise sets the floor."
    next(iter(again.boxes.values())).value = True
    assert again.submit() is not None
    saved = json.loads((progress_dir / f"{loaded.stem}.json").read_text())
    assert saved["explanations"]["lr-basics.why-schedule"]["text"].endswith("Noise sets the floor.")
    third = QuizWidget(loaded.bank.title, loaded.bank.questions, Progress.load(loaded.stem))
    restored = question_widget(third, "lr-basics.why-schedule")
    assert restored.text.value == first + " Noise sets the floor."
    assert restored.answer() == [0] and not restored.solution_button.disabled


def test_the_notebook_stores_no_quiz_and_no_answer_only_what_to_draw():
    from lrcourse.display.dual_view import BOOK_PART_MIME
    from lrcourse.quiz.check import numeric_key

    view = show_quiz("learning-rate")
    bundle = view._repr_mimebundle_()
    assert "text/html" not in bundle  # JupyterLab shows text/plain until the cell runs
    assert bundle["text/plain"].startswith("Quiz: ") and "Run this cell" in bundle["text/plain"]
    loaded = find_bank("learning-rate")
    assert bundle[BOOK_PART_MIME] == {
        "part": "quiz",
        "bank": loaded.stem,
        "questions": [q.id for q in loaded.bank.questions],
    }
    stored = json.dumps(bundle)
    numeric = next(q for q in loaded.bank.questions if q.type == "numeric")
    assert repr(numeric_key(numeric)) not in stored and "lrquiz-self-check" not in stored
    assert "lrquiz-self-check" in view.static_html  # the book's build draws the graded quiz
    assert repr(numeric_key(numeric)) in view.static_html
