"""Sphinx extension: fix what the theme writes into every page, once the pages are written.

- The sidebar's chapter toggles are ``<summary>`` elements holding only an icon, so a screen
  reader announces nothing (axe-core's ``summary-name``, serious): each gets an ``aria-label``
  naming the chapter it opens.
- sphinx-thebe's configuration ``<script>`` is emitted twice on each page, and the second copy
  throws ``Identifier 'THEBE_JS_URL' has already been declared`` in the console: the copy goes.
- myst-nb gives a cell's figure its file path as ``alt``. A course figure's PNG carries its own
  description (``lrcourse.display.figure.CourseFigure``): that becomes the ``alt``; any other
  figure is named after the section it sits in.

Both are fixed in the written HTML because the templates that emit them belong to the themes;
each fix is a no-op when a theme update stops producing the problem.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

#: A sidebar entry: the chapter link, then its toggle (pydata-sphinx-theme's toctree markup).
_TOGGLE = re.compile(
    r'(<a class="[^"]*reference internal[^"]*"[^>]*>(?P<title>[^<]*)</a>\s*<details[^>]*>\s*)<summary>'
)
_THEBE_CONFIG = re.compile(r"<script>\s*const THEBE_JS_URL = .*?</script>\s*", re.DOTALL)


def name_toggles(page: str) -> str:
    """Return ``page`` with an ``aria-label`` on each sidebar toggle that has no accessible name."""

    def label(match: re.Match[str]) -> str:
        title = html.unescape(match["title"]).strip()
        name = html.escape(f"Sections of {title}", quote=True)
        return f'{match[1]}<summary aria-label="{name}">'

    return _TOGGLE.sub(label, page)


def drop_repeated_thebe_config(page: str) -> str:
    """Return ``page`` with only the first of identical sphinx-thebe configuration scripts."""
    seen: set[str] = set()

    def keep_first(match: re.Match[str]) -> str:
        text = match[0].strip()
        if text in seen:
            return ""
        seen.add(text)
        return match[0]

    return _THEBE_CONFIG.sub(keep_first, page)


_IMAGE = re.compile(r'<img alt="(?P<alt>[^"]*)" src="(?P<src>[^"]+\.png)"')
_HEADING = re.compile(r"<h[1-6][^>]*>(?P<text>.*?)</h[1-6]>", re.DOTALL)
_TAG = re.compile(r"<[^>]+>")


def png_description(path: Path) -> str:
    """Return the ``Description`` text a PNG carries (matplotlib's ``metadata``), or ""."""
    from PIL import Image  # matplotlib's own dependency

    try:
        with Image.open(path) as image:
            return str(image.text.get("Description", "")) if hasattr(image, "text") else ""
    except OSError:
        return ""


def describe_images(page: str, folder: Path) -> str:
    """Return ``page`` with each image whose ``alt`` is its own path described instead."""

    def describe(match: re.Match[str]) -> str:
        if match["alt"] != match["src"]:
            return match[0]
        text = png_description(folder / match["src"])
        if not text:
            headings = [h["text"] for h in _HEADING.finditer(page, 0, match.start())]
            section = " ".join(_TAG.sub("", html.unescape(headings[-1])).replace("#", "").split())
            text = f"Figure in the section “{section}”" if headings else "Figure"
        return f'<img alt="{html.escape(text, quote=True)}" src="{match["src"]}"'

    return _IMAGE.sub(describe, page)


def polish_pages(app: Any, exception: Exception | None) -> None:
    """Rewrite every written HTML page in place (after a successful HTML build)."""
    if exception is not None or app.builder.format != "html":
        return
    for path in Path(app.outdir).rglob("*.html"):
        before = path.read_text(encoding="utf-8")
        after = drop_repeated_thebe_config(name_toggles(before))
        after = describe_images(after, path.parent)
        if after != before:
            path.write_text(after, encoding="utf-8")


def setup(app: Any) -> dict[str, Any]:
    """Register the rewrite to run once the build has finished."""
    app.connect("build-finished", polish_pages)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
