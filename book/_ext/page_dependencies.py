"""A Sphinx extension: rebuild pages generated from data files when those files change.

Some book pages are generated at build time from data outside the page (the flashcards from
``quizzes/*.yaml``, the cheat sheet from the pinned torch). Sphinx re-reads a page only when the
page itself changes, so after editing a bank an incremental build would keep the old cards. This
extension records the data files as the page's dependencies, so Sphinx re-reads (and myst-nb
re-executes, with ``execution_mode: force`` in the page's front matter) the page when they change.

Configure in ``_config.yml``::

    sphinx:
      local_extensions:
        page_dependencies: book/_ext/
      config:
        lrcourse_page_dependencies:
          book/flashcards: ["quizzes/*.yaml"]
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _note_dependencies(app: Any, docname: str, source: list[str]) -> None:
    patterns = app.config.lrcourse_page_dependencies.get(docname, ())
    root = Path(app.srcdir)
    for pattern in patterns:
        for path in sorted(root.glob(pattern)):
            app.env.note_dependency(str(path))


def setup(app: Any) -> dict[str, Any]:
    """Register the ``lrcourse_page_dependencies`` setting and the hook that applies it."""
    app.add_config_value("lrcourse_page_dependencies", {}, "env")
    app.connect("source-read", _note_dependencies)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
