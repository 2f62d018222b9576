"""Each chapter is one page: its notebook, titled, with a reading time and prerequisites.

The book shows each notebook as the chapter's page and JupyterLab opens the same file, so the
markdown must render in both: no MyST-only roles or directives. The reading time a chapter states is
the estimate of ``lrcourse.content.reading_time`` from its content (so it moves when the chapter
grows; that module documents the method and its calibration).
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from lrcourse.content.reading_time import (
    MINUTES_PER_EXERCISE,
    SECONDS_PER_CODE_LINE,
    WORDS_PER_MINUTE,
    reading_time,
)

ROOT = Path(__file__).resolve().parents[2]
CHAPTERS = sorted((ROOT / "notebooks").glob("0[1-9]_*.ipynb"))
PAGES = [*CHAPTERS, ROOT / "notebooks" / "myth_busters.ipynb"]

TITLE = re.compile(r"^# (?P<number>\d)\. (?P<title>\S.*)$")
HEADER = re.compile(
    r"^\*\*Reading time:\*\* about (?P<minutes>\d+) minutes with the code, the exercises and the "
    r"quiz \(\[how it is estimated\]\(\.\./book/index\.md\)\) · "
    r"\*\*Prerequisites:\*\* (?P<needs>.+)$",
    re.MULTILINE,
)
LINK = re.compile(r"\[[^\]]+\]\((?P<target>[^)#]+)(?:#[^)]*)?\)")
MYST_ONLY = re.compile(r"\{(doc|ref|term|numref|glossary)\}`|^```\{|^:::\{", re.MULTILINE)


def markdown(path: Path) -> list[str]:
    cells = nbformat.read(path, as_version=4).cells
    return [cell.source for cell in cells if cell.cell_type == "markdown"]


@pytest.mark.parametrize("path", CHAPTERS, ids=[path.stem for path in CHAPTERS])
def test_the_page_opens_with_its_number_title_reading_time_and_prerequisites(path):
    first = markdown(path)[0]
    title = TITLE.match(first.splitlines()[0])
    assert title, f"{path.name}: first line {first.splitlines()[0]!r} is not '# N. Title'"
    assert int(title["number"]) == int(path.stem[:2])
    assert "live" not in title["title"].lower()
    header = HEADER.search(first)
    assert header, f"{path.name}: no '**Reading time:** about N minutes ... **Prerequisites:** ...'"
    stated, estimate = int(header["minutes"]), reading_time(path)
    assert stated == estimate.stated, (
        f"{path.name}: states {stated} minutes; the method gives {estimate.stated} "
        f"({estimate.minutes:.1f}): run `python -m lrcourse.content.reading_time --write`"
    )


def test_the_reading_times_match_the_calibration_and_the_home_page_says_how():
    """Issue 26: over chapters 1-8 a learner doing the exercises took 8-10 hours."""
    hours = sum(reading_time(path).minutes for path in CHAPTERS if path.stem[:2] <= "08") / 60
    assert 8 <= hours <= 10, hours
    home = (ROOT / "book" / "index.md").read_text(encoding="utf-8")
    method = f"{WORDS_PER_MINUTE} words a minute, {SECONDS_PER_CODE_LINE} seconds per line of code"
    assert method in home and f"{MINUTES_PER_EXERCISE} minutes per exercise" in home


@pytest.mark.parametrize("path", CHAPTERS, ids=[path.stem for path in CHAPTERS])
def test_prerequisites_are_earlier_chapters_that_exist(path):
    header = HEADER.search(markdown(path)[0])
    assert header
    for target in LINK.findall(header["needs"]):
        assert (path.parent / target).is_file(), f"{path.name}: prerequisite {target} is missing"
        assert target[:2] < path.stem[:2], f"{path.name}: prerequisite {target} comes later"


@pytest.mark.parametrize("path", PAGES, ids=[path.stem for path in PAGES])
def test_the_page_renders_in_jupyterlab_too(path):
    for source in markdown(path):
        assert not MYST_ONLY.search(source), f"{path.name}: MyST-only markup in {source[:60]!r}"


@pytest.mark.parametrize("path", PAGES, ids=[path.stem for path in PAGES])
def test_every_relative_link_leads_to_a_file(path):
    for source in markdown(path):
        for target in LINK.findall(source):
            if "://" in target or target.startswith("mailto:"):
                continue
            assert (path.parent / target).is_file(), f"{path.name}: link to missing {target}"


def test_no_chapter_keeps_a_second_page():
    toc = (ROOT / "_toc.yml").read_text(encoding="utf-8")
    for path in PAGES:
        assert f"file: notebooks/{path.stem}\n" in toc
    chapter_pages = {"learning-rate", "scheduler-family", "steplr-vs-multisteplr", "step-timing",
                     "custom-schedulers", "combining-and-warmup", "finding-a-learning-rate",
                     "modern-practice", "myth-busters"}  # fmt: skip
    assert not [name for name in chapter_pages if (ROOT / "book" / f"{name}.md").exists()]


@pytest.mark.parametrize("path", CHAPTERS, ids=[path.stem for path in CHAPTERS])
def test_the_plain_torch_loop_comes_before_any_lrcourse_shortcut(path):
    """A learner first sees the loop they will write; ``lrcourse`` helpers come after, as shortcuts."""
    code = [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
    shortcut = re.compile(r"\blrcourse\.(?!show_quiz)\w+\(")
    first_loop = next(i for i, source in enumerate(code) if "optimizer.step()" in source)
    first_shortcut = next((i for i, source in enumerate(code) if shortcut.search(source)), None)
    assert first_shortcut is None or first_loop <= first_shortcut, (
        f"{path.name}: code cell {first_shortcut} calls lrcourse before the first torch loop "
        f"(code cell {first_loop})"
    )


MATH = re.compile(r"\$\$(?P<display>.+?)\$\$|\$(?P<inline>[^$\n]+?)\$", re.DOTALL)
CODE_SPANS = re.compile(r"```.*?```|`[^`\n]*`", re.DOTALL)


@pytest.mark.parametrize("path", PAGES, ids=[path.stem for path in PAGES])
def test_every_formula_converts_to_mathml(path):
    """The book draws each ``$...$`` as MathML (book/_ext/mathml.py): none may be unreadable."""
    from latex2mathml.converter import convert

    for source in markdown(path):
        for found in MATH.finditer(CODE_SPANS.sub("", source)):
            latex = found["display"] or found["inline"]
            try:
                convert(latex)
            except Exception as error:  # latex2mathml raises many kinds: each is one bad formula
                pytest.fail(f"{path.name}: ${latex}$ is not readable LaTeX ({error!r})")
