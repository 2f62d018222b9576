"""Sphinx extension: math rendered as MathML when the book is built, so it needs no script.

The book must work offline, and MathJax from a CDN would not; MathML is drawn by the browser
itself. Each ``$...$`` and ``$$...$$`` of a page (MyST's ``dollarmath``) becomes a ``<math>``
element through ``latex2mathml``, with the LaTeX kept in ``alttext`` for assistive technology and
copying. In JupyterLab the same notebook cells are drawn by JupyterLab's bundled MathJax.

A formula ``latex2mathml`` cannot read is a build warning naming the page and line (the strict
build fails on it), never a silently missing formula.
"""

from __future__ import annotations

import html
from typing import Any

from docutils import nodes
from sphinx.util import logging

from lrcourse.display.math import mathml

logger = logging.getLogger(__name__)

RENDERER = "mathml"


def _render(node: nodes.Element, *, display: str) -> str | None:
    latex = node.astext()
    try:
        return mathml(latex, display=display)
    except Exception as error:  # latex2mathml raises many kinds; each is one unreadable formula
        logger.warning(
            "formula cannot be rendered as MathML (%s): $%s$",
            type(error).__name__,
            latex.strip(),
            location=node,
        )
        return None


def _write(translator: Any, node: nodes.Element, display: str, tags: tuple[str, str]) -> None:
    """Append the formula as MathML in ``tags[0]``, or its LaTeX as text in ``tags[1]``."""
    element = _render(node, display=display)
    if element is None:
        fallback = tags[1]
        translator.body.append(
            f'<{fallback} class="math">{html.escape(node.astext())}</{fallback}>'
        )
    else:
        tag = tags[0]
        translator.body.append(f'<{tag} class="math notranslate nohighlight">{element}</{tag}>')
    raise nodes.SkipNode


def visit_math(translator: Any, node: nodes.Element) -> None:
    _write(translator, node, "inline", ("span", "code"))


def visit_displaymath(translator: Any, node: nodes.Element) -> None:
    _write(translator, node, "block", ("div", "pre"))


def setup(app: Any) -> dict[str, Any]:
    app.add_html_math_renderer(RENDERER, (visit_math, None), (visit_displaymath, None))
    return {"parallel_read_safe": True, "parallel_write_safe": True}
