"""Chapter 7 in the built book: figures, explorer twin and quiz work offline; the quiz agrees with torch."""

from __future__ import annotations

from tests.quiz.helpers import exponential_sweep_printout

CHAPTER = "notebooks/07_finding_a_learning_rate.html"


def test_chapter_seven_figures_explorer_and_quiz_offline(page, book_url):
    tab, requests = page
    tab.goto(f"{book_url}/{CHAPTER}", wait_until="networkidle")

    images = tab.locator("div.cell_output img")
    assert images.count() >= 3, "sweep, range-test and validation figures"
    # Figures that answer a "Predict" prompt are folded until the reader opens them.
    for summary in tab.locator("details.lrc-reveal > summary").all():
        summary.click()
    for index in range(images.count()):
        images.nth(index).scroll_into_view_if_needed()
        assert images.nth(index).evaluate("img => img.naturalWidth") > 100

    assert tab.locator(".lrc-explorer").count() == 1, "the OneCycleLR explorer twin"

    quiz = tab.locator('div.lrquiz[data-bank="07-finding-a-learning-rate"]')
    assert quiz.count() == 1
    question = quiz.locator('section.lrquiz-q[data-qid="lr-range.exponentiallr-sweep"]')
    question.locator("textarea, input").first.fill(exponential_sweep_printout())
    question.get_by_role("button", name="Check").click()
    assert question.locator(".lrquiz-feedback").inner_text().startswith("Right")

    choice = quiz.locator('section.lrquiz-q[data-qid="lr-range.how-the-rate-moves"]')
    choice.locator('input[value="linear"]').check()
    choice.get_by_role("button", name="Check").click()
    assert (
        "a linear sweep spends almost every step above 1"
        in choice.locator(".lrquiz-feedback").inner_text()
    )

    assert requests.external() == [], f"requests left 127.0.0.1: {requests.external()}"
