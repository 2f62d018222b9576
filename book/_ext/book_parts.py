"""Sphinx extension: draw the parts a notebook stores as key-free data (a quiz) into the page.

A quiz cell stores no quiz: ``lrcourse.show_quiz`` leaves the widget view (drawn by a running
kernel), a line asking to run the cell, and the bank's name with its question ids under
``application/vnd.lrcourse.book-part+json`` (:class:`lrcourse.display.dual_view.BookPart`).
JupyterLab cannot draw that type, so an unrun notebook shows the line, never a dead quiz or an
answer. This extension teaches myst-nb the type: the page gets the quiz HTML that ``quiz.js``
grades, built here from the bank, with keys computed from torch at build time (they are in the
built page, which grades in the reader's browser, and in no notebook). ``_config.yml`` ranks the
type above the widget view for HTML.
"""

from __future__ import annotations

import json
from typing import Any

from docutils import nodes
from myst_nb.core.render import MimeData, NbElementRenderer

from lrcourse.display.dual_view import BOOK_PART_MIME
from lrcourse.quiz.show import book_part_html


def _render(data: MimeData) -> list[nodes.Element]:
    content = data.content
    stored = json.loads(content) if isinstance(content, str | bytes) else content
    return [nodes.raw(text=book_part_html(stored), format="html", classes=["output", "text_html"])]


def setup(app: Any) -> dict[str, Any]:
    """Wrap myst-nb's block renderer so that it draws :data:`BOOK_PART_MIME` outputs."""
    original = NbElementRenderer.render_mime_type
    if not getattr(original, "lrcourse_book_parts", False):

        def render_mime_type(self: NbElementRenderer, data: MimeData) -> list[nodes.Element]:
            if data.mime_type == BOOK_PART_MIME:
                return _render(data)
            return original(self, data)

        render_mime_type.lrcourse_book_parts = True  # type: ignore[attr-defined]
        NbElementRenderer.render_mime_type = render_mime_type  # type: ignore[method-assign]
    return {"parallel_read_safe": True, "parallel_write_safe": True}
