"""Read a typed answer the way a person means it: one parser for Python and the book's browser.

A learner writes the same values many ways: ``0.1 0.05``, ``[0.1, 0.05]``, ``0.1; 0.05``,
``['1e-03', '1e-02']``, ``1e-3 1e-2`` or ``0.001 0.010``. This module cuts an answer into tokens
at whitespace, commas, semicolons and brackets, drops the quotes around a token, and reads a token
as a number when it is one (signs, decimals with or without leading/trailing digits, scientific
notation). ``check.py`` grades with it; ``lrcourse/static/answers.js`` is its line-for-line twin
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
