"""Issue 26, the smaller learner items, in the built book: a redirect page asks for no missing
icon; the instructor guide sits apart from the learner's path at its old address; the home page
gives a learning path and a scheduler flowchart whose links land; the search page works offline;
the glossary reads in alphabetical order. Light, dark and phone; axe 0 serious/critical."""

from __future__ import annotations

import re
from urllib.parse import urljoin

import pytest

from tests.browser.conftest import BUILT_BOOK, VIEWPORTS

HOME = "book/index.html"


def _tab(browser, site: str, viewport: str = "desktop", mode: str = "light"):
    """A fresh page that records console errors, page errors and every failed request."""
    context = browser.new_context(viewport=VIEWPORTS[viewport])
    context.add_init_script(f"localStorage.setItem('mode', '{mode}');")
    page = context.new_page()
    page.problems = []
    page.on("console", lambda m: page.problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.problems.append(str(e)))
    page.on("response", lambda r: page.problems.append(r.url) if r.status >= 400 else None)
    page.site = site
    return context, page


def _serious_axe(page, selector: str) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    result = Axe().run(page, context=selector)
    return [
        f"{v['id']}: {v['nodes'][0]['html'][:80]}"
        for v in result.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def _redirect_pages() -> list[str]:
    return sorted(
        path.relative_to(BUILT_BOOK).as_posix()
        for path in BUILT_BOOK.rglob("*.html")
        if 'http-equiv="refresh"' in path.read_text(encoding="utf-8")[:2000].lower()
    )


def test_every_redirect_page_names_an_icon_that_loads(browser, site):
    """A page without an icon link makes the browser ask for /favicon.ico: a 404 in the console.
    (Headless Chromium asks for no icon and a redirect page leaves at once, so read the page.)"""
    pages = _redirect_pages()
    assert "index.html" in pages and "book/step-timing.html" in pages and len(pages) >= 10
    context, tab = _tab(browser, site)
    for page in pages:
        text = tab.request.get(f"{site}/{page}").text()
        icons = re.findall(r'<link rel="icon" href="([^"]+)"', text)
        assert len(icons) == 1, page
        if not icons[0].startswith("data:"):
            assert tab.request.get(urljoin(f"{site}/{page}", icons[0])).status == 200, page
    context.close()


def test_the_site_root_and_an_old_address_land_without_errors(browser, site):
    context, tab = _tab(browser, site)
    tab.goto(f"{site}/", wait_until="load")
    tab.wait_for_url("**/book/index.html")
    tab.wait_for_load_state("networkidle")
    requests = []
    tab.on("request", lambda r: requests.append(r.url))
    tab.goto(f"{site}/book/step-timing.html", wait_until="load")
    tab.wait_for_url("**/notebooks/04_step_timing.html")
    tab.wait_for_load_state("networkidle")
    context.close()
    assert [url for url in requests if url.endswith("/favicon.ico")] == []
    assert tab.problems == []


def test_the_instructor_guide_is_apart_from_the_learners_path_at_its_address(browser, site):
    context, tab = _tab(browser, site)
    tab.goto(f"{site}/{HOME}", wait_until="networkidle")
    captions = tab.evaluate(
        """() => [...document.querySelectorAll('.bd-sidebar-primary a.reference')].map(a => {
            const list = a.closest('ul.nav');
            const caption = list && list.previousElementSibling;
            return [a.getAttribute('href'), caption ? caption.innerText.trim() : ''];
        })"""
    )
    where = {href: caption for href, caption in captions}
    assert where["instructor-guide.html"] == "For instructors"
    assert where["glossary.html"] == "Reference"
    # The last part of the navigation, after every learner's page.
    assert captions[-1] == ["instructor-guide.html", "For instructors"]
    tab.goto(f"{site}/book/instructor-guide.html", wait_until="networkidle")
    assert "instructor" in tab.locator("h1").first.inner_text().lower()
    context.close()
    assert tab.problems == []


@pytest.mark.parametrize(
    ("viewport", "mode"), [("desktop", "light"), ("desktop", "dark"), ("phone", "dark")]
)
def test_the_home_page_gives_a_learning_path_and_a_flowchart(browser, site, viewport, mode):
    context, tab = _tab(browser, site, viewport, mode)
    tab.goto(f"{site}/{HOME}", wait_until="networkidle")
    path = tab.locator("section#the-learning-path ol > li")
    assert path.count() == 9
    hrefs = [path.nth(i).locator("a").first.get_attribute("href") for i in range(path.count())]
    assert [h.split("/")[-1][:2] for h in hrefs] == [f"0{n}" for n in range(1, 10)]
    steps = tab.locator(".lrc-flow .lrc-flow-step")
    assert steps.count() == 3 and steps.first.is_visible()
    assert steps.first.inner_text().startswith("1. Do you know the length of the run?")
    # Boxes stand one above the other, and nothing scrolls sideways on a phone.
    boxes = [steps.nth(i).bounding_box() for i in range(3)]
    assert boxes[0]["y"] + boxes[0]["height"] < boxes[1]["y"] < boxes[2]["y"]
    assert tab.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # Before axe: axe re-reads the theme's stylesheets and asks for a "basic.css" at the site root.
    assert tab.problems == []
    assert _serious_axe(tab, "section#the-learning-path") == []
    assert _serious_axe(tab, ".lrc-flow") == []
    context.close()


def test_every_link_of_the_path_and_the_flowchart_lands_on_a_page(browser, site):
    context, tab = _tab(browser, site)
    tab.goto(f"{site}/{HOME}", wait_until="networkidle")
    links = tab.locator("section#the-learning-path a, .lrc-flow a").evaluate_all(
        "a => [...new Set(a.map(x => x.href))]"
    )
    assert len(links) >= 14
    for url in links:
        response = tab.request.get(url)
        assert response.status == 200, url
    context.close()


def test_the_search_page_linked_from_home_finds_pages_offline(browser, site, page):
    tab, log = page
    tab.goto(f"{site}/{HOME}", wait_until="networkidle")
    tab.get_by_role("link", name="search page").click()
    tab.wait_for_url("**/search.html")
    tab.goto(f"{site}/search.html?q=OneCycleLR", wait_until="networkidle")
    tab.wait_for_selector("#search-results ul.search li a", timeout=15000)
    assert tab.locator("#search-results ul.search li a").count() >= 3
    assert log.external() == []


def test_the_glossary_reads_in_alphabetical_order(browser, site):
    context, tab = _tab(browser, site)
    tab.goto(f"{site}/book/glossary.html", wait_until="networkidle")
    terms = tab.locator("dl.glossary > dt").evaluate_all("d => d.map(x => x.innerText.trim())")
    assert len(terms) >= 25
    assert terms == sorted(terms, key=lambda t: t.lower().replace("_", " "))
    context.close()
    assert tab.problems == []


FLASHCARDS = "book/flashcards.html"


def _deck(tab):
    return tab.locator('section.lrc-deck[data-level="easy"]')


def _order(deck) -> list[str]:
    return deck.locator(".lrc-card").evaluate_all("c => c.map(x => x.dataset.cardId)")


def test_flashcards_shuffle_and_leitner_boxes_survive_a_reload(browser, site):
    context, tab = _tab(browser, site)
    tab.goto(f"{site}/{FLASHCARDS}", wait_until="networkidle")
    deck = _deck(tab)
    before = _order(deck)
    assert len(before) >= 5
    first = deck.locator(".lrc-card").first
    assert first.locator(".lrc-card-box").inner_text() == "Box 1 of 5 · due now"
    # Shuffle: the same cards, and (over a few tries) another order.
    orders = set()
    for _ in range(5):
        deck.get_by_role("button", name="Shuffle").click()
        orders.add(tuple(_order(deck)))
    assert all(sorted(order) == sorted(before) for order in orders) and len(orders) > 1
    # "I knew it" moves a card up one box, due tomorrow; "Review again" sends another to box 1.
    known_id, again_id = _order(deck)[:2]
    known = deck.locator(f'.lrc-card[data-card-id="{known_id}"]')
    known.locator("summary").click()
    known.get_by_role("button", name="I knew it").click()
    assert known.locator(".lrc-card-box").inner_text() == "Box 2 of 5 · due in 1 day"
    known.get_by_role("button", name="I knew it").click()
    assert known.locator(".lrc-card-box").inner_text() == "Box 3 of 5 · due in 3 days"
    again = deck.locator(f'.lrc-card[data-card-id="{again_id}"]')
    again.locator("summary").click()
    again.get_by_role("button", name="Review again").click()
    assert again.locator(".lrc-card-box").inner_text() == "Box 1 of 5 · due now"
    # Review: due cards first; the card not due yet is hidden until "Show all".
    tab.reload(wait_until="networkidle")
    deck = _deck(tab)
    known = deck.locator(f'.lrc-card[data-card-id="{known_id}"]')
    assert known.locator(".lrc-card-box").inner_text() == "Box 3 of 5 · due in 3 days"
    deck.get_by_role("button", name="Review due cards").click()
    assert not known.is_visible()
    assert _order(deck)[-1] == known_id
    assert deck.locator(".lrc-deck-status").inner_text().startswith(f"{len(before) - 1} of ")
    deck.get_by_role("button", name="Show all").click()
    assert known.is_visible()
    # Three days later the card is due again.
    tab.evaluate(
        """id => {
            const key = 'lrcourse.flashcard-box.' + id;
            const data = JSON.parse(localStorage.getItem(key));
            data.day -= 3;
            localStorage.setItem(key, JSON.stringify(data));
        }""",
        known_id,
    )
    tab.reload(wait_until="networkidle")
    known = _deck(tab).locator(f'.lrc-card[data-card-id="{known_id}"]')
    assert known.locator(".lrc-card-box").inner_text() == "Box 3 of 5 · due now"
    context.close()
    assert tab.problems == []


@pytest.mark.parametrize(
    ("viewport", "mode"), [("desktop", "light"), ("desktop", "dark"), ("phone", "dark")]
)
def test_flashcard_tools_are_accessible_and_fit_a_phone(browser, site, viewport, mode):
    context, tab = _tab(browser, site, viewport, mode)
    tab.goto(f"{site}/{FLASHCARDS}", wait_until="networkidle")
    deck = _deck(tab)
    deck.get_by_role("button", name="Review due cards").click()
    card = deck.locator(".lrc-card").first
    card.locator("summary").click()
    card.get_by_role("button", name="I knew it").click()
    assert tab.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert tab.problems == []
    assert _serious_axe(tab, ".lrc-flashcards") == []
    context.close()


CHAPTER_FOUR = "notebooks/04_step_timing.html"


def test_every_section_a_quiz_question_names_is_a_heading_of_its_page(browser, site):
    """A `section:` in a bank names a heading on the page that draws the bank's quiz."""
    context, tab = _tab(browser, site)
    named = 0
    for path in sorted(BUILT_BOOK.glob("notebooks/*.html")):
        tab.goto(f"{site}/notebooks/{path.name}", wait_until="domcontentloaded")
        wanted = tab.locator(".lrquiz-q[data-section]").evaluate_all(
            "q => q.map(x => [x.dataset.qid, x.dataset.section])"
        )
        named += len(wanted)
        for qid, section in wanted:
            assert tab.locator(f"section#{section} > :is(h1, h2, h3)").count() == 1, (qid, section)
    assert named >= 90
    context.close()


@pytest.mark.parametrize(("viewport", "mode"), [("desktop", "light"), ("phone", "dark")])
def test_the_end_of_quiz_summary_links_the_sections_to_review(browser, site, viewport, mode):
    context, tab = _tab(browser, site, viewport, mode)
    tab.goto(f"{site}/{CHAPTER_FOUR}", wait_until="networkidle")
    quiz = tab.locator('div.lrquiz[data-bank="04-step-timing"]')
    summary = quiz.locator(".lrquiz-summary")
    questions = quiz.locator(".lrquiz-q:has(.lrquiz-check)")
    total = questions.count()
    assert total >= 10
    # Answer every graded question wrongly but one: no summary until the last answer.
    for i in range(total):
        q = questions.nth(i)
        kind = q.get_attribute("data-type")
        if kind in ("single", "multiple"):
            q.locator("input").first.check()
        else:
            q.locator(".lrquiz-input").fill("12345")
        if i < total - 1:
            assert summary.count() == 0 or not summary.is_visible()
        q.locator(".lrquiz-check").click()
    assert summary.is_visible()
    assert summary.inner_text().startswith("All answered. To review:")
    # Each question not fully right (a partial score too) is linked once, under its section's
    # heading when it names one.
    ids = quiz.locator(".lrquiz-q[data-score]").evaluate_all(
        "q => q.filter(x => parseFloat(x.dataset.score) < 1).map(x => '#' + x.id)"
    )
    assert len(ids) >= 5
    links = summary.locator("a").evaluate_all("a => a.map(x => x.getAttribute('href'))")
    assert sorted(link for link in links if link.startswith("#lrq-")) == sorted(ids)
    accumulation = summary.get_by_role("link", name="Gradient accumulation", exact=False)
    if accumulation.count():
        assert accumulation.first.get_attribute("href") == (
            "#gradient-accumulation-step-per-optimizer-step"
        )
    section_links = [link for link in links if not link.startswith("#lrq-")]
    assert section_links and all(tab.locator(link).count() == 1 for link in section_links)
    summary.locator(f'a[href="{section_links[0]}"]').click()
    assert tab.evaluate("location.hash") == section_links[0]
    assert tab.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert tab.problems == []
    assert _serious_axe(tab, ".lrquiz-summary") == []
    # The summary survives a reload (the answers are kept).
    tab.reload(wait_until="networkidle")
    assert quiz.locator(".lrquiz-summary").is_visible()
    context.close()
