"""Issue 26, item 11: a "continue where you left off" position in the book.

Chapter 2 is long: the book remembers the last section heading scrolled past and, on the next
visit, offers "Continue at §N: <title>" at the top (dismissable); the home page and the progress
page offer the last chapter read. Light and dark, desktop and phone; no console errors; axe stays
at 0 serious/critical on the pages touched.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import LOOKS, page_in_look
from tests.browser.test_learner_course import _serious_axe

CHAPTER_TWO = "notebooks/02_scheduler_family.html"
SECTION = "the-fifteen-from-torch-itself"
LINK = "Continue at §3: The fifteen, from torch itself"


@pytest.fixture(params=LOOKS, ids=lambda p: "-".join(p))
def tab(request, browser, site):
    with page_in_look(browser, site, request.param) as page:
        yield page


def _scroll_to(tab, section: str) -> None:
    tab.evaluate("id => document.getElementById(id).querySelector('h2').scrollIntoView()", section)
    tab.wait_for_function(
        "id => (JSON.parse(localStorage.getItem("
        "'lrcourse.position.notebooks/02_scheduler_family.html') || '{}').id === id)",
        arg=section,
    )


def _heading_in_view(tab, section: str) -> bool:
    return tab.evaluate(
        "id => { const r = document.getElementById(id).querySelector('h2')"
        ".getBoundingClientRect(); return r.top >= -2 && r.top < window.innerHeight / 2; }",
        section,
    )


def test_a_chapter_offers_to_continue_where_the_reader_left_off(tab):
    tab.goto(f"{tab.site}/{CHAPTER_TWO}", wait_until="networkidle")
    assert tab.locator("nav.lrc-continue").count() == 0  # a first visit: nothing to continue
    _scroll_to(tab, SECTION)
    tab.reload(wait_until="networkidle")
    tab.evaluate("window.scrollTo(0, 0)")
    nav = tab.get_by_role("navigation", name="Continue reading")
    assert nav.is_visible()
    assert nav.bounding_box()["y"] < tab.locator(".bd-article h1").first.bounding_box()["y"]
    link = nav.get_by_role("link", name=LINK)
    assert link.is_visible()
    assert _serious_axe(tab, "nav.lrc-continue") == []
    link.click()
    tab.wait_for_function("location.hash === '#' + 'the-fifteen-from-torch-itself'")
    assert _heading_in_view(tab, SECTION)

    # the home page and the progress page offer the last chapter read
    for page in ("book/index.html", "book/progress.html"):
        tab.goto(f"{tab.site}/{page}", wait_until="networkidle")
        home = tab.get_by_role("navigation", name="Continue reading the last chapter")
        assert home.is_visible(), page
        assert home.get_by_role("link").inner_text() == (
            "Continue reading 2. The scheduler family at §3: The fifteen, from torch itself"
        )
        assert _serious_axe(tab, ".lrc-continue-home") == []
    home.get_by_role("link").click()
    tab.wait_for_url(f"**/{CHAPTER_TWO}#{SECTION}")
    tab.wait_for_load_state("networkidle")
    assert _heading_in_view(tab, SECTION)


def test_the_continue_link_can_be_dismissed(tab):
    tab.goto(f"{tab.site}/{CHAPTER_TWO}", wait_until="networkidle")
    _scroll_to(tab, SECTION)
    tab.reload(wait_until="networkidle")
    nav = tab.get_by_role("navigation", name="Continue reading")
    nav.get_by_role("button", name="Dismiss").click()
    assert not nav.is_visible()
    tab.reload(wait_until="networkidle")
    assert tab.locator("nav.lrc-continue").count() == 0
    tab.goto(f"{tab.site}/book/index.html", wait_until="networkidle")
    assert not tab.locator(".lrc-continue-home").is_visible()
    # reading on to another section offers the new position again
    tab.goto(f"{tab.site}/{CHAPTER_TWO}", wait_until="networkidle")
    _scroll_to(tab, "schedulers-that-move-momentum-too")
    tab.goto(f"{tab.site}/book/index.html", wait_until="networkidle")
    assert "§5: Schedulers that move momentum too" in tab.locator(".lrc-continue-home").inner_text()
