"""Issue 26, item 6: progress carried between the book and JupyterLab in one portable file.

Answers given in the book are exported from its progress page, imported into the Lab's files by
``lrcourse.import_progress``; a better answer given in the Lab comes back the other way after a
preview and a confirmation. A bad file is one message naming it, and nothing changes. The book's
merge rules are held to ``lrcourse.quiz.transfer.merge`` on random records. Light and dark, desktop
and phone; axe stays at 0 serious/critical on the dashboard with the preview open.
"""

from __future__ import annotations

import dataclasses
import json
import random

import pytest

import lrcourse
from lrcourse.quiz import transfer
from lrcourse.quiz.progress import Progress
from tests.browser.conftest import LOOKS, page_in_look
from tests.browser.test_learner_course import CHAPTER_ONE, _question, _serious_axe

BANK = "01-learning-rate"
SINGLE = "lr-basics.where-lr-is-applied"
EXPLAIN = "lr-basics.why-schedule"
CODE = "lr-basics.weight-after-steps"
PROGRESS = "book/progress.html"


@pytest.fixture(params=LOOKS, ids=lambda p: "-".join(p))
def tab(request, browser, site):
    with page_in_look(browser, site, request.param, accept_downloads=True) as page:
        yield page


WORDS = "A large rate makes progress early; later noise sets a floor, so the rate is lowered."


def _row(tab):
    return tab.locator(f'.lrc-dashboard tr[data-bank="{BANK}"]')


def _message(tab, text: str) -> str:
    tab.wait_for_function(
        "t => document.querySelector('.lrc-dashboard-message').innerText.includes(t)", arg=text
    )
    return tab.locator(".lrc-dashboard-message").inner_text()


def test_book_to_lab_and_back(tab, tmp_path):
    tab.goto(f"{tab.site}/{CHAPTER_ONE}", wait_until="networkidle")
    single = _question(tab, SINGLE)
    single.get_by_label("loss.backward()").check()  # wrong in the book
    single.get_by_role("button", name="Check").click()
    explain = _question(tab, EXPLAIN)
    explain.get_by_label("Your explanation (saved in this browser)").fill(WORDS)
    explain.get_by_role("button", name="Compare with the model answer").click()

    # book -> file
    tab.goto(f"{tab.site}/{PROGRESS}", wait_until="networkidle")
    assert _row(tab).locator("[data-field=answered]").inner_text() == "1 of 8"
    with tab.expect_download() as download:
        tab.get_by_role("button", name="Export progress (JSON file)").click()
    exported = tmp_path / "from-book.json"
    download.value.save_as(exported)
    data = json.loads(exported.read_text())
    assert (data["format"], data["version"], data["exported_from"]) == (
        "lrcourse-progress",
        1,
        "book",
    )
    rows = data["banks"][BANK]
    assert rows[SINGLE]["answer"]["answer"] == ["backward"]
    assert rows[SINGLE]["answer"]["score"] == 0 and rows[SINGLE]["answer"]["updated"]
    assert (
        rows[EXPLAIN]["explanation"]["text"] == WORDS and rows[EXPLAIN]["explanation"]["compared"]
    )
    assert "step" not in json.dumps(rows[SINGLE])  # no key, no feedback

    # file -> the Lab's files
    lab = tmp_path / "lab"
    report = lrcourse.import_progress(exported, lab)
    assert report.result.count("added") == 2, str(report)
    saved = Progress.load(BANK, lab)
    assert saved.answers[SINGLE].answer == "backward" and saved.answers[SINGLE].score == 0
    assert saved.explanations[EXPLAIN].text == WORDS

    # a better answer in the Lab, and a code question only the Lab can check
    saved.record(SINGLE, "step", 1.0, True, "Right.")
    saved.record(CODE, "def weight_after_steps(): ...", 1.0, True, "Right.")
    back = lrcourse.export_progress(tmp_path / "from-lab.json", lab)

    # a bad file first: one message naming it, nothing changed
    bad = tmp_path / "notes.json"
    bad.write_text('{"something": "else"}')
    chooser = tab.get_by_label("Import progress from a file")
    chooser.set_input_files(bad)
    said = _message(tab, "nothing was changed")
    assert said.startswith("notes.json: not an lrcourse progress file")
    assert _row(tab).locator("[data-field=score]").inner_text() == "0 / 8"

    # file -> book: a preview, nothing changed until Apply
    chooser.set_input_files(back)
    said = _message(tab, "Nothing is changed until you apply it")
    assert "1 to add, 1 to replace" in said
    preview = tab.locator(".lrc-dashboard-preview")
    assert preview.is_visible()
    listed = preview.locator("li").all_inner_texts()
    assert f"{BANK} {SINGLE} answer: replaced (score 1 against 0)" in listed
    assert f"{BANK} {CODE} answer: added" in listed
    assert _row(tab).locator("[data-field=score]").inner_text() == "0 / 8"
    assert _serious_axe(tab, ".lrc-dashboard") == []
    tab.get_by_role("button", name="Apply the import").click()
    _message(tab, "Imported from-lab.json")
    assert not preview.is_visible()
    assert _row(tab).locator("[data-field=score]").inner_text() == "1 / 8"
    assert _row(tab).locator("[data-field=answered]").inner_text() == "1 of 8"
    assert _row(tab).locator("[data-field=lab]").inner_text().startswith("1 of ")

    # importing the same file again: all the same; Cancel changes nothing
    chooser.set_input_files(back)
    said = _message(tab, "Nothing is changed until you apply it")
    assert "0 to add, 0 to replace" in said
    tab.get_by_role("button", name="Cancel").click()
    _message(tab, "Import cancelled")

    # the chapter shows the Lab's answer, and the explanation is still there
    tab.goto(f"{tab.site}/{CHAPTER_ONE}", wait_until="networkidle")
    assert _question(tab, SINGLE).get_by_label("optimizer.step()").is_checked()
    box = _question(tab, EXPLAIN).get_by_label("Your explanation (saved in this browser)")
    assert box.input_value() == WORDS


