"""Flashcards come from the banks' flashcard and explain questions only, beginner first, as safe HTML."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from lrcourse import flashcard_deck
from lrcourse.content.flashcards import deck_html, review_cards
from lrcourse.quiz.bank import bank_paths, load_bank
from lrcourse.quiz.model import Explain, Flashcard

FILES = Path(__file__).resolve().parents[1] / "files" / "flashcards"
ROOT = Path(__file__).resolve().parents[2]


def test_only_flashcard_and_explain_questions_become_cards():
    cards = review_cards(FILES / "mixed-types")
    assert {card.id for card in cards} == {
        "sample.card-easy",
        "second.card-easy",
        "sample.explain-medium",
        "sample.card-hard",
    }


def test_cards_run_beginner_to_advanced_then_by_chapter():
    cards = review_cards(FILES / "mixed-types")
    assert [card.id for card in cards] == [
        "sample.card-easy",
        "second.card-easy",
        "sample.explain-medium",
        "sample.card-hard",
    ]


def test_graded_keys_solutions_and_hints_never_reach_the_deck():
    page = deck_html(review_cards(FILES / "mixed-types"))
    for leaked in re.findall(r"[A-Z]+-(?:FEEDBACK|SOLUTION|MISTAKE|HINT|OUTPUT|REFERENCE)", page):
        pytest.fail(f"graded material in the deck: {leaked}")
    for graded in ("SINGLE-OPTION-B", "PREDICT-OUTPUT", "CODE-REFERENCE", "EXPLAIN-MODEL-ANSWER"):
        assert graded not in page
    # What a card is for does reach it: front, back, and an explain question's public checklist.
    for shown in ("EASY-FRONT", "EASY-BACK", "HARD-BACK", "EXPLAIN-PROMPT", "EXPLAIN-POINT-2"):
        assert shown in page


class _DetailsCounter(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.details = 0
        self.summaries_in_details = 0
        self.tags: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        if tag == "details":
            self.details += 1
        if tag == "summary" and self.stack and self.stack[-1] == "details":
            self.summaries_in_details += 1
        self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1:]}>"
        self.stack.pop()


def test_every_card_is_a_details_element_that_turns_without_a_script():
    parser = _DetailsCounter()
    parser.feed(deck_html(review_cards(FILES / "mixed-types")))
    assert parser.stack == []
    assert parser.details == 4
    assert parser.summaries_in_details == 4
    assert "script" not in parser.tags


def test_markup_in_a_card_is_shown_as_text():
    page = deck_html(review_cards(FILES / "markup-in-card--escaped"))
    parser = _DetailsCounter()
    parser.feed(page)
    assert parser.tags <= {"div", "p", "section", "h2", "span", "details", "summary", "code"}
    assert "&lt;script&gt;alert(&#x27;front&#x27;)&lt;/script&gt;" in page
    assert "<code>a&lt;b&gt;</code>" in page
    assert "&lt;img src=x onerror=alert(&#x27;back&#x27;)&gt; &amp; done" in page
    assert "Markup &lt;b&gt;in&lt;/b&gt; a title" in page


def test_the_course_deck_holds_every_card_of_every_bank():
    expected = set()
    for path in bank_paths(ROOT / "quizzes"):
        for question in load_bank(path).bank.questions:
            if isinstance(question, (Flashcard, Explain)):
                expected.add(question.id)
    deck = flashcard_deck(ROOT / "quizzes")
    assert {card.id for card in deck.cards} == expected
    assert sum(deck.counts().values()) == len(expected) > 0
    html = deck._repr_html_()
    assert html.count('<details class="lrc-card"') == len(expected)


def test_static_script_and_style_make_no_network_request():
    for name in ("flashcards.js", "flashcards.css", "cheat-sheet.css"):
        text = (ROOT / "lrcourse" / "static" / name).read_text(encoding="utf-8")
        assert not re.search(r"https?://|//cdn|@import|fetch\(|XMLHttpRequest", text), name
