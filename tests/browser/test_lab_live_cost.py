"""In real JupyterLab, chapter 2's training demo with its live progress costs little more than without.

Issue 26 item 15: the demo took 66 s live in JupyterLab against about 6 s in the book build (a
message and a figure per epoch per run). The live display now refreshes only while its own cost
stays under ``DISPLAY_SHARE`` of the training time. This test runs the chapter's own demo cell
twice in one kernel, first with the live display off, then on (as a learner runs it), and compares
the two wall times measured in the kernel, and the live run's time as the page saw it.
"""

from __future__ import annotations

import re
import time

import nbformat
import pytest

from tests.browser.conftest import ROOT
from tests.browser.jupyterlab_server import write_notebook

pytestmark = pytest.mark.slow

CHAPTER = ROOT / "notebooks" / "02_scheduler_family.ipynb"
#: The live run may take this share longer than the quiet one, plus a fixed allowance for the
#: display's start (a widget, the first figure) and for a busy machine's noise.
ALLOWED_SHARE = 1.25
ALLOWED_START_S = 3.0


def _demo_source() -> str:
    """Return chapter 2's training demo cell, the one a learner runs live."""
    chapter = nbformat.read(CHAPTER, as_version=4)
    cells = [c.source for c in chapter.cells if c.cell_type == "code"]
    demos = [s for s in cells if s.startswith("family_demo = lrcourse.compare_schedules(")]
    assert len(demos) == 1, "chapter 2's demo cell is not where this test looks for it"
    assert "live=False" not in demos[0]
    return demos[0]


def test_chapter_twos_demo_costs_little_more_live_in_jupyterlab(page, jupyterlab):
    demo = _demo_source()
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        # Warm up (torch, the task's tensors) so neither timed run pays for it.
        nbformat.v4.new_code_cell(
            "import functools, time\nimport lrcourse\n"
            "_live = lrcourse.compare_schedules\n"
            "lrcourse.compare_schedules = functools.partial(_live, live=False)\n"
            'lrcourse.compare_schedules({"c": lrcourse.SchedulerSpec("ConstantLR", '
            '{"factor": 1.0})}, task="noisy-digits", epochs=1, seeds=1);'
        ),
        nbformat.v4.new_code_cell(
            f"_t = time.perf_counter()\n{demo}\nquiet_s = time.perf_counter() - _t"
        ),
        nbformat.v4.new_code_cell(
            "lrcourse.compare_schedules = _live\n"
            f"_t = time.perf_counter()\n{demo}\nlive_s = time.perf_counter() - _t"
        ),
        nbformat.v4.new_code_cell('print(f"quiet {quiet_s:.2f} s, live {live_s:.2f} s")'),
    ]
    work = jupyterlab.folder("live-cost")
    write_notebook(work / "demo.ipynb", notebook)

    tab, _requests = page
    tab.set_default_timeout(300_000)
    tab.goto(f"{jupyterlab.url}/lab/tree/{work.name}/demo.ipynb?reset")
    tab.wait_for_function(
        "window.jupyterapp?.shell.currentWidget?.context?.path?.endsWith('demo.ipynb')"
    )
    tab.wait_for_function(
        "window.jupyterapp.shell.currentWidget.sessionContext?.session?.kernel?.status === 'idle'"
    )
    tab.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    cells = tab.locator(".jp-NotebookPanel:visible .jp-Cell")
    # A prompt shows its number once the cell has finished: [2] is the quiet run's end.
    cells.nth(1).locator(".jp-InputPrompt", has_text="[2]:").wait_for()
    started = time.monotonic()
    cells.nth(3).locator(".jp-OutputArea-output", has_text="live").wait_for()
    page_s = time.monotonic() - started
    printed = cells.nth(3).locator(".jp-OutputArea-output").inner_text()
    quiet_s, live_s = map(float, re.findall(r"(\d+\.\d+) s", printed))

    # The live display really showed: its progress bar reached the end in the live cell.
    # (JupyterLab draws only the cells in view: bring the live cell into view first.)
    cells.nth(2).scroll_into_view_if_needed()
    bar = cells.nth(2).locator(".widget-hprogress")
    bar.wait_for(timeout=30_000)
    assert bar.inner_text().strip() == "done"  # finish() ran and its state reached the page
    print(
        f"\nchapter 2 demo in JupyterLab: {printed}; the page saw the live run take {page_s:.1f} s"
    )
    limit = ALLOWED_SHARE * quiet_s + ALLOWED_START_S
    assert live_s <= limit, f"live {live_s:.1f} s > {limit:.1f} s ({printed})"
    # The page's time includes the kernel's queue for cell 3 and the last messages drawn.
    assert page_s <= limit + ALLOWED_START_S, f"the page waited {page_s:.1f} s ({printed})"
