"""book/_ext/mathml.py: the book's formulas become MathML at build time, with no script to load."""

from __future__ import annotations

import io
import re
from pathlib import Path

import yaml
from sphinx.application import Sphinx

from lrcourse.display.math import mathml

ROOT = Path(__file__).resolve().parents[1]
EXTENSIONS = ROOT / "book" / "_ext"


def _build(tmp_path: Path, page: str) -> tuple[str, str]:
    """Build one MyST page with the book's math settings; return its HTML and the warnings."""
    source = tmp_path / "src"
    source.mkdir()
    (source / "conf.py").write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(EXTENSIONS)!r})\n"
        "extensions = ['myst_parser', 'mathml']\n"
        "myst_enable_extensions = ['dollarmath']\n"
        "html_math_renderer = 'mathml'\n"
    )
    (source / "index.md").write_text(page)
    warnings = io.StringIO()
    app = Sphinx(
        str(source),
        str(source),
        str(tmp_path / "html"),
        str(tmp_path / "doctrees"),
        "html",
        status=None,
        warning=warnings,
        freshenv=True,
    )
    app.build()
    return (tmp_path / "html" / "index.html").read_text(encoding="utf-8"), warnings.getvalue()


def test_a_formula_becomes_mathml_that_keeps_its_latex():
    element = mathml(r"\eta_0 \cdot \gamma^{t}", display="inline")
    assert element.startswith('<math alttext="\\eta_0 \\cdot \\gamma^{t}" ')
    assert 'display="inline"' in element and "<msub><mi>&#x003B7;</mi><mn>0</mn></msub>" in element


def test_a_page_with_inline_and_display_math_loads_no_mathjax(tmp_path):
    page = "# Rates\n\nThe rate $\\eta_t$ decays:\n\n$$\n\\eta_t = \\eta_0 \\cdot 0.5^t\n$$\n"
    html, warnings = _build(tmp_path, page)
    assert warnings == ""
    assert html.count("<math ") == 2
    assert 'display="block"' in html and 'display="inline"' in html
    scripts = re.findall(r"<script[^>]*>", html)
    assert scripts and not [tag for tag in scripts if "mathjax" in tag.lower()]


def test_an_unreadable_formula_is_a_warning_naming_the_page(tmp_path):
    html, warnings = _build(tmp_path, "# Broken\n\nHere: $\\frac{1}{$ and more.\n")
    assert "index.md" in warnings and "cannot be rendered as MathML" in warnings
    assert '<code class="math">\\frac{1}{</code>' in html


def test_the_book_renders_math_with_the_extension():
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    assert "dollarmath" in config["parse"]["myst_enable_extensions"]
    assert config["sphinx"]["local_extensions"]["mathml"] == "book/_ext/"
    assert config["sphinx"]["config"]["html_math_renderer"] == "mathml"
