"""The instructor commands: registered under ``lrcourse``, helpful, one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from lrcourse.cli import main
from lrcourse.grading.gradebook import Gradebook
from lrcourse.grading.inert import markdown_text
from tests.grading.helpers import BANKS, CORPUS


def test_the_four_instructor_commands_are_listed_in_help(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for command in ("assign", "grade", "export", "gradebook"):
        assert command in out


def test_a_bad_mix_is_one_line_naming_the_option(tmp_path: Path, capsys) -> None:
    status = main(
        ["assign", "hw", "--banks", str(BANKS), "--mix", "easy=two", "--out", str(tmp_path)]
    )
    assert status == 2
    assert "--mix 'easy=two': write e.g. easy=2,medium=2,hard=1" in capsys.readouterr().err


def test_export_of_an_unknown_assignment_names_the_valid_ones(tmp_path: Path, capsys) -> None:
    book = tmp_path / "gradebook.sqlite"
    Gradebook(book).close()
    status = main(["export", "nope", "--gradebook", str(book), "--out", str(tmp_path / "x")])
    assert status == 2
    assert "no assignment 'nope'" in capsys.readouterr().err


def test_assign_grade_export_round_trip_without_code_questions(tmp_path: Path, capsys) -> None:
    ids = "grading-test.where-lr-is-used,grading-test.rate-after-decay"
    assert (
        main(["assign", "quiz1", "--banks", str(BANKS), "--questions", ids, "--out", str(tmp_path)])
        == 0
    )
    submitted = tmp_path / "in"
    submitted.mkdir()
    (submitted / "ann.ipynb").write_bytes((tmp_path / "quiz1/release/quiz1.ipynb").read_bytes())
    (submitted / "bob.ipynb").write_bytes((CORPUS / "corrupt-json--zero.ipynb").read_bytes())
    (submitted / "cy").mkdir()  # two different notebooks for one student: neither is guessed
    # Both are quiz1's (another assignment's notebook is refused: issue 22 item 3).
    release = (tmp_path / "quiz1/release/quiz1.ipynb").read_text()
    (submitted / "cy" / "a.ipynb").write_text(release.replace('"cells"', '"x": 1, "cells"', 1))
    (submitted / "cy" / "b.ipynb").write_text(release)
    book = str(tmp_path / "book.sqlite")
    grade = [
        "grade",
        str(submitted),
        "--assignment",
        str(tmp_path / "quiz1"),
        "--banks",
        str(BANKS),
    ]
    # bob's file is unreadable and cy's is ambiguous: both wait for a person (exit 1).
    assert main([*grade, "--gradebook", book, "--no-progress"]) == 1
    assert "3 graded" in capsys.readouterr().out
    assert main([*grade, "--gradebook", book, "--no-progress"]) == 1
    assert "0 graded, 3 already graded" in capsys.readouterr().out
    out = tmp_path / "export"
    # The files are written; exit 1 says bob's and cy's answers still wait for a person.
    assert (
        main(["export", "quiz1", "--gradebook", book, "--banks", str(BANKS), "--out", str(out)])
        == 1
    )
    assert "4 answer(s) still wait for a person" in capsys.readouterr().out
    assert (out / "grades-canvas.csv").exists() and (out / "feedback" / "bob.md").exists()
    assert "not valid notebook JSON" in (out / "feedback" / "bob.md").read_text()
    assert (  # the intake's message, as inert Markdown text
        markdown_text("2 notebooks handed in (a.ipynb, b.ipynb); keep one")
        in (out / "feedback" / "cy.md").read_text()
    )
