"""One object, two faces: a live ipywidget in JupyterLab and a kernel-free twin in the static book.

A notebook cell's result is stored with several MIME types. JupyterLab shows the richest one it
can render, the widget view. The book is configured (``_config.yml``,
``nb_mime_priority_overrides``) to drop the widget view, which cannot run without a kernel, and to
show the ``text/html`` twin instead: markup plus data, brought to life by JavaScript that ships
with the site (``lrcourse/static/``), so it works offline.
"""

from __future__ import annotations

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
