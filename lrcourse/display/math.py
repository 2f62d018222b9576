"""LaTeX as MathML: formulas the browser draws itself, with no script and nothing to download.

Used by the explorers (a scheduler's rule above its controls) and by the book's build
(``book/_ext/mathml.py``), so a formula looks the same in both.
"""

from __future__ import annotations

import html

from latex2mathml.converter import convert


def mathml(latex: str, *, display: str = "inline") -> str:
    """Return ``latex`` as a ``<math>`` element that keeps the LaTeX in ``alttext``.

    ``display`` is ``"inline"`` or ``"block"``. latex2mathml raises on LaTeX it cannot read.
    """
    latex = latex.strip()
    element = convert(latex, display=display)
    return element.replace("<math ", f'<math alttext="{html.escape(latex)}" ', 1)
