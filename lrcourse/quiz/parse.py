"""Read a typed answer the way a person means it: one parser for Python and the book's browser.

A learner writes the same values many ways: ``0.1 0.05``, ``[0.1, 0.05]``, ``0.1; 0.05``,
``['1e-03', '1e-02']``, ``1e-3 1e-2`` or ``0.001 0.010``. This module cuts an answer into tokens
at whitespace, commas, semicolons and brackets, drops the quotes around a token, and reads a token
as a number when it is one (signs, decimals with or without leading/trailing digits, scientific
notation). :func:`format_problem` tells a format slip (``1,6``, ``lr = 1.6``, ``1 - 0.001``)
from a wrong answer: a slip gets a message and is not an attempt (not graded, not counted, the
solution stays shut), in the Lab and in the book alike. ``check.py`` grades with it; ``lrcourse/static/answers.js`` is its line-for-line twin
in the browser, and ``tests/quiz/test_parse.py`` runs both on the same cases (parity).
"""

from __future__ import annotations

import math
import re

#: What separates tokens: whitespace, commas, semicolons and any bracket.
TOKEN_SEPARATORS = re.compile(r"[\s,;\[\]\(\)\{\}]+")
#: Quotes a learner (or Python's ``repr`` of a string) puts around a token.
QUOTES = "'\"`"
#: A number as a person types it: ``5``, ``-0.05``, ``.5``, ``5.``, ``5e-2``, ``+1E+00``.
NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
#: Values torch prints that are not finite numbers: a prediction may name them.
NOT_FINITE = re.compile(r"^[+-]?(inf|nan)$", re.IGNORECASE)
#: A decimal comma (``1,6``): digits, a comma, digits, no space.
DECIMAL_COMMA = re.compile(r"\d,\d")
#: Arithmetic between two values (``1 - 0.001``, ``0.1*0.5``, ``1/20``).
ARITHMETIC = re.compile(r"[\d.)]\s*(\*\*|[-+*/^])\s*[\d.(]")


def answer_tokens(text: str) -> list[str]:
    """Return ``text`` cut at whitespace, commas, semicolons and brackets, each token unquoted."""
    tokens = []
    for piece in TOKEN_SEPARATORS.split(text.strip()):
        token = piece.strip(QUOTES)
        if token:
            tokens.append(token)
    return tokens


def token_number(token: str) -> float | None:
    """Return the number a token spells (``'1e-03'`` → 0.001), or None for a word.

    ``1e999`` reads as infinity, which every tolerance would "match": it is a word, compared as text.
    """
    token = token.strip(QUOTES)
    value = float(token) if NUMBER.match(token) else math.nan
    return value if math.isfinite(value) else None


def parse_number(text: str) -> float | None:
    """Return the one number in ``text`` (``" 5e-2 "``, ``"[0.05]"``, ``"'0.05'"``), else None."""
    tokens = answer_tokens(text)
    return token_number(tokens[0]) if len(tokens) == 1 else None


def is_blank(answer: object) -> bool:
    """Return True for an answer with nothing in it (None, ``""``, spaces, an empty list).

    A blank answer is not an attempt: it is neither graded nor counted as answered.
    """
    if answer is None:
        return True
    if isinstance(answer, str):
        return not answer.strip()
    if isinstance(answer, (list, tuple, set, frozenset)):
        return len(answer) == 0
    return False


def _slip_text(text: str, kind: str) -> str:
    """Return the message for an answer that is not in the form asked (see format_problem)."""
    typed = " ".join(text.split())
    shown = typed if len(typed) <= 40 else typed[:39] + "…"
    if "=" in text:
        return f"Type only the value, not an assignment: '{shown}' is not {kind}."
    if DECIMAL_COMMA.search(text):
        return f"Write decimals with a dot (1.6, not 1,6): '{shown}' is not {kind}."
    if ARITHMETIC.search(text):
        return f"Work the value out and type the result: '{shown}' is a calculation, not {kind}."
    return f"'{shown}' is not {kind}: type e.g. 0.05 or 5e-2."


def format_problem(kind: str, text: str, expected: str | None = None) -> str | None:
    """Return a message when typed ``text`` is not in the form a question asks, else None.

    ``kind`` is ``"numeric"`` (one number) or ``"predict"`` (what ``expected``, the printout,
    shows). A slip is a message, not an attempt: ``1,6`` (a decimal comma), ``lr = 1.6`` (an
    assignment) and ``1 - 0.001`` (a calculation) are not graded. A predicted printout slips only
    when torch prints values alone (no words) and the answer holds a word or an operator, or has
    a decimal comma and a count of values torch does not print; otherwise it is graded.
    """
    if kind == "numeric":
        return None if parse_number(text) is not None else _slip_text(text, "one number")
    if kind != "predict" or expected is None:
        return None
    values = answer_tokens(expected)
    if not values or not all(_is_value(token) for token in values):
        return None  # torch prints words too: any word may be a (wrong) prediction
    given = answer_tokens(text)
    if not all(_is_value(token) for token in given):
        return _slip_text(text, "a list of the values it prints")
    if DECIMAL_COMMA.search(text) and len(given) != len(values):
        return _slip_text(text, "a list of the values it prints")
    return None


def _is_value(token: str) -> bool:
    return token_number(token) is not None or bool(NOT_FINITE.match(token.strip(QUOTES)))
