"""The book as a learner meets it, on every page: accessible in light and dark mode (axe-core),
no sideways scroll on a phone, no console errors, figures described, one search for both
spellings, answers and scores that survive a reload, and no solution in view before an attempt."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from tests.browser.conftest import BUILT_BOOK


def _pages() -> list[str]:
    """Return every built page, without the redirects (the root index.html, moved chapters)."""
    pages = []
    for path in BUILT_BOOK.rglob("*.html"):
        relative = path.relative_to(BUILT_BOOK)
        redirect = 'http-equiv="refresh"' in path.read_text(encoding="utf-8")[:2000].lower()
        if not relative.parts[0].startswith("_") and not redirect:
            pages.append(relative.as_posix())
    return sorted(pages)


PAGES = _pages()
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
CHAPTER_ONE = "notebooks/01_learning_rate.html"


def _context(browser, viewport: dict, mode: str = "light"):
    """A fresh browser context in the theme's ``mode`` ('light' or 'dark'), chosen as a reader would."""
    context = browser.new_context(viewport=viewport)
    context.add_init_script(f"localStorage.setItem('mode', '{mode}');")
    return context


def test_the_page_list_covers_the_whole_book():
    assert len(PAGES) >= 15
    assert "book/progress.html" in PAGES and "search.html" in PAGES
    assert "notebooks/08_modern_practice.html" in PAGES and "index.html" not in PAGES


def test_an_old_chapter_address_lands_on_the_chapters_one_page(browser, site):
    context = _context(browser, DESKTOP)
    tab = context.new_page()
    tab.goto(f"{site}/book/step-timing.html", wait_until="load")
    tab.wait_for_url("**/notebooks/04_step_timing.html")
    assert tab.locator("h1").first.inner_text().startswith("4. Step timing")
    context.close()


@pytest.mark.slow  # every page of the book, axe each time: about a minute a mode (CI runs it)
@pytest.mark.parametrize("mode", ["light", "dark"])
def test_no_page_has_serious_or_critical_axe_violations(browser, site, mode):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    context = _context(browser, DESKTOP, mode)
    found = {}
    for path in PAGES:
        tab = context.new_page()
        tab.goto(f"{site}/{path}", wait_until="networkidle")
        assert tab.evaluate("document.documentElement.dataset.theme") == mode
        # Every collapsed part opened, so what hides behind a summary is checked too.
        tab.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        result = axe.run(tab)
        for violation in result.response["violations"]:
            if violation["impact"] in ("serious", "critical"):
                nodes = [node["html"][:80] for node in violation["nodes"][:3]]
                found[f"{path}: {violation['id']}"] = nodes
        tab.close()
    context.close()
    assert found == {}


@pytest.mark.slow  # every page of the book (CI runs it)
def test_no_page_scrolls_sideways_on_a_phone(browser, site):
    context = _context(browser, PHONE)
    wide = {}
    for path in PAGES:
        tab = context.new_page()
        tab.goto(f"{site}/{path}", wait_until="networkidle")
        tab.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        width = tab.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            wide[path] = width
        tab.close()
    context.close()
    assert wide == {}


def test_cheat_sheet_rows_become_labelled_cards_on_a_phone(browser, site):
    context = _context(browser, PHONE)
    tab = context.new_page()
    tab.goto(f"{site}/book/cheat-sheet.html", wait_until="networkidle")
    table = tab.locator(".tag_cheat-sheet table").first
    assert table.evaluate("t => t.getBoundingClientRect().right") <= PHONE["width"]
    first_cell = table.locator("tbody td").first
    assert first_cell.get_attribute("data-label")
    context.close()


@pytest.mark.slow  # every page of the book (CI runs it)
def test_no_console_errors_no_missing_files_and_a_favicon_on_every_page(browser, site):
    context = _context(browser, DESKTOP)
    problems = []
    for path in PAGES:
        tab = context.new_page()
        tab.on(
            "console", lambda m, p=path: problems.append((p, m.text)) if m.type == "error" else None
        )
        tab.on("pageerror", lambda e, p=path: problems.append((p, str(e))))
        tab.on(
            "response", lambda r, p=path: problems.append((p, r.url)) if r.status >= 400 else None
        )
        tab.goto(f"{site}/{path}", wait_until="networkidle")
        assert tab.locator("link[rel=icon]").count() == 1, path
        tab.close()
    context.close()
    assert problems == []


