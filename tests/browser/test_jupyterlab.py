"""A real JupyterLab on 127.0.0.1, driven by Chromium: run chapter 1, move a slider, see a new figure.

The server runs with no token, no browser, no news or update checks, and every Jupyter directory
under the project's ``.cache/`` (the variables the Makefile exports), on a copy of the chapter in
a temporary folder. It is shut down (kernels included) whatever the test's outcome.
"""

from __future__ import annotations

import json
import os
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

from tests.browser.conftest import ROOT

CHAPTER = ROOT / "notebooks" / "01_learning_rate.ipynb"
START_TIMEOUT_S = 120
RUN_TIMEOUT_MS = 180_000


def _jupyter_env() -> dict[str, str]:
    cache = ROOT / ".cache"
    env = dict(os.environ)
    env.update(
        JUPYTER_CONFIG_DIR=str(cache / "jupyter" / "config"),
        JUPYTER_DATA_DIR=str(cache / "jupyter" / "data"),
        JUPYTER_RUNTIME_DIR=str(cache / "jupyter" / "runtime"),
        JUPYTER_PLATFORM_DIRS="1",
        IPYTHONDIR=str(cache / "ipython"),
        MPLCONFIGDIR=str(cache / "matplotlib"),
        MPLBACKEND="Agg",
        PYTHONHASHSEED="0",
        PYDEVD_DISABLE_FILE_VALIDATION="1",
    )
    return env


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_up(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"JupyterLab exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/api/status", timeout=5) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"JupyterLab did not answer within {START_TIMEOUT_S} s:\n{log.read_text()[-3000:]}")


def _stop(process: subprocess.Popen) -> None:
    """Stop the server and its kernels: SIGTERM to the whole process group, SIGKILL if it lingers."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def _run_all_cells(tab) -> None:
    """Run > Run All Cells once the kernel is idle; retry if the first cell never starts.

    Right after opening, JupyterLab may replace the session's kernel; a run requested during that
    switch is dropped, so the first cell's prompt (``[1]:``) is the proof that cells really ran.
    """
    for _attempt in range(3):
        tab.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").first.wait_for()
        tab.wait_for_timeout(1500)
        tab.locator(".lm-MenuBar-item", has_text="Run").first.click()
        tab.locator(".lm-Menu-item[data-command='runmenu:run-all']").click()
        try:
            tab.locator(".jp-InputPrompt", has_text="[1]:").first.wait_for(timeout=45_000)
            return
        except Exception:
            continue
    pytest.fail("JupyterLab never started running the cells (three Run All attempts)")


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[str]:
    """Start JupyterLab on a copy of chapter 1 and return its base URL (no token)."""
    work = tmp_path / "work"
    work.mkdir()
    notebook = nbformat.read(CHAPTER, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    nbformat.write(notebook, work / CHAPTER.name)
    config = tmp_path / "jupyter_lab_config.json"
    config.write_text(
        json.dumps(
            {
                "LabApp": {
                    "news_url": None,
                    "check_for_updates_class": "jupyterlab.handlers.announcements.NeverCheckForUpdate",
                    "workspaces_dir": str(tmp_path / "workspaces"),
                    "user_settings_dir": str(tmp_path / "settings"),
                }
            }
        )
    )
    # Render every cell (no virtual scrolling, so outputs exist in the DOM) and never ask about news.
    settings = tmp_path / "settings" / "@jupyterlab"
    (settings / "notebook-extension").mkdir(parents=True)
    (settings / "notebook-extension" / "tracker.jupyterlab-settings").write_text(
        json.dumps({"windowingMode": "none"})
    )
    (settings / "apputils-extension").mkdir(parents=True)
    (settings / "apputils-extension" / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    port = _free_port()
    command = [
        str(Path(sys.executable).with_name("jupyter")),
        "lab",
        f"--config={config}",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        "--IdentityProvider.token=",
        "--ServerApp.password=",
        "--ServerApp.open_browser=False",
        "--ServerApp.disable_check_xsrf=True",
        f"--ServerApp.root_dir={work}",
    ]
    if os.geteuid() == 0:
        command.append("--allow-root")
    log = tmp_path / "jupyterlab.log"
    with open(log, "w") as log_file:
        process = subprocess.Popen(
            command,
            cwd=work,
            env=_jupyter_env(),
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, process, log)
        yield url
    finally:
        _stop(process)
    assert process.returncode is not None


def test_jupyterlab_runs_chapter_one_and_a_keyboard_slider_redraws(page, lab, tmp_path):
    tab, requests = page
    tab.set_default_timeout(RUN_TIMEOUT_MS)
    tab.goto(f"{lab}/lab/tree/{CHAPTER.name}?reset", wait_until="domcontentloaded")
    tab.locator(".jp-Notebook").first.wait_for()
    _run_all_cells(tab)

    # chapter 1's StepLR explorer: the live explorer with a step_size slider
    step_lr = (
        tab.locator(".lrc-live-explorer")
        .filter(has=tab.locator(".widget-slider", has_text="step_size"))
        .first
    )
    try:
        step_lr.wait_for()
    except Exception:
        tab.screenshot(path=str(tmp_path / "jupyterlab.png"), full_page=True)
        errors = tab.locator(".jp-OutputArea-output[data-mime-type*='error']").all_text_contents()
        pytest.fail(f"no StepLR explorer appeared; errors: {errors}; see {tmp_path}/jupyterlab.png")
    step_lr.scroll_into_view_if_needed()
    image = step_lr.locator("img").first
    tab.wait_for_function("img => img.src && img.naturalWidth > 100", arg=image.element_handle())
    before = image.get_attribute("src")

    slider = step_lr.locator(".widget-slider", has_text="step_size").first
    readout = slider.locator(".widget-readout")
    start = int(readout.text_content().strip())
    key, expected = ("ArrowLeft", start - 2) if start > 2 else ("ArrowRight", start + 2)
    handle = slider.locator(".noUi-handle").first
    handle.focus()
    handle.press(key)
    handle.press(key)
    tab.wait_for_function(
        "([img, old]) => img.src !== old && img.naturalWidth > 100",
        arg=[image.element_handle(), before],
    )
    assert int(readout.text_content().strip()) == expected
    assert image.get_attribute("src") != before
    errors = step_lr.locator(".widget-html", has_text="⚠")
    assert errors.count() == 0
    assert requests.external() == [], f"JupyterLab page left 127.0.0.1: {requests.external()}"
