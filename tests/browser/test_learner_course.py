"""Issue 26 in the built book, as a learner meets it: a format slip is a message, not an attempt;
an explain question shows its checklist only after the learner writes, and keeps the text on a
reload; what answers a prediction (the next figure or table too) waits behind the same click; quiz
Markdown draws tables. Light, dark and phone; axe stays at 0 serious/critical on what is shown."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import LOOKS, page_in_look

CHAPTER_ONE = "notebooks/01_learning_rate.html"
CHAPTER_SEVEN = "notebooks/07_finding_a_learning_rate.html"


@pytest.fixture(params=LOOKS, ids=lambda p: "-".join(p))
def tab(request, browser, site):
    with page_in_look(browser, site, request.param) as page:
        yield page


def _serious_axe(page, selector: str) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    result = Axe().run(page, context=selector)
    return [
        f"{v['id']}: {v['nodes'][0]['html'][:80]}"
        for v in result.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def _question(page, qid: str):
    return page.locator(f'section.lrquiz-q[data-qid="{qid}"]')


def test_a_format_slip_is_a_message_not_an_attempt(tab):
    tab.goto(f"{tab.site}/{CHAPTER_ONE}", wait_until="networkidle")
    score = tab.locator('div.lrquiz[data-bank="01-learning-rate"] .lrquiz-score')
    before = score.inner_text()
    numeric = _question(tab, "lr-basics.one-sgd-step")
    box = numeric.get_by_label("Your answer (value of w)")
    feedback = numeric.locator(".lrquiz-feedback")
    for typed, message in [
        ("1,6", "Write decimals with a dot"),
        ("lr = 1.6", "Type only the value"),
        ("1 - 0.001", "Work the value out"),
    ]:
        box.fill(typed)
        box.press("Enter")
        assert feedback.inner_text().startswith(message), typed
        assert "lrquiz-wrong" not in feedback.get_attribute("class")
        assert numeric.get_attribute("data-score") is None
        assert not numeric.locator(".lrquiz-solution").is_visible()
    predict = _question(tab, "steplr.after-three-steps")
    predict.get_by_label("What does it print?").fill("lr = 0.025")
    predict.get_by_role("button", name="Check").click()
    assert predict.locator(".lrquiz-feedback").inner_text().startswith("Type only the value")
    assert predict.get_attribute("data-score") is None
    assert score.inner_text() == before  # nothing counted as answered
    assert _serious_axe(tab, "div.lrquiz") == []
    tab.reload(wait_until="networkidle")
    assert box.input_value() == ""  # nothing was saved
    box.fill("1.6")
    box.press("Enter")
    assert numeric.locator(".lrquiz-feedback").inner_text().startswith("Right")


def test_an_explanation_opens_the_checklist_and_survives_a_reload(tab):
    tab.goto(f"{tab.site}/{CHAPTER_ONE}", wait_until="networkidle")
    explain = _question(tab, "lr-basics.why-schedule")
    checklist = explain.locator(".lrquiz-checklist")
    assert not checklist.is_visible() and not explain.locator(".lrquiz-solution").is_visible()
    assert "noise floor" not in explain.inner_text()  # the model answer is not in view
    compare = explain.get_by_role("button", name="Compare with the model answer")
    compare.click()
    assert explain.locator(".lrquiz-feedback").inner_text().startswith("Write your explanation")
    assert not checklist.is_visible()
    words = "Noise keeps a constant rate hovering; decaying it lowers the floor."
    explain.get_by_label("Your explanation (saved in this browser)").fill(words)
    tab.reload(wait_until="networkidle")
    box = explain.get_by_label("Your explanation (saved in this browser)")
    assert box.input_value() == words and not checklist.is_visible()
    compare.click()
    assert checklist.is_visible() and "noise floor" in checklist.inner_text()
    assert explain.locator(".lrquiz-solution").is_visible()
    assert _serious_axe(tab, f"#{explain.get_attribute('id')}") == []
    tab.reload(wait_until="networkidle")
    assert box.input_value() == words and checklist.is_visible()  # compared stays compared


def test_what_answers_a_prediction_waits_behind_the_same_click(tab):
    tab.goto(f"{tab.site}/{CHAPTER_ONE}", wait_until="networkidle")
    reveals = tab.locator("details.lrc-reveal")
    assert reveals.count() >= 1
    folded = tab.locator(".lrc-folded")
    assert folded.count() >= 1, "the output after the answering one is folded with it"
    groups_js = """() => Array.from(document.querySelectorAll('details.lrc-reveal')).map(d => {
        let n = d.closest('.cell').nextElementSibling, hidden = [];
        while (n && (n.classList.contains('lrc-folded') || n.classList.contains('lrc-folded-note'))) {
            if (n.classList.contains('lrc-folded')) hidden.push(n.hidden);
            n = n.nextElementSibling;
        }
        return hidden;
    })"""
    groups = tab.evaluate(groups_js)
    assert any(groups) and all(all(group) for group in groups)  # folded until opened
    first = next(i for i, group in enumerate(groups) if group)
    reveal = reveals.nth(first)
    reveal.locator("summary").click()
    assert reveal.locator(".cell_output").is_visible()
    tab.wait_for_function(f"({groups_js})()[{first}].every(hidden => !hidden)")
    assert not any(tab.evaluate(groups_js)[first])  # the whole group opened with one click
    assert _serious_axe(tab, ".bd-article") == []


def test_quiz_markdown_draws_tables(tab):
    tab.goto(f"{tab.site}/{CHAPTER_SEVEN}", wait_until="networkidle")
    question = _question(tab, "lr-range.steepest-interval")
    table = question.locator(".lrquiz-prompt table")
    assert table.count() == 1 and "| lr |" not in question.inner_text()
    assert table.locator("th").first.inner_text() == "lr"
    assert _serious_axe(tab, f"#{question.get_attribute('id')}") == []


def test_equations_are_centred_code_fits_100_columns_and_names_stay_whole(tab):
    tab.goto(f"{tab.site}/{CHAPTER_ONE}", wait_until="networkidle")
    offsets = tab.evaluate(
        """() => Array.from(document.querySelectorAll('.bd-article div.math > math')).map(m => {
            const box = m.parentElement.getBoundingClientRect(), eq = m.getBoundingClientRect();
            return Math.abs((eq.left + eq.right) / 2 - (box.left + box.right) / 2) / box.width;
        })"""
    )
    assert offsets and max(offsets) < 0.05, offsets  # was flush right (row-reverse)
    tab.goto(f"{tab.site}/notebooks/02_scheduler_family.html", wait_until="networkidle")
    rows = tab.evaluate(
        """() => Array.from(document.querySelectorAll('.bd-article div.cell_input pre')).map(pre =>
            [Math.max(...pre.innerText.split('\\n').map(l => l.length)),
             pre.scrollWidth > pre.clientWidth + 1])"""
    )
    if tab.viewport_size["width"] >= 1200:  # on a phone a long line scrolls inside its box
        assert [r for r in rows if r[0] <= 100 and r[1]] == []
    broken = tab.evaluate(
        """() => Array.from(document.querySelectorAll('.bd-article table code span.pre'))
            .filter(s => s.getClientRects().length > 1).map(s => s.textContent)"""
    )
    assert broken == []  # "Multiplicati veLR" no more
    assert _serious_axe(tab, ".bd-article") == []


def test_explorer_legends_fit_overlaps_show_and_columns_name_their_quantity(tab):
    tab.goto(f"{tab.site}/notebooks/03_steplr_vs_multisteplr.html", wait_until="networkidle")
    overflow = tab.evaluate(
        """() => Array.from(document.querySelectorAll('div.lrc-explorer svg')).flatMap(svg => {
            const right = svg.getBoundingClientRect().right;
            return Array.from(svg.querySelectorAll('text'))
                .filter(t => t.getBoundingClientRect().right > right + 1).map(t => t.textContent);
        })"""
    )
    assert overflow == []  # no legend or label cut by the frame
    dashed = tab.evaluate(
        """() => Array.from(document.querySelectorAll('div.lrc-explorer')).map(root =>
            Array.from(root.querySelectorAll('path.lrc-curve')).map(p => p.getAttribute('stroke-dasharray')))"""
    )
    compare = [curves for curves in dashed if len(curves) >= 2]
    assert compare and all(
        c[0] is None and c[1] for c in compare
    )  # StepLR solid, MultiStepLR dashed
    tab.goto(f"{tab.site}/{CHAPTER_ONE}", wait_until="networkidle")
    heads = tab.locator("div.lrc-explorer table th").all_inner_texts()
    assert any(h.startswith("loss (lr=") for h in heads) and not any(
        h.startswith("lr=") for h in heads
    )


def test_figures_are_not_dimmed_in_dark_mode_explorers_follow_the_theme_and_zoom(tab):
    tab.goto(f"{tab.site}/{CHAPTER_ONE}", wait_until="networkidle")
    dark = tab.evaluate("document.documentElement.dataset.theme") == "dark"
    figures = tab.locator(".bd-article div.cell_output img")
    assert figures.count() >= 1
    assert figures.evaluate_all("imgs => imgs.map(i => getComputedStyle(i).filter)") == ["none"] * (
        figures.count()
    )
    links = figures.evaluate_all("imgs => imgs.map(i => i.closest('a.lrc-figure-link')?.href)")
    assert all(links), "every figure opens at full size on a tap"
    text_fill = tab.evaluate(
        "getComputedStyle(document.querySelector('div.lrc-explorer svg text')).fill"
    )
    black = "rgb(0, 0, 0)"
    assert (text_fill != black) if dark else (text_fill == black)
    assert _serious_axe(tab, ".bd-article") == []


def test_the_dashboard_says_what_is_left_undoes_a_reset_and_carries_progress(tab, tmp_path):
    tab.goto(f"{tab.site}/{CHAPTER_ONE}", wait_until="networkidle")
    question = _question(tab, "lr-basics.where-lr-is-applied")
    question.get_by_label("optimizer.step()").check()
    question.get_by_role("button", name="Check").click()
    quiz = tab.locator('div.lrquiz[data-bank="01-learning-rate"]')
    quiz.get_by_role("button", name="Reset this quiz").click()
    assert quiz.locator(".lrquiz-score").inner_text().endswith("(0 answered)")
    quiz.get_by_role("button", name="Undo the reset").click()
    tab.wait_for_load_state("networkidle")
    assert (
        _question(tab, "lr-basics.where-lr-is-applied")
        .get_by_label("optimizer.step()")
        .is_checked()
    )

    tab.goto(f"{tab.site}/book/progress.html", wait_until="networkidle")
    row = tab.locator('.lrc-dashboard tr[data-bank="01-learning-rate"]')
    assert row.locator("[data-field=answered]").inner_text() == "1 of 8"
    lab = row.locator("[data-field=lab]").inner_text()  # code questions: done in the Lab
    assert lab.startswith("0 of ") and int(lab.split(" of ")[1]) >= 1
    assert "JupyterLab" in tab.locator(".lrc-dashboard").inner_text()
    with tab.expect_download() as download:
        tab.get_by_role("button", name="Export progress (JSON file)").click()
    exported = tmp_path / "progress.json"
    download.value.save_as(exported)
    tab.get_by_role("button", name="Forget every answer and flashcard mark in this browser").click()
    assert row.locator("[data-field=answered]").inner_text() == "0 of 8"
    tab.get_by_role("button", name="Undo: bring them back").click()
    assert row.locator("[data-field=answered]").inner_text() == "1 of 8"
    tab.get_by_role("button", name="Forget every answer and flashcard mark in this browser").click()
    bad = tmp_path / "notes.json"
    bad.write_text('{"something": "else"}')
    tab.get_by_label("Import progress from a file").set_input_files(bad)
    message = tab.locator(".lrc-dashboard-message")
    tab.wait_for_function(
        "document.querySelector('.lrc-dashboard-message').innerText.includes('nothing was changed')"
    )
    tab.get_by_label("Import progress from a file").set_input_files(exported)
    tab.get_by_role("button", name="Apply the import").click()
    tab.wait_for_function(
        "document.querySelector('.lrc-dashboard-message').innerText.startsWith('Imported')"
    )
    assert row.locator("[data-field=answered]").inner_text() == "1 of 8" and message.is_visible()
    assert _serious_axe(tab, ".lrc-dashboard") == []


def test_a_right_choice_says_right_once(tab):
    tab.goto(f"{tab.site}/{CHAPTER_ONE}", wait_until="networkidle")
    question = _question(tab, "lr-basics.where-lr-is-applied")
    question.get_by_label("optimizer.step()").check()
    question.get_by_role("button", name="Check").click()
    feedback = question.locator(".lrquiz-feedback").inner_text()
    assert feedback.startswith("Right: ") and feedback.count("Right") == 1  # not "Right. Right:"
    assert "lrquiz-right" in question.locator(".lrquiz-feedback").get_attribute("class")


def test_explorer_tables_count_epochs_and_batches_not_fractions(tab):
    tab.goto(f"{tab.site}/notebooks/02_scheduler_family.html", wait_until="networkidle")
    cells = tab.evaluate(
        """() => Array.from(document.querySelectorAll('div.lrc-explorer table.lrc-values')).flatMap(t => {
            const heads = Array.from(t.querySelectorAll('th')).map(h => h.textContent);
            const col = heads.indexOf('epoch');
            return col < 0 ? [] : Array.from(t.querySelectorAll('tbody tr'))
                .map(r => r.children[col].textContent);
        })"""
    )
    assert cells, "chapter 2's explorers show epoch columns"
    assert [c for c in cells if not re.fullmatch(r"\d+( \+ \d+/\d+)?", c)] == []
