"""Fixtures for browser tests: Debian's Chromium driven by Playwright, and local HTTP servers.

Every page is served on 127.0.0.1, and every request the page makes is recorded, so a test can
assert that the published book works offline (nothing loaded from a CDN).
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[2]
BUILT_BOOK = ROOT / "_build" / "html"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}

#: The two looks the learner tests run in. The phone in dark mode runs in CI and make test-all
#: (marked slow); the quick make test keeps the desktop in light mode, to stay under 10 minutes.
LOOKS = [("desktop", "light"), pytest.param(("phone", "dark"), marks=pytest.mark.slow)]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


def _missing_browser(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: browser tests must run)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Return a Playwright Chromium browser, or skip (fail under CI) when it cannot be had."""
    if not CHROMIUM.exists():
        _missing_browser(f"{CHROMIUM} is missing: run tests/browser/ensure_chromium.sh as root")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class RequestLog:
    """Every URL a page asked for; ``external()`` lists those that left 127.0.0.1."""

    def __init__(self) -> None:
        self.urls: list[str] = []

    def external(self) -> list[str]:
        out = []
        for url in self.urls:
            parsed = urlparse(url)
            if parsed.scheme in ("data", "blob", "about"):
                continue
            if parsed.hostname not in LOCAL_HOSTS:
                out.append(url)
        return out


@pytest.fixture
def page(browser: object) -> Iterator[tuple[object, RequestLog]]:
    """Return a fresh page and the log of every request it makes; external requests are aborted."""
    context = browser.new_context()
    log = RequestLog()

    def route(route: object) -> None:
        url = route.request.url
        log.urls.append(url)
        host = urlparse(url).hostname
        if urlparse(url).scheme in ("http", "https", "ws", "wss") and host not in LOCAL_HOSTS:
            route.abort()
        else:
            route.continue_()

    context.route("**/*", route)
    page = context.new_page()
    yield page, log
    context.close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def serve_directory(directory: Path) -> Iterator[str]:
    """Serve ``directory`` on 127.0.0.1 (a free port) for the duration; yield its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def book_url() -> Iterator[str]:
    """Serve the built book on 127.0.0.1 and return its base URL."""
    if not (BUILT_BOOK / "index.html").exists():
        pytest.fail(f"{BUILT_BOOK}/index.html is missing: run `make book-check` first")
    with serve_directory(BUILT_BOOK) as url:
        yield url


@pytest.fixture(scope="session")
def site(book_url: str) -> str:
    """The built book's base URL (the learner tests' name for :func:`book_url`)."""
    return book_url


VIEWPORTS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}


@contextlib.contextmanager
def page_in_look(browser: Any, site: str, look: tuple[str, str], **options: Any) -> Iterator[Any]:
    """Yield a page of the built book in ``look`` (viewport, colour mode), ``page.site`` set.

    On leaving, it fails the test on any console error or failed request the page saw.
    """
    viewport, mode = look
    context = browser.new_context(viewport=VIEWPORTS[viewport], **options)
    context.add_init_script(f"localStorage.setItem('mode', '{mode}');")
    page = context.new_page()
    errors, missing = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("response", lambda r: missing.append(r.url) if r.status >= 400 else None)
    page.site = site
    yield page
    context.close()
    # axe-core re-reads the theme's stylesheets and resolves their @import "basic.css" against
    # the site root: a 404 that axe makes, not the page. Every other failed request counts.
    missing = [url for url in missing if not url.endswith(f"{site}/basic.css")]
    if not missing:
        errors = [e for e in errors if not e.startswith("Failed to load resource")]
    assert (errors, missing) == ([], []), (errors, missing)


@dataclass(frozen=True)
class LabServer:
    """The session's JupyterLab: its base URL, the folder it serves, where quizzes save progress."""

    url: str
    root: Path
    progress: Path

    def folder(self, name: str) -> Path:
        """Return a new folder ``name`` under the served root (a test's notebooks go there)."""
        path = self.root / name
        path.mkdir()
        return path


@pytest.fixture(scope="session")
def jupyterlab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """One JupyterLab for the whole session (a start costs seconds); each test uses a subfolder."""
    from tests.browser.jupyterlab_server import running_jupyterlab

    base = tmp_path_factory.mktemp("jupyterlab")
    root, progress = base / "work", base / "progress"
    root.mkdir()
    extra_env = {"LRCOURSE_PROGRESS_FILE_DIR": str(progress)}
    with running_jupyterlab(root, base / "state", extra_env) as url:
        yield LabServer(url=url, root=root, progress=progress)
