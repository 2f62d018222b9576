"""The book's Sphinx extension drops the ipywidgets state myst-nb would embed, and nothing else."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import SimpleNamespace

EXTENSION = Path(__file__).resolve().parents[1] / "book" / "_ext" / "strip_widget_state.py"


def _load():
    spec = importlib.util.spec_from_file_location("strip_widget_state", EXTENSION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_widget_state_scripts_are_dropped_before_myst_nb_adds_them():
    module = _load()
    js_files = {
        "ipywidgets_state": (None, {"type": "application/vnd.jupyter.widget-state+json"}),
        "ipywidgets_0": ("https://cdn.example/require.js", {}),
        "other": ("explorer.js", {}),
    }
    env = SimpleNamespace(nb_metadata={"notebooks/01": {"js_files": js_files}})
    module.drop_widget_state(SimpleNamespace(env=env), "notebooks/01", "page.html", {}, None)
    assert list(js_files) == ["other"]
    module.drop_widget_state(SimpleNamespace(env=env), "book/no-notebook", "page.html", {}, None)


def test_extension_runs_before_myst_nb():
    module = _load()
    connected = []
    app = SimpleNamespace(
        connect=lambda event, handler, priority: connected.append((event, priority))
    )
    meta = module.setup(app)
    assert connected == [("html-page-context", 400)]  # myst-nb's handler has the default, 500
    assert meta["parallel_read_safe"]
