"""``validate`` counts against the questions the release asks, not the answer cells left.

Issue 22, item 9: a notebook missing one of 7 answer cells was "6 of 6 ready".
"""

from __future__ import annotations

import json
from pathlib import Path

from lrcourse.cli import main
from lrcourse.grading.manifest import Manifest
from lrcourse.grading.validate import validate_notebook
from tests.grading.helpers import GOLDEN

RELEASE = GOLDEN / "release" / "hw-test.ipynb"


def _without_answer_cell(tmp_path: Path, index: int, *, drop_list: bool = False) -> Path:
    notebook = json.loads(RELEASE.read_text())
    answers = [
        c for c in notebook["cells"] if c["metadata"].get("lrcourse", {}).get("role") == "answer"
    ]
    notebook["cells"].remove(answers[index])
    if drop_list:
        del notebook["metadata"]["lrcourse"]["questions"]
    path = tmp_path / "handed-in.ipynb"
    path.write_text(json.dumps(notebook))
    return path


def test_a_deleted_answer_cell_is_counted_as_missing(tmp_path: Path, manifest: Manifest) -> None:
    deleted = manifest.slots[2].question_id
    checks = validate_notebook(_without_answer_cell(tmp_path, 2))
    assert [c.question_id for c in checks] == [s.question_id for s in manifest.slots]
    [missing] = [c for c in checks if c.question_id == deleted]
    assert not missing.ok and "answer cell is missing" in missing.message


def test_the_locked_prompt_cells_count_even_without_the_releases_list(
    tmp_path: Path, manifest: Manifest
) -> None:
    checks = validate_notebook(_without_answer_cell(tmp_path, 0, drop_list=True))
    assert len(checks) == len(manifest.slots)
    assert not checks[0].ok and "missing" in checks[0].message


def test_the_cli_counts_every_question_of_the_manifest(
    tmp_path: Path, manifest: Manifest, capsys
) -> None:
    path = _without_answer_cell(tmp_path, 4)
    assert main(["validate", str(path), "--assignment", str(GOLDEN)]) == 1
    out = capsys.readouterr().out
    total = len(manifest.slots)
    assert f"of {total} answer(s) ready" in out
    assert f"FIX  {manifest.slots[4].question_id}: its answer cell is missing" in out
