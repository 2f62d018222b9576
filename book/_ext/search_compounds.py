"""Sphinx extension: "warm-up" and "warmup" find the same pages in the book's search.

Sphinx indexes ``warm-up`` as the two words ``warm`` and ``up``, so a search for ``warmup``
missed the 19 pages that spell it with a hyphen. Here every hyphenated word is also indexed
joined (``warm-up`` → ``warmup``), and ``lrcourse/static/book.js`` joins a hyphenated word in a
query the same way, so both spellings search for ``warmup``.
"""

from __future__ import annotations

import re
from typing import Any

from sphinx.search import languages
from sphinx.search.en import SearchEnglish

_COMPOUND = re.compile(r"\w+(?:-\w+)+")


def joined_compounds(text: str) -> list[str]:
    """Return each hyphenated word in ``text`` without its hyphens (``warm-up`` → ``warmup``)."""
    return [word.replace("-", "") for word in _COMPOUND.findall(text)]


class SearchEnglishCompounds(SearchEnglish):
    """English search whose words include every hyphenated compound, joined."""

    def split(self, input: str) -> list[str]:
        return super().split(input) + joined_compounds(input)


def setup(app: Any) -> dict[str, Any]:
    """Index English pages with :class:`SearchEnglishCompounds`."""
    languages["en"] = SearchEnglishCompounds
    return {"parallel_read_safe": True, "parallel_write_safe": True}
