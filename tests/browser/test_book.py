"""The published book, served on 127.0.0.1 and opened in Chromium: it shows its figures offline."""

from __future__ import annotations


def test_chapter_one_shows_its_figures_without_leaving_localhost(page, book_url):
    tab, requests = page
    tab.goto(f"{book_url}/notebooks/01_learning_rate.html", wait_until="networkidle")
    images = tab.locator("div.cell_output img")
    assert images.count() >= 2, "chapter 1 should show its loss/path figures"
    # The first figure answers a "Predict" prompt: folded until the reader opens it.
    for summary in tab.locator("details.lrc-reveal > summary").all():
        summary.click()
    first = images.first
    first.scroll_into_view_if_needed()
    assert first.is_visible()
    width = first.evaluate("img => img.naturalWidth")
    assert width > 100, f"figure did not load (naturalWidth={width})"
    assert requests.urls, "the request log recorded nothing: the route hook is not working"
    assert requests.external() == [], f"requests left 127.0.0.1: {requests.external()}"


def test_every_built_page_loads_without_external_requests(page, book_url):
    from pathlib import Path

    from tests.browser.conftest import BUILT_BOOK

    tab, requests = page
    pages = sorted(BUILT_BOOK.glob("**/*.html"))
    pages = [p for p in pages if not p.name.startswith(("genindex", "search"))]
    assert pages
    for html in pages:
        tab.goto(f"{book_url}/{Path(html).relative_to(BUILT_BOOK).as_posix()}", wait_until="load")
    assert requests.external() == [], f"requests left 127.0.0.1: {sorted(set(requests.external()))}"
