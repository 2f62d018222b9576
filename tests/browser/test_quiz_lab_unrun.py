"""In real JupyterLab, before its cell runs, a stored quiz is a line asking to run the cell: no
dead quiz (a Check that does nothing), no solution one click away, no key in the page.

The notebook holds exactly what an executed ``show_quiz`` cell stores (its output bundle).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import nbformat
import pytest

from lrcourse import show_quiz
from lrcourse.quiz.bank import find_bank
from lrcourse.quiz.check import numeric_key, predict_key
from tests.browser.jupyterlab_server import KERNELSPEC, run_all_cells, running_jupyterlab

# JupyterLab starts a server (about 20 s) before these run: CI runs them (make test-all too).
pytestmark = pytest.mark.slow

BANK = "learning-rate"


@pytest.fixture(scope="module")
def lab(tmp_path_factory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("lab-unrun")
    work = root / "work"
    work.mkdir()
    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(f'import lrcourse\nlrcourse.show_quiz("{BANK}")')
    cell.outputs = [
        nbformat.v4.new_output(
            "display_data", data=show_quiz(BANK)._repr_mimebundle_(), metadata={}
        )
    ]
    cell.execution_count = 1
    notebook.cells = [cell]
    notebook.metadata["kernelspec"] = dict(KERNELSPEC)
    nbformat.write(notebook, work / "quiz.ipynb")  # outputs kept (write_notebook clears them)
    extra_env = {"LRCOURSE_PROGRESS_FILE_DIR": str(root / "progress")}
    with running_jupyterlab(work, root / "state", extra_env) as url:
        yield f"{url}/lab/tree/quiz.ipynb"


def _keys() -> list[str]:
    loaded = find_bank(BANK)
    keys = [repr(numeric_key(q)) for q in loaded.bank.questions if q.type == "numeric"]
    keys += [predict_key(q).strip() for q in loaded.bank.questions if q.type == "predict"]
    return [key for key in keys if len(key) >= 3]  # a key like "0.05" is specific enough


def test_a_stored_quiz_is_inert_until_its_cell_runs(page, lab):
    tab, requests = page
    tab.set_default_timeout(120_000)
    tab.goto(lab)
    output = tab.locator(".jp-OutputArea-output").first
    output.wait_for()
    text = output.inner_text()
    assert text.startswith("Quiz: ") and "Run this cell" in text
    assert tab.locator(".lrquiz, .lrquiz-check, .lrquiz-solution, .lrquiz-reveal").count() == 0
    notebook_html = tab.locator(".jp-Notebook").inner_html()
    assert not [key for key in _keys() if key in notebook_html]

    run_all_cells(tab)
    check = tab.locator("button.widget-button", has_text="Check").first
    check.wait_for()  # the live widget replaces the line
    assert "Run this cell" not in tab.locator(".jp-OutputArea-output").first.inner_text()
    assert requests.external() == [], f"requests left 127.0.0.1: {requests.external()}"


def test_the_stored_bundle_holds_no_key():
    stored = json.dumps(show_quiz(BANK)._repr_mimebundle_())
    assert not [key for key in _keys() if key in stored]
