"""Commands that only read keys do not import torch once torch has computed them (issue 22 item 13).

``assign`` computes the predict and computed-numeric keys (to keep them out of the releases) and
keeps them in the key cache (``lrcourse.grading.keycache``); ``export`` and a second ``assign``
read them from there and never import torch, yet every key they write is what torch prints.
Each command runs in its own interpreter, as from a shell, and reports ``sys.modules``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from lrcourse.grading import keycache
from lrcourse.grading.lms import numeric_answer
from lrcourse.grading.manifest import Manifest, load_questions
from lrcourse.quiz.check import allowed_error, numeric_key, predict_key
from tests.grading.helpers import grade_into

BANK = Path(__file__).resolve().parents[1] / "files" / "grading" / "class-bank"
KEYED = ["class.where-lr-is-used", "class.steplr-after-three", "class.rate-after-decay"]
#: Runs one ``lrcourse`` command in this interpreter and prints whether torch was imported.
RUN = (
    "import sys, lrcourse.cli; status = lrcourse.cli.main(sys.argv[1:]); "
    "print('TORCH', 'torch' in sys.modules, status)"
)


def _lrcourse(tmp: Path, cache: Path, *args: str) -> tuple[bool, str]:
    env = {**os.environ, "LRCOURSE_CACHE": str(cache)}
    done = subprocess.run(
        [sys.executable, "-c", RUN, *args],
        cwd=tmp, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    last = done.stdout.strip().splitlines()[-1]
    assert last.startswith("TORCH ") and last.split()[2] in ("0", "1"), done.stdout + done.stderr
    return last.split()[1] == "True", done.stdout


@pytest.mark.slow
def test_export_and_a_second_assign_run_without_torch_and_write_torchs_keys(
    tmp_path: Path,
) -> None:
    cache = tmp_path / "cache"
    questions = load_questions(BANK)
    assign = ["assign", "hw", "--students", "ann,bob", "--banks", str(BANK)]
    assign += ["--questions", ",".join(KEYED), "--seed", "3"]
    torch_imported, out = _lrcourse(tmp_path, cache, *assign)
    assert torch_imported, out  # the keys were not cached: torch computed them
    stored = json.loads((cache / "keys.json").read_text())
    assert sorted(stored.values(), key=str) == sorted(
        [predict_key(questions[KEYED[1]]), numeric_key(questions[KEYED[2]])], key=str
    )
    release = (tmp_path / "assignments/hw/manifest.json").read_bytes()
    torch_imported, out = _lrcourse(tmp_path, cache, *assign, "--force")
    assert not torch_imported, out
    assert (tmp_path / "assignments/hw/manifest.json").read_bytes() == release

    # Ann hands in right answers; the gradebook is filled in this process (torch is here).
    notebook = nbformat.read(tmp_path / "assignments/hw/release/hw.ipynb", as_version=4)
    answers = {
        KEYED[0]: 'answer = "step"\n',
        KEYED[1]: f'answer = """{predict_key(questions[KEYED[1]])}"""\n',
        KEYED[2]: f"answer = {numeric_key(questions[KEYED[2]])!r}\n",
    }
    for cell in notebook.cells:
        marker = cell.metadata.get("lrcourse", {})
        if marker.get("role") == "answer":
            cell.source = answers[marker["question"]]
    (tmp_path / "hand-ins").mkdir()
    nbformat.write(notebook, tmp_path / "hand-ins/ann.ipynb")
    manifest = Manifest.load(tmp_path / "assignments/hw/manifest.json")
    grade_into(tmp_path / "hand-ins", tmp_path / "gradebook.sqlite", manifest, questions)

    torch_imported, out = _lrcourse(tmp_path, cache, "export", "hw", "--banks", str(BANK))
    assert not torch_imported, out
    feedback = (tmp_path / "export/feedback/ann.md").read_text()
    assert predict_key(questions[KEYED[1]]).strip() in feedback
    assert f"{numeric_key(questions[KEYED[2]]):.6g}" in feedback
    gift = (tmp_path / "export/questions.gift").read_text()
    assert " ".join(predict_key(questions[KEYED[1]]).split()) in gift

    # An empty cache: export computes the keys with torch again (and writes the same files).
    (cache / "keys.json").unlink()
    torch_imported, out = _lrcourse(tmp_path, cache, "export", "hw", "--banks", str(BANK))
    assert torch_imported, out
    assert (tmp_path / "export/feedback/ann.md").read_text() == feedback


def test_a_corrupt_or_foreign_cache_entry_is_recomputed_by_torch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    questions = load_questions(BANK)
    predict, numeric = questions[KEYED[1]], questions[KEYED[2]]
    monkeypatch.setenv("LRCOURSE_CACHE", str(tmp_path))
    monkeypatch.setattr(keycache, "_loaded", None)
    (tmp_path / "keys.json").write_text("{not json")
    assert keycache.predict_key(predict) == predict_key(predict)
    assert keycache.numeric_key(numeric) == numeric_key(numeric)
    # A cache written under another torch holds other entries: none of them is this torch's.
    entries = json.loads((tmp_path / "keys.json").read_text())
    assert len(entries) == 2
    monkeypatch.setattr(keycache.importlib.metadata, "version", lambda name: "0.0-other")
    monkeypatch.setattr(keycache, "_loaded", {k: "stale" for k in entries})
    assert keycache.predict_key(predict) == predict_key(predict)
    # Nor under an edited quiz engine (it decides how a snippet's output is shown).
    monkeypatch.undo()
    monkeypatch.setenv("LRCOURSE_CACHE", str(tmp_path))
    monkeypatch.setattr(keycache, "_engine", lambda: "edited")
    monkeypatch.setattr(keycache, "_loaded", {k: "stale" for k in entries})
    assert keycache.predict_key(predict) == predict_key(predict)
    assert len(json.loads((tmp_path / "keys.json").read_text())) == 3


def test_the_lms_margin_is_the_checkers_allowed_error() -> None:
    for question in load_questions(BANK).values():
        if question.type == "numeric":
            answer = numeric_answer(question)
            assert answer.key == numeric_key(question)
            assert answer.margin == allowed_error(question, answer.key)
