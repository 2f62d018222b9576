"""In real JupyterLab: answer one quiz question through the widget, see the grade, find it saved.

The server comes from ``jupyterlab_server.running_jupyterlab``; the learner's progress file goes
to a temporary folder the test reads back.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from tests.browser.jupyterlab_server import write_notebook

QUESTION = "lr-basics.where-lr-is-applied"


@pytest.fixture(scope="module")
def lab(jupyterlab) -> tuple[str, Path]:
    """Put one quiz notebook in a folder of the session's JupyterLab; return (its url, progress dir)."""
    work = jupyterlab.folder("quiz")
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell(f'import lrcourse\nlrcourse.show_question("{QUESTION}")')
    ]
    write_notebook(work / "quiz.ipynb", notebook)
    return f"{jupyterlab.url}/lab/tree/quiz/quiz.ipynb", jupyterlab.progress


def test_answering_a_question_in_jupyterlab_grades_and_saves_it(page, lab):
    tab, requests = page
    url, progress = lab
    tab.set_default_timeout(120_000)
    tab.goto(url)
    tab.wait_for_function("window.jupyterapp && window.jupyterapp.shell.currentWidget")
    tab.wait_for_function(
        "window.jupyterapp.shell.currentWidget.sessionContext?.session?.kernel?.status === 'idle'"
    )
    tab.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    option = tab.get_by_label("optimizer.step()", exact=True)  # Markdown rendered, no backticks
    option.check()
    tab.locator("button.widget-button", has_text="Check").click()
    feedback = tab.locator(".lrquiz-result")
    feedback.wait_for()
    assert feedback.inner_text().startswith("✓ Right")
    assert feedback.inner_text().count("Right") == 1  # one feedback line

    wrong = tab.get_by_label("loss.backward()", exact=True)
    wrong.check()
    tab.locator("button.widget-button", has_text="Check").click()
    tab.wait_for_function(
        "document.querySelector('.lrquiz-result')?.innerText.includes('Not quite')"
    )
    saved = json.loads((progress / "01-learning-rate.json").read_text())
    answer = saved["answers"][QUESTION]
    assert answer["answer"] == "backward" and answer["attempts"] == 2 and answer["score"] == 0
    assert requests.external() == [], f"requests left 127.0.0.1: {requests.external()}"
