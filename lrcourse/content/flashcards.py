"""Flashcards for recall and review, generated from the chapters' quiz banks.

A card comes from a bank's ``flashcard`` questions (front and back as written) and from its
``explain`` questions (the prompt on the front, the public checklist of what a good answer covers
on the back). Graded questions with keys (choice, numeric, predict, code, fix-loop) never become
cards: their answers stay out of the deck. Cards are ordered beginner → advanced (easy, medium,
hard), then by chapter, then as they appear in the bank.

The deck renders as plain HTML: each card is a ``<details>`` element, which turns with a click,
Enter or Space in any browser without a kernel or a script. ``lrcourse/static/flashcards.js`` adds
arrow-key navigation and "knew it / review again" marks kept in the browser's localStorage.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from lrcourse.quiz.bank import bank_paths, load_bank, quiz_dir
from lrcourse.quiz.errors import QuizBankError
from lrcourse.quiz.model import Difficulty, Explain, Flashcard

#: The decks, beginner → advanced, keyed by the banks' ``difficulty``.
LEVELS: tuple[tuple[Difficulty, str], ...] = (
    ("easy", "Beginner"),
    ("medium", "Intermediate"),
    ("hard", "Advanced"),
)
_LEVEL_RANK = {difficulty: rank for rank, (difficulty, _) in enumerate(LEVELS)}


@dataclass(frozen=True)
class ReviewCard:
    """One flashcard: a question to recall on the front, what to remember on the back."""

    id: str
    chapter: int
    chapter_title: str
    difficulty: Difficulty
    topics: tuple[str, ...]
    front: str
    #: Markdown lines of the back (one line for a flashcard, the checklist for an explain).
    back: tuple[str, ...]
    #: ``"flashcard"`` or ``"explain"``: the bank question type the card came from.
    source_type: str


def review_cards(folder: Path | None = None) -> list[ReviewCard]:
    """Return the cards of every chapter bank in ``folder`` (default: the course's quizzes/), beginner first."""
    cards: list[tuple[int, int, ReviewCard]] = []
    for path in bank_paths(folder):
        loaded = load_bank(path)
        bank = loaded.bank
        for position, question in enumerate(bank.questions):
            back: tuple[str, ...]
            if isinstance(question, Flashcard):
                front, back = question.front, (question.back,)
            elif isinstance(question, Explain):
                front, back = question.prompt, tuple(question.checklist)
            else:
                continue
            card = ReviewCard(
                id=question.id,
                chapter=bank.chapter,
                chapter_title=bank.title,
                difficulty=question.difficulty,
                topics=tuple(question.topics),
                front=front.strip(),
                back=tuple(line.strip() for line in back),
                source_type=question.type,
            )
            cards.append((bank.chapter, position, card))
    cards.sort(key=lambda item: (_LEVEL_RANK[item[2].difficulty], item[0], item[1]))
    return [card for _, _, card in cards]


_CODE_SPAN = re.compile(r"`([^`]+)`")


def inline_markdown_html(text: str) -> str:
    """Return ``text`` HTML-escaped, with `backtick` spans as ``<code>``; line breaks become spaces."""
    escaped = html.escape(" ".join(line.strip() for line in text.strip().splitlines()))
    return _CODE_SPAN.sub(r"<code>\1</code>", escaped)


def _card_html(card: ReviewCard) -> str:
    dom_id = "lrc-card-" + re.sub(r"[^a-z0-9-]", "-", card.id)
    if card.source_type == "explain":
        items = "".join(f"<li>{inline_markdown_html(line)}</li>" for line in card.back)
        back = f"<p>A good answer covers:</p><ul>{items}</ul>"
    else:
        back = "".join(f"<p>{inline_markdown_html(line)}</p>" for line in card.back)
    topics = html.escape(", ".join(card.topics))
    chapter = html.escape(f"Chapter {card.chapter}: {card.chapter_title}")
    return (
        f'<details class="lrc-card" id="{dom_id}" data-card-id="{html.escape(card.id)}">'
        f'<summary class="lrc-card-front">{inline_markdown_html(card.front)}'
        f'<span class="lrc-card-source">{chapter} · {topics}</span></summary>'
        f'<div class="lrc-card-back">{back}</div>'
        "</details>"
    )


def deck_html(cards: Iterable[ReviewCard]) -> str:
    """Return the deck as self-contained HTML: one section per level, one ``<details>`` per card."""
    cards = list(cards)
    sections = []
    for difficulty, level in LEVELS:
        level_cards = [card for card in cards if card.difficulty == difficulty]
        if not level_cards:
            continue
        body = "\n".join(_card_html(card) for card in level_cards)
        sections.append(
            f'<section class="lrc-deck" data-level="{difficulty}" aria-label="{level} cards">'
            f'<h2 class="lrc-deck-title">{level} <span class="lrc-deck-count">'
            f"({len(level_cards)} cards)</span></h2>\n{body}\n</section>"
        )
    return (
        '<div class="lrc-flashcards">\n'
        '<p class="lrc-flashcards-help">Click a card, or press Enter or Space on it, to turn it. '
        "Arrow keys move between cards.</p>\n" + "\n".join(sections) + "\n</div>"
    )


@dataclass(frozen=True)
class FlashcardDeck:
    """The course's flashcards; displays as the HTML deck in Jupyter and in the built book."""

    cards: tuple[ReviewCard, ...]

    def _repr_html_(self) -> str:
        return deck_html(self.cards)

    def counts(self) -> dict[str, int]:
        """Return how many cards each level holds, beginner first."""
        return {
            difficulty: sum(card.difficulty == difficulty for card in self.cards)
            for difficulty, _ in LEVELS
        }


def flashcard_deck(folder: Path | None = None) -> FlashcardDeck:
    """Return the flashcard deck built from every chapter bank in ``folder`` (default: quizzes/).

    Raise :class:`~lrcourse.quiz.errors.QuizBankError` when the banks are missing or hold no
    flashcard or explain question: an empty deck on the page would hide a broken install.
    """
    cards = tuple(review_cards(folder))
    if not cards:
        raise QuizBankError(
            [f"{folder or quiz_dir()}: no flashcard or explain questions in its banks"]
        )
    return FlashcardDeck(cards)
