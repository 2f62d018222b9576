"""In real JupyterLab: answer one quiz question through the widget, see the grade, find it saved.

The server comes from ``jupyterlab_server.running_jupyterlab``; the learner's progress file goes
to a temporary folder the test reads back.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from lrcourse.quiz.bank import find_question
from tests.browser.jupyterlab_server import write_notebook

# JupyterLab starts a server (about 20 s) before these run: CI runs them (make test-all too).
pytestmark = pytest.mark.slow

QUESTION = "lr-basics.where-lr-is-applied"
CODE_QUESTION = "lr-basics.weight-after-steps"


@pytest.fixture(scope="module")
def lab(jupyterlab) -> tuple[str, Path]:
    """Put one quiz notebook in a folder of the session's JupyterLab; return (its url, progress dir)."""
    work = jupyterlab.folder("quiz")
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell(f'import lrcourse\nlrcourse.show_question("{QUESTION}")')
    ]
    write_notebook(work / "quiz.ipynb", notebook)
    # A code question answered as a learner does: the question, the answer in a real code
    # cell, then the check call in a cell of its own.
    answer = find_question(CODE_QUESTION)[1].reference
    code = nbformat.v4.new_notebook()
    code.cells = [
        nbformat.v4.new_code_cell(f'import lrcourse\nlrcourse.show_question("{CODE_QUESTION}")'),
        nbformat.v4.new_code_cell(answer),
        nbformat.v4.new_code_cell(f'lrcourse.check("{CODE_QUESTION}")'),
    ]
    write_notebook(work / "code.ipynb", code)
    return f"{jupyterlab.url}/lab/tree/quiz/quiz.ipynb", jupyterlab.progress


def test_answering_a_question_in_jupyterlab_grades_and_saves_it(page, lab):
    tab, requests = page
    url, progress = lab
    tab.set_default_timeout(120_000)
    # ?reset: a fresh workspace. Without it JupyterLab restores the notebooks an earlier test of
    # the session opened (chapter 1 holds this very question), and their hidden copies of the
    # widget come first in the page.
    tab.goto(f"{url}?reset")
    tab.wait_for_function(
        "window.jupyterapp?.shell.currentWidget?.context?.path?.endsWith('quiz.ipynb')"
    )
    tab.wait_for_function(
        "window.jupyterapp.shell.currentWidget.sessionContext?.session?.kernel?.status === 'idle'"
    )
    tab.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    notebook = tab.locator(".jp-NotebookPanel:visible")  # the current notebook, no other
    option = notebook.get_by_label("optimizer.step()", exact=True)  # Markdown, no backticks
    option.check()
    notebook.locator("button.widget-button", has_text="Check").click()
    feedback = notebook.locator(".lrquiz-result")
    feedback.wait_for()
    assert feedback.inner_text().startswith("✓ Right")
    assert feedback.inner_text().count("Right") == 1  # one feedback line

    wrong = notebook.get_by_label("loss.backward()", exact=True)
    wrong.check()
    notebook.locator("button.widget-button", has_text="Check").click()
    tab.wait_for_function(
        "document.querySelector('.lrquiz-result')?.innerText.includes('Not quite')"
    )
    saved = json.loads((progress / "01-learning-rate.json").read_text())
    answer = saved["answers"][QUESTION]
    assert answer["answer"] == "backward" and answer["attempts"] == 2 and answer["score"] == 0
    assert requests.external() == [], f"requests left 127.0.0.1: {requests.external()}"


def test_a_code_answer_in_a_real_cell_is_graded_by_the_check_call_and_saved(page, lab):
    tab, requests = page
    url, progress = lab
    tab.set_default_timeout(180_000)
    # ?reset: a fresh workspace, so the first test's notebook is not restored as the current one
    tab.goto(url.replace("quiz.ipynb", "code.ipynb?reset"))
    tab.wait_for_function(
        "window.jupyterapp?.shell.currentWidget?.context?.path?.endsWith('code.ipynb')"
    )
    tab.wait_for_function(
        "window.jupyterapp.shell.currentWidget.sessionContext?.session?.kernel?.status === 'idle'"
    )
    # The widget has no answer box: it shows the starter and the exact call.
    tab.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    tab.get_by_text(f'lrcourse.check("{CODE_QUESTION}")').first.wait_for()
    assert tab.locator(".jp-OutputArea textarea").count() == 0
    # The check's result, or a traceback: either ends the wait, and the assertion shows which.
    tab.locator(
        ".lrquiz-cell-check, .jp-OutputArea-output[data-mime-type*='error']"
    ).first.wait_for()
    outputs = tab.locator(".jp-OutputArea").all_inner_texts()
    checked = tab.locator(".lrquiz-cell-check .lrquiz-result")
    assert checked.count() == 1, outputs
    assert checked.inner_text().startswith("✓"), outputs
    assert "In[2]" in tab.locator(".lrquiz-cell-check").inner_text()  # the answer's cell
    # The widget's own Check grades the same cell (the last one run that defines the entry).
    tab.locator("button.widget-button", has_text="Check").click()
    tab.wait_for_function(
        "document.querySelector('.widget-html .lrquiz-result')?.innerText.startsWith('✓')"
    )
    saved = json.loads((progress / "01-learning-rate.json").read_text())
    answer = saved["answers"][CODE_QUESTION]
    assert answer["correct"] and answer["attempts"] == 2 and "def weight_after" in answer["answer"]
    assert requests.external() == [], f"requests left 127.0.0.1: {requests.external()}"
