"""One object, two faces: a live ipywidget in JupyterLab and a kernel-free twin in the static book.

A notebook cell's result is stored with several MIME types. JupyterLab shows the richest one it
can render, the widget view. The book is configured (``_config.yml``,
``nb_mime_priority_overrides``) to drop the widget view, which cannot run without a kernel, and to
show the ``text/html`` twin instead: markup plus data, brought to life by JavaScript that ships
with the site (``lrcourse/static/``), so it works offline.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as widgets


class DualView:
    """Display ``widget`` in a kernel and ``static_html`` in the static book.

    ``static_html`` must be self-contained apart from the scripts in ``lrcourse/static/`` that the
    book loads on every page: no CDN, no kernel.
    """

    def __init__(self, widget: widgets.Widget, static_html: str) -> None:
        self.widget = widget
        self.static_html = static_html

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        bundle = dict(self.widget._repr_mimebundle_(include=include, exclude=exclude) or {})
        bundle["text/html"] = self.static_html
        return bundle


#: The MIME type of a part the book's build draws (``book/_ext/book_parts.py``) from key-free data.
BOOK_PART_MIME = "application/vnd.lrcourse.book-part+json"


class BookPart:
    """Display ``widget`` in a kernel; store only key-free ``data`` and a "run this cell" line.

    For a part that must not act or hold an answer before its cell runs (a quiz): the notebook
    stores the widget view (a kernel draws it), ``data`` under :data:`BOOK_PART_MIME` (what
    to draw, e.g. a bank and question ids: no key, no solution) and ``text`` as ``text/plain``.
    JupyterLab has no renderer for the book's type and, before the cell runs, no widget to show,
    so it shows ``text``; the book's build turns ``data`` into the part (for a quiz, the HTML
    ``quiz.js`` grades, with keys computed from torch at build time, in the page and nowhere else).
    """

    def __init__(
        self,
        widget: widgets.Widget,
        data: dict[str, Any],
        text: str,
        render: Callable[[dict[str, Any]], str],
    ) -> None:
        self.widget = widget
        self.data = data
        self.text = text
        self.render = render  # data -> the book's HTML (what the build calls)

    @property
    def static_html(self) -> str:
        """Return the HTML the book's build draws from the stored data (keys included)."""
        return self.render(self.data)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        bundle = dict(self.widget._repr_mimebundle_(include=include, exclude=exclude) or {})
        bundle.pop("text/html", None)
        bundle[BOOK_PART_MIME] = self.data
        bundle["text/plain"] = self.text
        return bundle
