"""``lrcourse.check``: a code answer written in a real notebook cell is graded as the widget grades it.

The learner's cell comes from IPython's input history (``In``); these tests give the call a fake
shell whose ``In`` is a list of cell sources, the current cell last, as IPython keeps it.
"""

from __future__ import annotations

import json
import textwrap
from types import SimpleNamespace

import IPython
import pytest

import lrcourse
from lrcourse.quiz.bank import find_question
from lrcourse.quiz.cell_check import find_source
from lrcourse.quiz.errors import QuizAnswerError, QuizBankError
from lrcourse.quiz.progress import Progress
from lrcourse.quiz.widget import QuestionWidget

CODE = "lr-basics.weight-after-steps"
LOOP = "lr-basics.fix-step-order"
CHECK = f'lrcourse.check("{CODE}")'


@pytest.fixture
def progress_dir(tmp_path, monkeypatch):
    folder = tmp_path / "progress"
    monkeypatch.setenv("LRCOURSE_PROGRESS_FILE_DIR", str(folder))
    return folder


@pytest.fixture
def cells(monkeypatch) -> list[str]:
    """A fake IPython shell; append cell sources to the returned list as the learner runs them."""
    history: list[str] = [""]  # IPython's In[0] is empty
    shell = SimpleNamespace(user_ns={"In": history})
    monkeypatch.setattr(IPython, "get_ipython", lambda: shell)
    return history


def reference(question_id: str) -> str:
    return find_question(question_id)[1].reference


def test_the_latest_cell_that_defines_the_entry_is_graded_not_the_check_cell():
    old = "def weight_after(w0, curvature, lr, steps):\n    return w0\n"
    new = "import math\n\ndef weight_after(w0, curvature, lr, steps):\n    return 0.0\n"
    history = ["", old, "x = 1", new, "print(x)", CHECK]
    found = find_source("weight_after", history=history)
    assert (found.source, found.origin) == (new, "In[3]")


def test_a_button_callback_may_grade_the_last_cell_run():
    cell = "def weight_after(w0, curvature, lr, steps):\n    return w0\n"
    assert find_source("weight_after", history=["", cell], running_cell=False).origin == "In[1]"
    with pytest.raises(QuizAnswerError, match="in a cell of its own"):
        find_source("weight_after", history=["", cell])  # there, In[1] runs the check itself


def test_a_newer_cell_that_does_not_parse_is_graded_not_an_older_good_one():
    good = reference(CODE)
    broken = "def weight_after(w0, curvature, lr, steps)\n    return w0\n"  # no colon
    found = find_source("weight_after", history=["", good, broken, CHECK])
    assert found.source == broken


def test_a_cell_that_defines_the_entry_and_runs_the_check_is_refused():
    both = reference(CODE) + "\n" + CHECK
    with pytest.raises(QuizAnswerError, match="in a cell of its own"):
        find_source("weight_after", history=["", reference(CODE), both])
    with pytest.raises(QuizAnswerError, match="in a cell of its own"):
        find_source("weight_after", history=["", both])


def test_no_defining_cell_and_no_shell_is_one_clear_message(monkeypatch):
    monkeypatch.setattr(IPython, "get_ipython", lambda: None)
    with pytest.raises(QuizAnswerError, match="no cell you ran defines weight_after"):
        find_source("weight_after")


def test_an_object_must_be_the_entry_and_without_history_its_source_is_used(monkeypatch):
    monkeypatch.setattr(IPython, "get_ipython", lambda: None)

    def weight_after(w0, curvature, lr, steps):
        return w0

    found = find_source("weight_after", weight_after)
    assert found.source.lstrip().startswith("def weight_after(")
    with pytest.raises(QuizAnswerError, match="asks for weight_after; you passed print"):
        find_source("weight_after", print)


def test_check_grades_the_cell_above_shows_the_widget_result_and_saves_it(progress_dir, cells):
    cells += [reference(CODE), CHECK]
    checked = lrcourse.check(CODE)
    assert checked.result.correct and checked.origin == "In[1]"
    shown = checked._repr_html_()
    assert "<div class='lrquiz-result'><b>✓</b>" in shown and "In[1]" in shown

    starter = find_question(CODE)[1].starter
    cells += [starter, CHECK]
    again = lrcourse.check(CODE)
    assert not again.result.correct and again.origin == "In[3]"
    assert "<b>✗</b>" in again._repr_html_()

    saved = json.loads((progress_dir / "01-learning-rate.json").read_text())["answers"][CODE]
    assert saved["attempts"] == 2 and saved["score"] == 0 and saved["answer"] == starter


def test_check_grades_a_fix_the_loop_cell_with_the_recorders(progress_dir, cells):
    cells += [reference(LOOP), f'lrcourse.check("{LOOP}")']
    checked = lrcourse.check(LOOP)
    assert checked.result.correct, checked.result.text()


def test_check_takes_the_source_text_outside_a_notebook(progress_dir, monkeypatch):
    monkeypatch.setattr(IPython, "get_ipython", lambda: None)
    source = textwrap.dedent(reference(CODE))
    assert lrcourse.check(CODE, source).origin == "the source you passed"


def test_a_question_that_is_not_code_names_the_call_that_answers_it(progress_dir):
    with pytest.raises(QuizAnswerError, match=r'show_question\("lr-basics.one-sgd-step"\)'):
        lrcourse.check("lr-basics.one-sgd-step")
    with pytest.raises(QuizBankError, match=r"no question with id 'lr-basics\.no-such-question'"):
        lrcourse.check("lr-basics.no-such-question")


def test_the_widget_and_the_call_add_up_their_attempts_in_one_file(progress_dir, cells):
    """A widget loaded before a check call must not overwrite what the call saved."""
    loaded, question = find_question(CODE)
    widget = QuestionWidget(question, 1, Progress.load(loaded.stem))  # shown first, empty
    cells += [reference(CODE), CHECK]
    assert lrcourse.check(CODE).result.correct  # attempt 1, saved by the call
    cells.append("print('a later cell')")
    assert widget.submit().correct  # the widget's Check grades In[1] again: attempt 2
    saved = json.loads((progress_dir / "01-learning-rate.json").read_text())["answers"][CODE]
    assert saved["attempts"] == 2 and saved["answer"] == reference(CODE)
