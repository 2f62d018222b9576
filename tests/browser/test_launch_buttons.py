"""Each chapter page of the built book opens its own notebook in Colab, Binder, and links the repo.

The links are read from the page as a reader's browser renders it (the header's launch menu and
repository button), and checked against _config.yml: well formed, https, pointing at the notebook
of that very page on the configured repository and branch.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
import yaml

from tests.browser.conftest import ROOT

CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
REPOSITORY = CONFIG["repository"]["url"]
BRANCH = CONFIG["repository"]["branch"]
OWNER_REPO = urlparse(REPOSITORY).path.strip("/")
CHAPTERS = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))


def _links(tab) -> list[str]:
    return tab.locator("a[href]").evaluate_all("links => links.map(a => a.href)")


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_a_chapter_launches_its_own_notebook(page, book_url, chapter):
    tab, requests = page
    tab.goto(f"{book_url}/notebooks/{chapter}.html", wait_until="domcontentloaded")
    links = _links(tab)
    notebook = f"notebooks/{chapter}.ipynb"

    colab = [
        u
        for u in links
        if urlparse(u).hostname == urlparse(CONFIG["launch_buttons"]["colab_url"]).hostname
    ]
    assert colab == [
        f"{CONFIG['launch_buttons']['colab_url']}/github/{OWNER_REPO}/blob/{BRANCH}/{notebook}"
    ], colab

    binder_host = urlparse(CONFIG["launch_buttons"]["binderhub_url"]).hostname
    (binder,) = [u for u in links if urlparse(u).hostname == binder_host]
    parsed = urlparse(binder)
    assert parsed.scheme == "https"
    assert parsed.path == f"/v2/gh/{OWNER_REPO}/{BRANCH}"
    assert parse_qs(parsed.query)["urlpath"] == [f"lab/tree/{notebook}"]

    assert REPOSITORY in links, "the header's repository button is missing"
    for url in (*colab, binder):
        assert Path(urlparse(url).path).suffix in {".ipynb", ""}
    assert requests.external() == [], "a launch button loaded something from outside"
