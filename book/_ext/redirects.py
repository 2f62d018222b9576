"""Sphinx extension: a page that moved leaves a redirect at its old address (sphinx-reredirects).

Until issue 16 each chapter had two pages (``book/<slug>.html`` and its notebook); the notebook is
now the chapter's one page. A bookmark or a link to an old address lands on a small page that
sends the reader on (``<meta http-equiv="refresh">``, plus a plain link when refresh is off:
``book/_ext/redirect.html``, whose empty inline icon keeps the browser from asking for a
missing ``/favicon.ico``, a 404 in the console). Moves are listed in ``_config.yml`` as docnames
(``lrcourse_redirects: {old: new}``); this extension turns them into sphinx-reredirects' relative
``redirects`` and checks them: a move to a page that is not in the book, or from a page that still
is one, is a build warning and writes nothing (sphinx-reredirects would overwrite a real page).
"""

from __future__ import annotations

import posixpath
from typing import Any

from sphinx.util import logging

logger = logging.getLogger(__name__)

#: The page left at an old address; ``${to_uri}`` is sphinx-reredirects' placeholder.
TEMPLATE = "book/_ext/redirect.html"


def relative_target(old: str, new: str) -> str:
    """Return the address of ``new``.html relative to the folder of ``old``.html."""
    return posixpath.relpath(f"{new}.html", posixpath.dirname(old) or ".")


def checked_redirects(redirects: dict[str, str], docs: set[str]) -> dict[str, str]:
    """Return ``{old: relative target}`` for each move that is sound; warn about the others."""
    sound = {}
    for old, new in redirects.items():
        if new not in docs:
            logger.warning("redirect %s -> %s: %s is not a page of the book", old, new, new)
        elif old in docs:
            logger.warning("redirect %s -> %s: %s is still a page of the book", old, new, old)
        else:
            sound[old] = relative_target(old, new)
    return sound


def with_root_index(redirects: dict[str, str], root_doc: str) -> dict[str, str]:
    """Add the site root (``index.html``) as a move to ``root_doc`` when the book's root is elsewhere.

    sphinx-external-toc writes that redirect itself, but only when no ``index.html`` exists, and
    without an icon: the browser then asks for ``/favicon.ico``, a 404 in the console. Written
    here it uses our template (sphinx-external-toc then leaves it alone).
    """
    if root_doc == "index" or "index" in redirects:
        return dict(redirects)
    return {"index": root_doc, **redirects}


def _configure(app: Any, config: Any) -> None:
    # sphinx-reredirects reads `redirects` and the template when it writes, at html-collect-pages.
    if not config.redirect_html_template_file:
        config.redirect_html_template_file = TEMPLATE
    config.lrcourse_redirects = with_root_index(config.lrcourse_redirects, config.master_doc)
    config.redirects = {
        old: relative_target(old, new) for old, new in config.lrcourse_redirects.items()
    }


def _check(app: Any) -> list[Any]:
    # Runs before sphinx-reredirects' own html-collect-pages handler (lower priority number).
    sound = checked_redirects(app.config.lrcourse_redirects, app.env.found_docs)
    for old in list(app.config.redirects):
        if old not in sound:
            del app.config.redirects[old]
    return []


def setup(app: Any) -> dict[str, Any]:
    app.setup_extension("sphinx_reredirects")
    app.add_config_value("lrcourse_redirects", {}, "html")
    # After sphinx-external-toc (priority 900) has made the first page of _toc.yml the root.
    app.connect("config-inited", _configure, priority=950)
    app.connect("html-collect-pages", _check, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
