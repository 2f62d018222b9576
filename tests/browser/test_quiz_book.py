"""Chapter 1's quiz in the built book: graded in the browser, by keyboard, without leaving 127.0.0.1.

Keys are re-derived here from plain torch, so the page is checked against torch, not against itself.
"""

from __future__ import annotations

import pytest
import torch

CHAPTER = "notebooks/01_learning_rate.html"


def one_sgd_step() -> float:
    w = torch.nn.Parameter(torch.tensor(2.0, dtype=torch.float64))
    optimizer = torch.optim.SGD([w], lr=0.1)
    (w**2).backward()
    optimizer.step()
    return w.item()


def steplr_after_three_steps() -> float:
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    for _ in range(3):
        optimizer.step()
        scheduler.step()
    return scheduler.get_last_lr()[0]


@pytest.fixture
def quiz(page, book_url):
    tab, requests = page
    tab.goto(f"{book_url}/{CHAPTER}", wait_until="networkidle")
    root = tab.locator('div.lrquiz[data-bank="01-learning-rate"]')
    assert root.count() == 1, "chapter 1 must show its quiz"
    yield tab, root
    assert requests.urls, "the request log recorded nothing"
    assert requests.external() == [], f"requests left 127.0.0.1: {requests.external()}"


def section(root, question_id: str):
    return root.locator(f'section.lrquiz-q[data-qid="{question_id}"]')


def test_choice_question_right_and_wrong_with_feedback_and_score(quiz):
    tab, root = quiz
    question = section(root, "lr-basics.where-lr-is-applied")
    feedback = question.locator(".lrquiz-feedback")
    assert feedback.get_attribute("aria-live") == "polite"
    question.get_by_label("loss.backward()").check()
    question.get_by_role("button", name="Check").click()
    assert feedback.inner_text().startswith("Not quite.")
    assert "only computes gradients" in feedback.inner_text()
    assert root.locator(".lrquiz-score").inner_text() == "Score: 0 / 8 (1 answered)"

    # Keyboard only: focus the right option, select it with Space, then Tab to Check and press Enter.
    question.get_by_label("optimizer.step()").focus()
    tab.keyboard.press("Space")
    tab.keyboard.press("Tab")
    assert tab.evaluate("document.activeElement.className") == "lrquiz-check"
    tab.keyboard.press("Enter")
    assert feedback.inner_text().startswith("Right")
    assert root.locator(".lrquiz-score").inner_text() == "Score: 1 / 8 (1 answered)"


def test_numeric_question_right_and_wrong(quiz):
    _, root = quiz
    question = section(root, "lr-basics.one-sgd-step")
    box = question.get_by_label("Your answer (value of w)")
    feedback = question.locator(".lrquiz-feedback")
    box.fill("2.4")
    box.press("Enter")
    assert feedback.inner_text() == "Not quite: 2.4 is too high."
    box.fill("1/20")
    question.get_by_role("button", name="Check").click()
    assert "is a calculation, not one number" in feedback.inner_text()
    box.fill(f"{one_sgd_step():.4f}")
    box.press("Enter")
    assert feedback.inner_text() == f"Right: {one_sgd_step():.6g}."


def test_select_all_partial_credit_in_the_browser(quiz):
    _, root = quiz
    question = section(root, "lr-basics.rate-regimes")
    question.get_by_label("A very small rate is safe").check()
    question.get_by_role("button", name="Check").click()
    feedback = question.locator(".lrquiz-feedback")
    assert feedback.inner_text().startswith("Partly right: 1 of 2 right options picked")
    assert "Score 0.50." in feedback.inner_text()
    assert "lrquiz-partial" in feedback.get_attribute("class")
    question.get_by_label("A run whose steep coordinate flips sign").check()
    question.get_by_role("button", name="Check").click()
    # One right and one wrong pick cancel out: called "Not quite" in the wrong colour, not "Partly".
    assert feedback.inner_text().startswith("Not quite: 1 of 2 right options picked")
    assert "lrquiz-wrong" in feedback.get_attribute("class")


def test_predict_question_is_graded_against_torch(quiz):
    _, root = quiz
    question = section(root, "steplr.after-three-steps")
    box = question.get_by_label("What does it print?")
    feedback = question.locator(".lrquiz-feedback")
    box.fill("0.025")
    question.get_by_role("button", name="Check").click()
    assert feedback.inner_text().startswith("Not quite")
    box.fill(str(steplr_after_three_steps()))
    question.get_by_role("button", name="Check").click()
    assert feedback.inner_text() == "Right: that is exactly what torch prints."


def test_code_question_shows_how_to_run_it_and_the_reference_only_after_trying(quiz):
    _, root = quiz
    question = section(root, "lr-basics.weight-after-steps")
    assert 'lrcourse.show_question("lr-basics.weight-after-steps")' in question.inner_text()
    solution = question.locator("details.lrquiz-solution")
    assert not solution.is_visible()
    assert "range(steps)" not in question.inner_text()
    question.get_by_role("button", name="I have tried: show the solution").click()
    solution.locator("summary").click()
    assert "range(steps)" in solution.locator("pre").inner_text()


OUTPUT_CASES = [
    ("['1e-03', '1e-02', '1e-01', '1e+00']", "1e-03 1e-02 1e-01 1e+00"),
    ("['1e-03', '1e-02', '1e-01', '1e+00']", "[0.001, 0.01, 0.1, 1.0]"),
    ("[0.1, 0.05]", "0.10; 0.050"),
    ("TypeError", "'TypeError'"),
    ("0.1\n0.05\n", "0.1 0.05"),
    ("[0.1, 0.01]", "0.1, 0.01"),
    ("0.05000000074505806", "0.05"),
    ("0.05", "0.0501"),
    ("0.05", "5e-2"),
    ("TypeError", "ValueError"),
    ("tensor([0.5000])", "tensor 0.5"),
    ("1.0 2.0", "1.0"),
    ("0", "0.0"),
    ("", ""),
    ("nan", "nan"),
    ("0.05", "1e999"),
    ("[0.1, 0.05]", "[1e999, -1e999]"),
    ("-0.1", "0.1"),
    ("1_000", "1000"),
    ("inf", "inf"),
    ("1e400", "1e401"),
]


@pytest.fixture
def shipped_script(page, tmp_path):
    """Serve a blank page that loads the very quiz.js the package ships."""
    import shutil
    from pathlib import Path

    from tests.browser.conftest import serve_directory

    static = Path(__file__).resolve().parents[2] / "lrcourse" / "static"
    for script in ("answers.js", "quiz.js"):
        shutil.copy(static / script, tmp_path / script)
    (tmp_path / "index.html").write_text(
        "<!doctype html><html><body><script src='answers.js'></script>"
        "<script src='quiz.js'></script></body></html>"
    )
    tab, requests = page
    with serve_directory(tmp_path) as url:
        tab.goto(f"{url}/index.html")
        yield tab
    assert requests.external() == []


def test_browser_compares_printed_output_exactly_like_the_python_grader(shipped_script):
    from lrcourse.quiz.check import same_output

    for expected, given in OUTPUT_CASES:
        in_browser = shipped_script.evaluate(
            "([a, b]) => window.lrcourseQuiz.sameOutput(a, b)", [expected, given]
        )
        assert in_browser == same_output(expected, given), (expected, given)
