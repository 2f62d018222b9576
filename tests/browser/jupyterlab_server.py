"""Start and stop a real JupyterLab for browser tests: 127.0.0.1, no token, no news, no leftovers.

The server's Jupyter/IPython/matplotlib directories are the project's ``.cache/`` ones (the
variables the Makefile exports), its workspace and user settings live in a temporary folder, and
it is stopped with its kernels (the whole process group) whatever the test's outcome.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path

import nbformat
import pytest

from tests.browser.conftest import ROOT

START_TIMEOUT_S = 120
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def jupyter_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Return the environment for the server: Jupyter dirs inside the project, plus ``extra``."""
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
    env.update(extra or {})
    return env


def write_notebook(path: Path, notebook: nbformat.NotebookNode) -> Path:
    """Write ``notebook`` to ``path`` with outputs cleared and the venv's python3 kernel."""
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    notebook.metadata["kernelspec"] = dict(KERNELSPEC)
    nbformat.write(notebook, path)
    return path


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
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def _write_settings(state: Path) -> Path:
    """Write the lab's config and user settings under ``state``; return the config file."""
    config = state / "jupyter_lab_config.json"
    config.write_text(
        json.dumps(
            {
                "LabApp": {
                    "news_url": None,
                    "check_for_updates_class": "jupyterlab.handlers.announcements.NeverCheckForUpdate",
                    "workspaces_dir": str(state / "workspaces"),
                    "user_settings_dir": str(state / "settings"),
                }
            }
        )
    )
    # Render every cell (no virtual scrolling, so outputs exist in the DOM) and never ask about news.
    settings = state / "settings" / "@jupyterlab"
    (settings / "notebook-extension").mkdir(parents=True)
    (settings / "notebook-extension" / "tracker.jupyterlab-settings").write_text(
        json.dumps({"windowingMode": "none"})
    )
    (settings / "apputils-extension").mkdir(parents=True)
    (settings / "apputils-extension" / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    return config


@contextlib.contextmanager
def running_jupyterlab(
    root_dir: Path, state: Path, extra_env: Mapping[str, str] | None = None
) -> Iterator[str]:
    """Run JupyterLab over ``root_dir`` (settings and log in ``state``); yield its base URL."""
    state.mkdir(parents=True, exist_ok=True)
    config = _write_settings(state)
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
        "--LabApp.expose_app_in_browser=True",
        f"--ServerApp.root_dir={root_dir}",
    ]
    if os.geteuid() == 0:
        command.append("--allow-root")
    log = state / "jupyterlab.log"
    with open(log, "w") as log_file:
        process = subprocess.Popen(
            command,
            cwd=root_dir,
            env=jupyter_env(extra_env),
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


def run_all_cells(tab) -> None:
    """Run all cells once the notebook's kernel is idle; retry if the first cell never starts.

    Right after opening, JupyterLab may replace the session's kernel; a run requested during that
    switch is dropped, so the first cell's prompt (``[1]:``) is the proof that cells really ran.
    The app is exposed to the page (``expose_app_in_browser``): the test waits on the kernel's
    status itself, not on a fixed pause.
    """
    tab.wait_for_function("window.jupyterapp && window.jupyterapp.shell.currentWidget")
    for _attempt in range(3):
        tab.wait_for_function(
            "window.jupyterapp.shell.currentWidget.sessionContext?.session?.kernel?.status"
            " === 'idle'"
        )
        tab.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
        try:
            tab.locator(".jp-InputPrompt", has_text="[1]:").first.wait_for(timeout=45_000)
            return
        except Exception:
            continue
    pytest.fail("JupyterLab never started running the cells (three Run All attempts)")