def _random_records(rng: random.Random) -> dict:
    records: dict = {}
    for bank in ("b1", "b2"):
        for qid in ("q1", "q2", "q3"):
            for name in transfer.PARTS:
                if rng.random() < 0.5:
                    continue
                when = rng.choice([None, "2026-01-01T00:00:00.000Z", "2026-06-01T00:00:00.000Z"])
                if name == "answer":
                    score = rng.choice([0.0, 0.5, 1.0])
                    part = transfer.Answer(
                        [rng.choice("abc")], score, score == 1.0, rng.randint(1, 3), when
                    )
                elif name == "explanation":
                    part = transfer.Explanation(rng.choice("xy"), rng.random() < 0.5, when)
                else:
                    part = transfer.Flashcard(rng.random() < 0.5, when)
                records.setdefault(bank, {}).setdefault(qid, {})[name] = part
    return records


def _plain(records: dict) -> dict:
    return {
        bank: {q: {n: dataclasses.asdict(p) for n, p in parts.items()} for q, parts in qs.items()}
        for bank, qs in records.items()
    }


def test_the_book_merges_by_the_same_rules_as_python(tab):
    tab.goto(f"{tab.site}/{PROGRESS}", wait_until="networkidle")
    rng = random.Random(26)
    for _ in range(60):
        mine, theirs = _random_records(rng), _random_records(rng)
        want = transfer.merge(mine, theirs)
        got = tab.evaluate(
            "([m, t]) => window.lrcourseProgress.merge(m, t)", [_plain(mine), _plain(theirs)]
        )
        assert got["records"] == _plain(want.records)
        assert [
            (c["bank"], c["question"], c["part"], c["action"], c["why"]) for c in got["changes"]
        ] == [(c.bank, c.question, c.part, c.action, c.why) for c in want.changes]
    for text in ['{"format": "lrcourse-progress", "version": 2, "banks": {}}', "{oops", "[1]"]:
        said = tab.evaluate(
            "t => { try { window.lrcourseProgress.parseFile(t); return ''; }"
            " catch (e) { return e.message; } }",
            text,
        )
        try:
            transfer.parse(text)
        except ValueError as error:
            python = str(error)
        # the same words up to the detail (JSON's own message, "this book" / "this lrcourse")
        assert said.split(";")[0].split(" (")[0] == python.split(";")[0].split(" (")[0]
