"""The course's own banks can be assigned with every option of ``lrcourse assign``.

Issue 22 found ``--variants`` refusing all 14 course predict questions it would vary (their
worked solutions quote the bank's output), ``write-warmup-cosine`` refused by the leak check
(a check's ``kind: value`` taken for a secret, in a message naming no question), and a title or
student id containing ``trace`` refused. Each bank is assigned whole, per student, with variants
over several seeds, points, a late policy, and a class whose ids and title hold the schema's words.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from lrcourse.cli import main
from lrcourse.grading.assign import (
    AssignmentSpec,
    check_no_secrets,
    notebook_text,
    release_notebook,
    secrets_of,
    write_assignment,
)
from lrcourse.grading.manifest import GRADABLE_TYPES, AssignmentError, load_questions
from lrcourse.grading.variants import is_parameterised, variant_problems, variant_question
from lrcourse.quiz.bank import quiz_dir
from lrcourse.quiz.check import predict_key

COURSE = load_questions(None)
BANKS = sorted(quiz_dir().glob("[0-9][0-9]-*.yaml"))
#: Ids and a title that contain check kinds, step_per words and loop-bug names.
STUDENTS = ["value", "trace-jones", "no_warnings", "epoch", "batch.resume", "ann"]
TITLE = "trace value no_warnings resume state_dict epoch batch"
SEEDS = (0, 1, 2, 3, 7)


def _bank_question_ids(bank: Path) -> list[str]:
    from lrcourse.quiz.bank import load_bank

    return [q.id for q in load_bank(bank).bank.questions if q.type in GRADABLE_TYPES]


def test_the_course_has_the_fourteen_parameterised_predict_questions_the_issue_counted():
    assert sum(is_parameterised(q) for q in COURSE.values()) == 14


@pytest.mark.parametrize("seed", SEEDS)
def test_every_parameterised_course_question_varies_soundly_for_every_student(seed):
    students = [f"s{n}" for n in range(8)] + STUDENTS
    varied = 0
    for question in COURSE.values():
        if not is_parameterised(question):
            continue
        for student in students:
            assert variant_problems(question, seed, student) == []
            varied += variant_question(question, seed, student) is not question
    assert varied > 14 * len(students) // 2  # most copies really differ from the bank's


@pytest.mark.parametrize("bank", BANKS, ids=lambda p: p.stem)
def test_every_bank_is_assignable_with_every_option(bank: Path, tmp_path: Path, capsys):
    ids = _bank_question_ids(bank)
    points = ",".join(f"{qid}=2" for qid in ids[:2])
    for seed in (0, 3):
        out = tmp_path / f"seed{seed}"
        status = main(
            [
                "assign",
                "hw",
                "--title",
                TITLE,
                "--questions",
                ",".join(ids),
                "--students",
                ",".join(STUDENTS),
                "--per-student",
                "--variants",
                "--seed",
                str(seed),
                "--points",
                points,
                "--due",
                "2026-03-01T23:59",
                "--grace",
                "15",
                "--penalty",
                "0.1",
                "--cutoff",
                "3",
                "--out",
                str(out),
            ]
        )
        captured = capsys.readouterr()
        assert status == 0, captured.err
        manifest = json.loads((out / "hw" / "manifest.json").read_text())
        assert [slot["question_id"] for slot in manifest["slots"]] == ids
        releases = sorted(p.stem for p in (out / "hw" / "release").glob("*.ipynb"))
        assert releases == sorted(STUDENTS)
        # What a student holds is their own copy: its snippet is the variant's, its key absent.
        for student in STUDENTS:
            cells = _question_cells(out / "hw" / "release" / f"{student}.ipynb")
            copies = [variant_question(COURSE[qid], seed, student) for qid in ids]
            shown = "\n".join(notebook_text(c.public().model_dump()) for c in copies)
            for copy in copies:
                if copy.type == "predict":
                    assert copy.code.rstrip("\n") in cells
                    key = predict_key(copy).strip()
                    if len(key) >= 4 and key not in shown:  # no question shows it: not released
                        assert key not in cells


def _question_cells(path: Path) -> str:
    notebook = nbformat.read(path, as_version=4)
    return "\n".join(c.source for c in notebook.cells if c.id != "title")


@pytest.mark.parametrize("seed", SEEDS)
def test_a_mix_with_variants_works_for_every_seed(seed, tmp_path: Path, capsys):
    """The README's own example (``--mix easy=2,medium=2,hard=1 --per-student --variants``)."""
    status = main(
        [
            "assign",
            "hw1",
            "--mix",
            "easy=2,medium=2,hard=1",
            "--students",
            ",".join(STUDENTS),
            "--per-student",
            "--variants",
            "--seed",
            str(seed),
            "--due",
            "2026-03-01T23:59",
            "--out",
            str(tmp_path),
        ]
    )
    assert status == 0, capsys.readouterr().err


def test_write_warmup_cosine_is_assignable_and_its_check_kinds_are_not_secrets(tmp_path: Path):
    [qid] = [q for q in COURSE if q.endswith("write-warmup-cosine")]
    assert not {"value", "trace", "no_warnings", "resume", "epoch"} & set(secrets_of(COURSE[qid]))
    spec = AssignmentSpec(assignment="hw", title="value", question_ids=[qid])
    write_assignment(spec, COURSE, tmp_path)
    assert (tmp_path / "hw" / "release" / "hw.ipynb").is_file()


def test_a_real_leak_names_the_question_it_comes_from():
    [qid] = [q for q in COURSE if q.endswith("write-warmup-cosine")]
    secret = COURSE[qid].reference.strip()
    spec = AssignmentSpec(assignment="hw", title="t", question_ids=[qid])
    notebook = release_notebook(spec, [COURSE[qid]], None)
    notebook.cells[-1].source += "\n" + secret
    with pytest.raises(AssignmentError, match=f"\\(of {qid}\\)"):
        check_no_secrets({secret: qid})(notebook)
