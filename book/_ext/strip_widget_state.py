"""Sphinx extension: keep stored ipywidgets state out of the built book.

When jupyter-cache executes a notebook it saves the state of every widget the notebook made in
the notebook's ``widgets`` metadata, and myst-nb writes it into the page as an
``application/vnd.jupyter.widget-state+json`` script (plus, if configured, a CDN loader for it).
The book never renders live widgets (each explorer shows its kernel-free twin instead), so that
state is dead weight. This handler runs before myst-nb adds a page's scripts and drops it.
"""

from __future__ import annotations

from typing import Any

WIDGET_KEYS_PREFIX = "ipywidgets"


def drop_widget_state(app: Any, pagename: str, *_args: Any) -> None:
    """Remove myst-nb's widget-state (and widget loader) scripts registered for ``pagename``."""
    metadata = getattr(app.env, "nb_metadata", {}).get(pagename, {})
    js_files = metadata.get("js_files", {})
    for key in [k for k in js_files if k.startswith(WIDGET_KEYS_PREFIX)]:
        del js_files[key]


def setup(app: Any) -> dict[str, Any]:
    """Register the handler ahead of myst-nb's own html-page-context handler (priority 500)."""
    app.connect("html-page-context", drop_widget_state, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
