"""book/_ext/redirects.py: an old chapter address sends the reader to the chapter's one page."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import SimpleNamespace

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _load():
    spec = importlib.util.spec_from_file_location("redirects", ROOT / "book/_ext/redirects.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _app(tmp_path, redirects, docs):
    return SimpleNamespace(
        builder=SimpleNamespace(format="html"),
        outdir=str(tmp_path),
        config=SimpleNamespace(lrcourse_redirects=redirects),
        env=SimpleNamespace(found_docs=set(docs)),
    )


def test_the_redirect_points_relatively_at_the_new_page():
    page = _load().redirect_page("book/step-timing", "notebooks/04_step_timing")
    assert '<meta http-equiv="refresh" content="0; url=../notebooks/04_step_timing.html">' in page
    assert '<a href="../notebooks/04_step_timing.html">' in page


def test_a_redirect_is_written_only_where_no_page_is(tmp_path, caplog):
    module = _load()
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "glossary.html").write_text("the real glossary")
    app = _app(
        tmp_path,
        {"book/old": "notebooks/new", "book/glossary": "notebooks/new", "book/x": "nowhere"},
        ["notebooks/new", "book/glossary"],
    )
    module.write_redirects(app, None)
    assert "url=../notebooks/new.html" in (tmp_path / "book" / "old.html").read_text()
    assert (tmp_path / "book" / "glossary.html").read_text() == "the real glossary"
    assert not (tmp_path / "book" / "x.html").exists()
    assert "book/x -> nowhere: nowhere is not a page of the book" in caplog.text
    assert "book/glossary is still a page of the book" in caplog.text


def test_every_old_chapter_page_redirects_to_an_existing_notebook():
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))["sphinx"]
    redirects = config["config"]["lrcourse_redirects"]
    assert len(redirects) == 9
    for old, new in redirects.items():
        assert not (ROOT / f"{old}.md").exists(), f"{old}.md is still there"
        assert (ROOT / f"{new}.ipynb").is_file(), f"{new}.ipynb is missing"
