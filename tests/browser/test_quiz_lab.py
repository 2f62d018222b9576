"""In real JupyterLab: answer one quiz question through the widget, see the grade, find it saved.

A minimal JupyterLab fixture lives here (a server on 127.0.0.1 with a random token, its Jupyter
directories in a temporary folder, stopped by its process id after the module). No shared
JupyterLab fixture existed in tests/browser/ when this was written.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

QUESTION = "lr-basics.where-lr-is-applied"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """Start JupyterLab on 127.0.0.1 over a folder holding one quiz notebook; yield (url, progress dir)."""
    root = tmp_path_factory.mktemp("lab")
    progress = root / "progress"
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell(f'import lrcourse\nlrcourse.show_question("{QUESTION}")')
    ]
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    nbformat.write(notebook, root / "quiz.ipynb")
    token, port = secrets.token_hex(16), _free_port()
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(root / ".jupyter" / "config"),
        "JUPYTER_RUNTIME_DIR": str(root / ".jupyter" / "runtime"),
        "IPYTHONDIR": str(root / ".ipython"),
        "LRCOURSE_PROGRESS_FILE_DIR": str(progress),
        "MPLBACKEND": "Agg",
    }
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
        "--LabApp.expose_app_in_browser=True", "--ServerApp.open_browser=False",
        "--LabApp.extension_manager=readonly", "--LabApp.news_url=",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]  # fmt: skip
    if os.geteuid() == 0:
        command.append("--allow-root")
    base = f"http://127.0.0.1:{port}"
    with open(root / "lab.log", "wb") as log:
        server = subprocess.Popen(command, env=env, stdout=log, stderr=log, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(
                        f"JupyterLab did not start: {(root / 'lab.log').read_text()[-2000:]}"
                    )
                time.sleep(0.5)
        yield f"{base}/lab/tree/quiz.ipynb?token={token}", progress
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


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
    option = tab.get_by_label("`optimizer.step()`", exact=True)
    option.check()
    tab.locator("button.widget-button", has_text="Check").click()
    feedback = tab.locator(".lrquiz-result")
    feedback.wait_for()
    assert "Right." in feedback.inner_text()
    assert "score 1.00" in feedback.inner_text()

    wrong = tab.get_by_label("`loss.backward()`", exact=True)
    wrong.check()
    tab.locator("button.widget-button", has_text="Check").click()
    tab.wait_for_function(
        "document.querySelector('.lrquiz-result')?.innerText.includes('Not quite')"
    )
    saved = json.loads((progress / "01-learning-rate.json").read_text())
    answer = saved["answers"][QUESTION]
    assert answer["answer"] == "backward" and answer["attempts"] == 2 and answer["score"] == 0
    assert requests.external() == [], f"requests left 127.0.0.1: {requests.external()}"