def test_one_search_box_on_desktop(browser, site):
    context = _context(browser, DESKTOP)
    tab = context.new_page()
    tab.goto(f"{site}/book/index.html", wait_until="networkidle")
    visible = [b for b in tab.locator(".search-button__button").all() if b.is_visible()]
    assert len(visible) == 1
    context.close()


def _search(tab, site: str, query: str) -> list[str]:
    tab.goto(f"{site}/search.html?q={quote(query)}", wait_until="networkidle")
    tab.wait_for_selector("#search-results .search-summary, #search-results p", timeout=15000)
    return sorted(
        tab.locator("#search-results ul.search li a").evaluate_all("a => a.map(x => x.href)")
    )


def test_warm_up_and_warmup_find_the_same_pages(browser, site):
    context = _context(browser, DESKTOP)
    tab = context.new_page()
    hyphen, joined = _search(tab, site, "warm-up"), _search(tab, site, "warmup")
    assert hyphen == joined
    # The myth busters and the glossary spell it only "warm-up", the chapter 5 notebook's code
    # mostly "warmup": each spelling finds all of them.
    for page in ["myth_busters.html", "book/glossary.html", "05_custom_schedulers"]:
        assert any(page in url for url in joined), page
    context.close()


@pytest.mark.slow  # every page of the book (CI runs it)
def test_every_figure_has_alt_text_other_than_its_file_name(browser, site):
    context = _context(browser, DESKTOP)
    bad = []
    for path in PAGES:
        tab = context.new_page()
        tab.goto(f"{site}/{path}", wait_until="networkidle")
        for alt, src in tab.locator("img").evaluate_all(
            "images => images.map(i => [i.getAttribute('alt') || '', i.getAttribute('src')])"
        ):
            if not alt.strip() or alt == src or re.search(r"\.(png|svg|jpe?g)$", alt):
                bad.append((path, src))
        tab.close()
    context.close()
    assert bad == []


def test_a_course_figure_is_described_by_what_it_plots(browser, site):
    context = _context(browser, DESKTOP)
    tab = context.new_page()
    tab.goto(f"{site}/notebooks/02_scheduler_family.html", wait_until="networkidle")
    alts = tab.locator("img").evaluate_all("images => images.map(i => i.alt)")
    assert any("15 panels of learning rate" in alt and "CyclicLR" in alt for alt in alts), alts
    context.close()


def _quiz_page(browser, site: str):
    context = _context(browser, DESKTOP)
    tab = context.new_page()
    tab.goto(f"{site}/{CHAPTER_ONE}", wait_until="networkidle")
    return context, tab, tab.locator('div.lrquiz[data-bank="01-learning-rate"]')


def _question(root, question_id: str):
    return root.locator(f'section.lrquiz-q[data-qid="{question_id}"]')


def test_quiz_answers_and_score_survive_a_reload_and_reset_forgets_them(browser, site):
    context, tab, root = _quiz_page(browser, site)
    single = _question(root, "lr-basics.where-lr-is-applied")
    single.get_by_label("optimizer.step()").check()
    single.get_by_role("button", name="Check").click()
    predict = _question(root, "steplr.after-three-steps")
    predict.get_by_label("What does it print?").fill("0.5")
    predict.get_by_role("button", name="Check").click()
    assert root.locator(".lrquiz-score").inner_text() == "Score: 1 / 8 (2 answered)"

    tab.reload(wait_until="networkidle")
    root = tab.locator('div.lrquiz[data-bank="01-learning-rate"]')
    single = _question(root, "lr-basics.where-lr-is-applied")
    predict = _question(root, "steplr.after-three-steps")
    assert single.get_by_label("optimizer.step()").is_checked()
    assert predict.get_by_label("What does it print?").input_value() == "0.5"
    assert single.locator(".lrquiz-feedback").inner_text().startswith("Right")
    assert root.locator(".lrquiz-score").inner_text() == "Score: 1 / 8 (2 answered)"

    tab.goto(f"{site}/book/progress.html", wait_until="networkidle")
    row = tab.locator('.lrc-dashboard tr[data-bank="01-learning-rate"]')
    assert row.locator("[data-field=answered]").inner_text() == "2 of 8"
    assert row.locator("[data-field=score]").inner_text() == "1 / 8"

    tab.goto(f"{site}/{CHAPTER_ONE}", wait_until="networkidle")
    root = tab.locator('div.lrquiz[data-bank="01-learning-rate"]')
    root.get_by_role("button", name="Reset this quiz").click()
    tab.reload(wait_until="networkidle")
    root = tab.locator('div.lrquiz[data-bank="01-learning-rate"]')
    assert (
        not _question(root, "lr-basics.where-lr-is-applied")
        .get_by_label("optimizer.step()")
        .is_checked()
    )
    assert "answered" not in root.locator(".lrquiz-score").inner_text()
    context.close()


