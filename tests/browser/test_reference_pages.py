"""The cheat sheet, the flashcards and the licence footer, in the built book, offline."""

from __future__ import annotations


def test_cheat_sheet_shows_a_row_per_scheduler(page, book_url):
    tab, requests = page
    tab.goto(f"{book_url}/book/cheat-sheet.html", wait_until="load")
    rows = tab.locator("article table tbody tr")
    assert rows.count() == 15
    assert "CosineAnnealingWarmRestarts" in rows.nth(9).inner_text()
    assert requests.external() == []


def test_flashcards_turn_with_the_keyboard_and_remember_marks(page, book_url):
    tab, requests = page
    tab.goto(f"{book_url}/book/flashcards.html", wait_until="load")
    cards = tab.locator("details.lrc-card")
    assert cards.count() >= 5
    first, second = cards.nth(0), cards.nth(1)
    assert not first.evaluate("card => card.open")
    first.locator("summary").focus()
    tab.keyboard.press("Enter")
    assert first.evaluate("card => card.open"), "Enter on a card's front should turn it"
    tab.keyboard.press("ArrowDown")
    assert second.locator("summary").evaluate("s => document.activeElement === s")
    tab.keyboard.press("Space")
    assert second.evaluate("card => card.open"), "Space on a card's front should turn it"

    first.get_by_role("button", name="I knew it").click()
    count = tab.locator(".lrc-deck").first.locator(".lrc-deck-count")
    assert ", 1 known)" in count.inner_text()
    tab.reload(wait_until="load")
    assert tab.locator("details.lrc-card").nth(0).get_attribute("data-mark") == "known"
    assert requests.external() == []


def test_footer_states_both_licences(page, book_url):
    tab, _ = page
    tab.goto(f"{book_url}/book/cheat-sheet.html", wait_until="load")
    footer = tab.locator("footer.bd-footer-content").inner_text()
    assert "MIT" in footer and "CC-BY-4.0" in footer
