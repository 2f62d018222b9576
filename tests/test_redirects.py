"""book/_ext/redirects.py: an old chapter address sends the reader to the chapter's one page.

The pages are written by sphinx-reredirects; these tests build a two-page Sphinx project with the
extension, as the book does, and read what it wrote.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def build(tmp_path: Path, redirects: dict[str, str]) -> tuple[Path, str]:
    """Build a small project (index, notebooks/new, book/glossary) and return its html and log."""
    src = tmp_path / "src"
    for page in ("index", "notebooks/new", "book/glossary"):
        (src / page).parent.mkdir(parents=True, exist_ok=True)
        (src / f"{page}.rst").write_text(f"{page}\n{'=' * len(page)}\n\n.. toctree::\n")
    (src / "book/_ext").mkdir(parents=True)
    shutil.copy(ROOT / "book/_ext/redirects.py", src / "book/_ext/redirects.py")
    shutil.copy(ROOT / "book/_ext/redirect.html", src / "book/_ext/redirect.html")
    (src / "conf.py").write_text(
        "import sys\nsys.path.insert(0, 'book/_ext')\nextensions = ['redirects']\n"
        f"lrcourse_redirects = {redirects!r}\nexclude_patterns = ['book/_ext']\n"
    )
    out = tmp_path / "html"
    warnings = tmp_path / "warnings.txt"
    # In a process of its own: two Sphinx apps in one process re-register docutils nodes and
    # warn in the next test's build.
    command = [sys.executable, "-m", "sphinx", "-q", "-b", "html", "-w", str(warnings), src, out]
    subprocess.run([str(part) for part in command], check=True, capture_output=True)
    return out, warnings.read_text()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build(
        tmp_path_factory.mktemp("redirects"),
        {"book/old": "notebooks/new", "book/glossary": "notebooks/new", "book/x": "nowhere"},
    )


def test_the_old_address_points_relatively_at_the_new_page(built):
    out, _ = built
    page = (out / "book/old.html").read_text()
    assert '<meta http-equiv="refresh" content="0; url=../notebooks/new.html">' in page
    assert '<a href="../notebooks/new.html">' in page
    assert (out / "notebooks/new.html").is_file()


def test_a_real_page_is_never_overwritten_and_bad_moves_warn(built):
    out, warnings = built
    assert "http-equiv" not in (out / "book/glossary.html").read_text()
    assert not (out / "book/x.html").exists()
    assert "book/x -> nowhere: nowhere is not a page of the book" in warnings
    assert "book/glossary is still a page of the book" in warnings


def test_every_old_chapter_page_redirects_to_an_existing_notebook():
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))["sphinx"]
    redirects = config["config"]["lrcourse_redirects"]
    assert len(redirects) == 9
    for old, new in redirects.items():
        assert not (ROOT / f"{old}.md").exists(), f"{old}.md is still there"
        assert (ROOT / f"{new}.ipynb").is_file(), f"{new}.ipynb is missing"
