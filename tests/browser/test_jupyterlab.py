"""A real JupyterLab on 127.0.0.1, driven by Chromium: run chapter 1, move a slider, see a new figure.

The server (``jupyterlab_server.running_jupyterlab``) runs on a copy of the chapter in a temporary
folder and is shut down, kernels included, whatever the test's outcome.
"""

from __future__ import annotations

import nbformat
import pytest

from tests.browser.conftest import ROOT
from tests.browser.jupyterlab_server import run_all_cells, write_notebook

# JupyterLab starts a server (about 20 s) before these run: CI runs them (make test-all too).
pytestmark = pytest.mark.slow

CHAPTER = ROOT / "notebooks" / "01_learning_rate.ipynb"
RUN_TIMEOUT_MS = 180_000


@pytest.fixture
def lab(jupyterlab) -> str:
    """Put a copy of chapter 1 in a folder of the session's JupyterLab; return the folder's URL."""
    work = jupyterlab.folder("chapter-one")
    write_notebook(work / CHAPTER.name, nbformat.read(CHAPTER, as_version=4))
    return f"{jupyterlab.url}/lab/tree/{work.name}"


def test_jupyterlab_runs_chapter_one_and_a_keyboard_slider_redraws(page, lab, tmp_path):
    tab, requests = page
    tab.set_default_timeout(RUN_TIMEOUT_MS)
    tab.goto(f"{lab}/{CHAPTER.name}?reset", wait_until="domcontentloaded")
    tab.locator(".jp-Notebook").first.wait_for()
    run_all_cells(tab)

    # chapter 1's StepLR explorer: the live explorer with a step_size slider
    step_lr = (
        tab.locator(".lrc-live-explorer")
        .filter(has=tab.locator(".widget-slider", has_text="step_size"))
        .first
    )
    try:
        step_lr.wait_for()
    except Exception:
        tab.screenshot(path=str(tmp_path / "jupyterlab.png"), full_page=True)
        errors = tab.locator(".jp-OutputArea-output[data-mime-type*='error']").all_text_contents()
        pytest.fail(f"no StepLR explorer appeared; errors: {errors}; see {tmp_path}/jupyterlab.png")
    step_lr.scroll_into_view_if_needed()
    image = step_lr.locator("img").first
    tab.wait_for_function("img => img.src && img.naturalWidth > 100", arg=image.element_handle())
    before = image.get_attribute("src")

    slider = step_lr.locator(".widget-slider", has_text="step_size").first
    readout = slider.locator(".widget-readout")
    start = int(readout.text_content().strip())
    key, expected = ("ArrowLeft", start - 2) if start > 2 else ("ArrowRight", start + 2)
    handle = slider.locator(".noUi-handle").first
    handle.focus()
    handle.press(key)
    handle.press(key)
    tab.wait_for_function(
        "([img, old]) => img.src !== old && img.naturalWidth > 100",
        arg=[image.element_handle(), before],
    )
    assert int(readout.text_content().strip()) == expected
    assert image.get_attribute("src") != before
    errors = step_lr.locator(".widget-html", has_text="⚠")
    assert errors.count() == 0
    # the explorer shows StepLR's rule above its sliders, drawn as MathML by the browser
    formula = step_lr.locator(".lrc-formula math[display='block']").first
    assert "\\lfloor t / s \\rfloor" in formula.get_attribute("alttext")
    assert formula.bounding_box()["width"] > 50
    # the chapter's own formulas ($$...$$ in markdown) are typeset by JupyterLab's bundled MathJax
    tab.locator(".jp-MarkdownCell mjx-container").first.scroll_into_view_if_needed()
    assert tab.locator(".jp-MarkdownCell mjx-container").count() > 0
    # an exercise's solution is folded in JupyterLab too: its code shows only after a click
    solution = tab.locator(
        ".jp-MarkdownCell details", has=tab.locator("summary", has_text="Solution")
    )
    solution.first.scroll_into_view_if_needed()
    code = solution.first.locator("pre").first
    assert not code.is_visible()
    solution.first.locator("summary").click()
    assert code.is_visible()
    assert requests.external() == [], f"JupyterLab page left 127.0.0.1: {requests.external()}"
