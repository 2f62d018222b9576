"""Where the course finds its quiz banks, and that a missing bank folder is an error, never empty."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

import lrcourse.quiz.bank as bank_module
from lrcourse import flashcard_deck
from lrcourse.cli import main
from lrcourse.quiz.bank import bank_paths, quiz_dir
from lrcourse.quiz.errors import QuizBankError

ROOT = Path(__file__).resolve().parents[2]


def test_a_clone_reads_the_banks_at_the_top_of_the_repository(monkeypatch):
    monkeypatch.delenv("LRCOURSE_QUIZ_DIR", raising=False)
    assert not bank_module.PACKAGED_BANKS.exists()  # only a built wheel has lrcourse/banks
    assert quiz_dir() == ROOT / "quizzes"
    assert [p.name for p in bank_paths()] == sorted(
        p.name for p in ROOT.glob("quizzes/[0-9]*.yaml")
    )


def test_the_packaged_banks_come_first(monkeypatch, tmp_path):
    monkeypatch.delenv("LRCOURSE_QUIZ_DIR", raising=False)
    monkeypatch.setattr(bank_module, "PACKAGED_BANKS", tmp_path)
    assert quiz_dir() == tmp_path


def test_no_banks_anywhere_names_both_places(monkeypatch, tmp_path):
    monkeypatch.delenv("LRCOURSE_QUIZ_DIR", raising=False)
    monkeypatch.setattr(bank_module, "PACKAGED_BANKS", tmp_path / "wheel")
    monkeypatch.setattr(bank_module, "SOURCE_BANKS", tmp_path / "clone")
    with pytest.raises(QuizBankError) as caught:
        quiz_dir()
    assert str(tmp_path / "wheel") in str(caught.value) and str(tmp_path / "clone") in str(
        caught.value
    )


@pytest.mark.parametrize("make", [lambda p: p / "absent", lambda p: p])
def test_a_folder_without_banks_is_an_error(tmp_path, make):
    (tmp_path / "notes.yml").write_text("- id: x\n")
    folder = make(tmp_path)
    with pytest.raises(QuizBankError, match=str(folder)):
        bank_paths(folder)


def test_quiz_list_on_an_empty_folder_exits_2_naming_it(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("LRCOURSE_QUIZ_DIR", str(tmp_path))
    assert main(["quiz", "list"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert (
        err.strip() == f"lrcourse: {tmp_path}: no quiz bank files (NN-<slug>.yaml) in this folder"
    )


def test_a_deck_without_cards_is_an_error(tmp_path):
    data = yaml.safe_load((ROOT / "quizzes/01-learning-rate.yaml").read_text())
    data["questions"] = [q for q in data["questions"] if q["type"] not in ("flashcard", "explain")]
    assert data["questions"]
    (tmp_path / "01-learning-rate.yaml").write_text(yaml.safe_dump(data))
    with pytest.raises(QuizBankError, match=f"{tmp_path}: no flashcard or explain questions"):
        flashcard_deck(tmp_path)


def test_version_is_the_projects():
    done = subprocess.run(
        [sys.executable, "-m", "lrcourse.cli", "--version"], capture_output=True, text=True
    )
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert (done.returncode, done.stdout.strip()) == (0, f"lrcourse {version}")
