"""book/_ext/page_dependencies.py makes Sphinx re-read a generated page when its data files change."""

import importlib.util
import json
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location(
    "page_dependencies", ROOT / "book" / "_ext" / "page_dependencies.py"
)
page_dependencies = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(page_dependencies)


def _app(tmp_path, dependencies):
    noted = []
    env = SimpleNamespace(note_dependency=noted.append)
    config = SimpleNamespace(lrcourse_page_dependencies=dependencies)
    return SimpleNamespace(srcdir=str(tmp_path), env=env, config=config), noted


def test_every_matching_data_file_is_noted_for_its_page(tmp_path):
    (tmp_path / "quizzes").mkdir()
    for name in ("02-b.yaml", "01-a.yaml", "notes.txt"):
        (tmp_path / "quizzes" / name).write_text("x", encoding="utf-8")
    app, noted = _app(tmp_path, {"book/flashcards": ["quizzes/*.yaml"]})
    page_dependencies._note_dependencies(app, "book/flashcards", [""])
    assert noted == [
        str(tmp_path / "quizzes" / "01-a.yaml"),
        str(tmp_path / "quizzes" / "02-b.yaml"),
    ]


def test_other_pages_get_no_dependencies(tmp_path):
    (tmp_path / "quizzes").mkdir()
    (tmp_path / "quizzes" / "01-a.yaml").write_text("x", encoding="utf-8")
    app, noted = _app(tmp_path, {"book/flashcards": ["quizzes/*.yaml"]})
    page_dependencies._note_dependencies(app, "book/glossary", [""])
    assert noted == []


def test_the_book_config_declares_the_generated_pages():
    import yaml

    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))["sphinx"]
    assert config["local_extensions"]["page_dependencies"] == "book/_ext/"
    declared = config["config"]["lrcourse_page_dependencies"]
    assert "quizzes/*.yaml" in declared["book/flashcards"]
    for page in declared:
        markdown, notebook = ROOT / f"{page}.md", ROOT / f"{page}.ipynb"
        if markdown.exists():
            front_matter = markdown.read_text(encoding="utf-8").split("---")[1]
            assert "execution_mode: force" in front_matter, page
        else:
            metadata = json.loads(notebook.read_text(encoding="utf-8"))["metadata"]
            assert metadata["mystnb"]["execution_mode"] == "force", page