def test_flashcard_marks_count_on_the_dashboard_and_it_can_forget_everything(browser, site):
    context = _context(browser, DESKTOP)
    tab = context.new_page()
    tab.goto(f"{site}/book/flashcards.html", wait_until="networkidle")
    card = tab.locator('.lrc-card[data-card-id^="lr-basics."]').first
    card.locator("summary").click()
    card.get_by_role("button", name="I knew it").click()
    tab.goto(f"{site}/book/progress.html", wait_until="networkidle")
    known = tab.locator('tr[data-bank="01-learning-rate"] [data-field=known]')
    assert known.inner_text().startswith("1 of ")
    tab.get_by_role("button", name=re.compile("Forget every answer")).click()
    assert known.inner_text().startswith("0 of ")
    context.close()


def test_hint_comes_first_and_the_solution_only_after_a_real_attempt(browser, site):
    context, _, root = _quiz_page(browser, site)
    question = _question(root, "steplr.after-three-steps")
    order = question.evaluate("q => [...q.querySelectorAll('details')].map(d => d.className)")
    assert order.index("lrquiz-hint") < order.index("lrquiz-solution")
    solution = question.locator("details.lrquiz-solution")
    assert not solution.is_visible()
    question.get_by_role("button", name="Check").click()  # blank: not an attempt
    assert question.locator(".lrquiz-feedback").inner_text() == "Type an answer first."
    assert not solution.is_visible()
    assert "answered" not in root.locator(".lrquiz-score").inner_text()
    question.get_by_label("What does it print?").fill("0.1")
    question.get_by_role("button", name="Check").click()
    assert solution.is_visible()
    context.close()


def test_predict_before_you_run_outputs_wait_behind_a_click(browser, site):
    context = _context(browser, DESKTOP)
    tab = context.new_page()
    tab.goto(f"{site}/{CHAPTER_ONE}", wait_until="networkidle")
    reveals = tab.locator("details.lrc-reveal")
    assert reveals.count() >= 1
    first = reveals.first
    assert not first.locator(".cell_output").is_visible()
    first.locator("summary").click()
    assert first.locator(".cell_output").is_visible()
    context.close()


def test_chapters_link_their_first_use_of_a_glossary_term(browser, site):
    context = _context(browser, DESKTOP)
    tab = context.new_page()
    unlinked = []
    for path in [p for p in PAGES if p.startswith("notebooks/") or p.startswith("book/")]:
        if path in ("book/glossary.html", "book/progress.html", "book/flashcards.html"):
            continue
        tab.goto(f"{site}/{path}", wait_until="load")
        links = tab.locator('article a[href*="glossary.html#term-"]')
        targets = links.evaluate_all("links => links.map(a => a.getAttribute('href'))")
        if len(targets) != len(set(targets)):
            unlinked.append((path, "a term linked twice"))
        if path.startswith("notebooks/0") and not targets:
            unlinked.append((path, "no glossary link"))
    context.close()
    assert unlinked == []


def test_an_exercise_solution_stays_hidden_until_clicked_and_formulas_are_drawn(browser, site):
    context = _context(browser, DESKTOP)
    tab = context.new_page()
    tab.goto(f"{site}/notebooks/04_step_timing.html", wait_until="load")
    exercise = tab.locator("details", has=tab.locator("summary", has_text="Solution")).first
    code = exercise.locator("pre").first
    assert not code.is_visible()
    exercise.locator("summary").click()
    assert code.is_visible() and "OneCycleLR" in code.inner_text()
    tab.goto(f"{site}/notebooks/02_scheduler_family.html", wait_until="load")
    formulas = tab.locator("article math")
    assert formulas.count() > 50  # MathML from book/_ext/mathml.py, drawn without any script
    tab.goto(f"{site}/{CHAPTER_ONE}", wait_until="load")
    box = tab.locator("article div.math math").first.bounding_box()  # w <- w - lr * g
    assert box["width"] > 100 and box["height"] > 10
    context.close()
