"""The book's page fixes (book/_ext/accessible_pages.py, search_compounds.py) on sample markup."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from lrcourse import plot_traces, trace_schedule

EXTENSIONS = Path(__file__).resolve().parents[1] / "book" / "_ext"

SIDEBAR = (
    '<li class="toctree-l1 current active has-children"><a class="current reference internal" '
    'href="#">1. The learning rate &amp; you</a><details open="open"><summary><span '
    'class="toctree-toggle" role="presentation"><i class="fa-solid"></i></span></summary>'
    '<li class="toctree-l1 has-children"><a class="reference internal" href="b.html">2. Family'
    "</a><details><summary><span></span></summary>"
)
THEBE = (
    '<script>const THEBE_JS_URL = "https://x/thebe.js"; const thebe_selector = ".cell";</script>\n'
)


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, EXTENSIONS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_sidebar_toggle_is_named_after_its_chapter():
    page = _load("accessible_pages").name_toggles(SIDEBAR)
    assert "<summary>" not in page
    assert '<summary aria-label="Sections of 1. The learning rate &amp; you">' in page
    assert '<summary aria-label="Sections of 2. Family">' in page


def test_a_repeated_thebe_config_is_dropped_and_the_first_kept():
    page = "<head>" + THEBE + THEBE + "</head>"
    fixed = _load("accessible_pages").drop_repeated_thebe_config(page)
    assert fixed.count("THEBE_JS_URL") == 1 and fixed.startswith("<head><script>")


def test_an_image_named_by_its_path_gets_the_figures_own_description(tmp_path):
    module = _load("accessible_pages")
    figure = plot_traces(trace_schedule("StepLR", {"step_size": 2, "gamma": 0.5}, epochs=6))
    (tmp_path / "_images").mkdir()
    (tmp_path / "_images" / "a.png").write_bytes(figure._repr_png_())
    (tmp_path / "_images" / "plain.png").write_bytes(b"\x89PNG not really")
    page = (
        '<h2>3. The fifteen<a class="headerlink" href="#x">#</a></h2>'
        '<img alt="_images/a.png" src="_images/a.png" />'
        '<img alt="_images/plain.png" src="_images/plain.png" />'
        '<img alt="kept as written" src="_images/a.png" />'
    )
    fixed = module.describe_images(page, tmp_path)
    assert '<img alt="learning rate against optimizer step (StepLR(' in fixed
    assert '<img alt="Figure in the section “3. The fifteen”" src="_images/plain.png"' in fixed
    assert '<img alt="kept as written"' in fixed


@pytest.mark.parametrize(
    ("text", "joined"),
    [
        ("a warm-up phase", ["warmup"]),
        ("warmup", []),
        ("one-cycle and re-warm-up", ["onecycle", "rewarmup"]),
    ],
)
def test_hyphenated_words_are_also_indexed_joined(text, joined):
    assert _load("search_compounds").joined_compounds(text) == joined


def test_glossary_links_skip_the_glossary_itself_and_run_before_references_resolve():
    module = _load("glossary_links")
    assert module.GLOSSARY_DOCNAME == "book/glossary"
    assert module.LinkGlossaryTerms.default_priority < 10  # sphinx's ReferencesResolver is 10
