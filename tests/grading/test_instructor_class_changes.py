"""A class changes after assign: students added or dropped, a question edited, points decided.

Issue 22, item 11: adding or dropping a student meant retyping every ``assign`` option; the
"changed since assign" warning could not be accepted; item analysis dropped the answers a person
decided from its option counts.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest

from lrcourse.cli import main
from lrcourse.grading.export import item_analysis, item_analysis_markdown
from lrcourse.grading.gradebook import GradeRow
from lrcourse.grading.manifest import AssignmentError, Manifest
from tests.grading.helpers import BANKS, CHOICE_ONLY

PICK = CHOICE_ONLY[0]
OPTIONS = [
    "--questions", "grading-test.where-lr-is-used,grading-test.steplr-after-three",
    "--per-student", "--variants", "--seed", "5", "--points", f"{PICK}=3",
    "--due", "2026-03-01T23:59", "--grace", "10", "--penalty", "0.2", "--cutoff", "4",
    "--title", "Week 7",
]  # fmt: skip


def _assign(out: Path, students: str, *extra: str) -> int:
    return main(["assign", "hw", "--banks", str(BANKS), "--students", students, *extra,
                 "--out", str(out)])  # fmt: skip


def test_adding_and_dropping_students_keeps_every_option_and_every_kept_release(
    tmp_path: Path, capsys
) -> None:
    assert _assign(tmp_path, "ann,bob,cy", *OPTIONS) == 0
    release = tmp_path / "hw" / "release"
    before = {p.name: p.read_bytes() for p in release.glob("*.ipynb")}
    old = json.loads((tmp_path / "hw" / "manifest.json").read_text())
    capsys.readouterr()
    assert _assign(tmp_path, "ann,cy,dee", "--update-students") == 0
    assert "added: dee; dropped: bob" in capsys.readouterr().out
    after = {p.name: p.read_bytes() for p in release.glob("*.ipynb")}
    assert sorted(after) == ["ann.ipynb", "cy.ipynb", "dee.ipynb"]
    assert after["ann.ipynb"] == before["ann.ipynb"] and after["cy.ipynb"] == before["cy.ipynb"]
    new = json.loads((tmp_path / "hw" / "manifest.json").read_text())
    for key in ("seed", "release", "variants", "slots", "late", "question_hashes"):
        assert new[key] == old[key], key
    assert new["students"] == ["ann", "cy", "dee"]
    # dee's copy is what a first assign with dee on the list would have given.
    assert _assign(tmp_path / "fresh", "ann,cy,dee", *OPTIONS) == 0
    fresh = tmp_path / "fresh" / "hw" / "release" / "dee.ipynb"
    assert after["dee.ipynb"] == fresh.read_bytes()
    assert nbformat.read(release / "dee.ipynb", 4).cells[0].source.startswith("# Week 7\n")


def test_update_students_refuses_other_options_and_edited_banks(tmp_path: Path, capsys) -> None:
    assert _assign(tmp_path, "ann,bob", *OPTIONS) == 0
    assert _assign(tmp_path, "ann", "--update-students", "--seed", "6") == 2
    assert "--seed: --update-students takes every option" in capsys.readouterr().err
    banks = tmp_path / "banks"
    shutil.copytree(BANKS, banks)
    bank = next(banks.glob("*.yaml"))
    bank.write_text(bank.read_text().replace("Which call changes the weights?", "Which call?"))
    before = (tmp_path / "hw" / "manifest.json").read_bytes()
    status = main(["assign", "hw", "--banks", str(banks), "--students", "ann,cy",
                   "--update-students", "--out", str(tmp_path)])  # fmt: skip
    assert status == 2
    assert f"{PICK} changed in the banks" in capsys.readouterr().err
    assert (tmp_path / "hw" / "manifest.json").read_bytes() == before


def test_the_changed_since_assign_warning_can_be_accepted(tmp_path: Path, capsys) -> None:
    assert main(["assign", "hw", "--banks", str(BANKS), "--questions", PICK,
                 "--out", str(tmp_path)]) == 0  # fmt: skip
    banks = tmp_path / "banks"
    shutil.copytree(BANKS, banks)
    bank = next(banks.glob("*.yaml"))
    bank.write_text(bank.read_text().replace("Which call changes the weights?", "Which call?"))
    folder = tmp_path / "in"
    folder.mkdir()
    notebook = nbformat.read(tmp_path / "hw" / "release" / "hw.ipynb", 4)
    for cell in notebook.cells:
        if cell.metadata.get("lrcourse", {}).get("role") == "answer":
            cell.source = 'answer = "step"\n'
    nbformat.write(notebook, folder / "ann.ipynb")
    grade = ["grade", str(folder), "--assignment", str(tmp_path / "hw"), "--banks", str(banks),
             "--gradebook", str(tmp_path / "book.sqlite"), "--no-progress"]  # fmt: skip
    assert main(grade) == 1
    assert f"changed since assign: {PICK}" in capsys.readouterr().out
    assert main([*grade, "--accept-changes"]) == 0
    assert f"accepted: {PICK}" in capsys.readouterr().out
    assert main(grade) == 0
    assert "changed since assign" not in capsys.readouterr().out


def test_item_analysis_counts_the_picks_a_person_decided_with_their_points(
    manifest: Manifest,
) -> None:
    rows = [
        GradeRow("a", PICK, 1.0, 1.0, "graded", "", "step", ""),
        GradeRow("b", PICK, 1.0, 1.0, "overridden", "kind", "backward", "", machine_score=0.0),
        GradeRow("c", PICK, 0.0, 1.0, "graded", "", "backward", ""),
        GradeRow("d", PICK, 0.0, 1.0, "not-answered", "", "", ""),
    ]
    [stats] = [s for s in item_analysis(manifest, rows) if s.question_id == PICK]
    assert stats.option_counts == {"backward": 2, "step": 1}
    assert stats.by_person == 1
    assert stats.difficulty == pytest.approx(0.5)  # the override's 1.0 counts
    assert "| decided by a person |" in item_analysis_markdown(manifest, [stats])


def test_update_students_of_an_unknown_assignment_is_an_error(tmp_path: Path) -> None:
    from lrcourse.grading.reassign import update_students
    from lrcourse.grading.roster import read_roster

    with pytest.raises(AssignmentError, match="manifest"):
        update_students(tmp_path, "nope", read_roster("ann"), {})
