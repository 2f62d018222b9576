"""Sphinx extension: a page that moved leaves a redirect at its old address.

Until issue 16 each chapter had two pages (``book/<slug>.html`` and its notebook); the notebook is
now the chapter's one page. A bookmark or a link to an old address lands on a small page that
sends the reader on (``<meta http-equiv="refresh">``, plus a plain link when refresh is off).
Moves are listed in ``_config.yml`` (``lrcourse_redirects: {old: new}``, docnames); a move to a
page that is not in the book is a build warning, and a redirect never overwrites a real page.
"""

from __future__ import annotations

import html
import posixpath
from pathlib import Path
from typing import Any

from sphinx.util import logging

logger = logging.getLogger(__name__)


def redirect_page(old: str, new: str) -> str:
    """The HTML left at ``old``.html, pointing (relatively) at ``new``.html."""
    target = posixpath.relpath(f"{new}.html", posixpath.dirname(old) or ".")
    href = html.escape(target, quote=True)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="refresh" content="0; url={href}">\n'
        f'<link rel="canonical" href="{href}">\n<title>This page has moved</title>\n</head>\n'
        f'<body><p>This page has moved: <a href="{href}">{href}</a>.</p></body>\n</html>\n'
    )


def write_redirects(app: Any, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    for old, new in app.config.lrcourse_redirects.items():
        if new not in app.env.found_docs:
            logger.warning("redirect %s -> %s: %s is not a page of the book", old, new, new)
            continue
        if old in app.env.found_docs:
            logger.warning("redirect %s -> %s: %s is still a page of the book", old, new, old)
            continue
        page = Path(app.outdir) / f"{old}.html"
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(redirect_page(old, new), encoding="utf-8")


def setup(app: Any) -> dict[str, Any]:
    app.add_config_value("lrcourse_redirects", {}, "html")
    app.connect("build-finished", write_redirects)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
