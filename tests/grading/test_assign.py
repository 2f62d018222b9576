"""assign: a pipeline of small steps, golden output, per-student variants, and no keys released."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import nbformat
import pytest
import torch

from lrcourse.grading.assign import (
    AssignmentSpec,
    add_checksums,
    add_questions,
    check_no_secrets,
    new_release,
    render_prompts,
    run_steps,
    shuffle_options,
    strip_public,
    write_assignment,
)
from lrcourse.grading.collect import read_submission
from lrcourse.grading.grader import Grader
from lrcourse.grading.manifest import AssignmentError, Manifest, variant_rng
from lrcourse.sandbox.pool import Limits
from tests.grading.helpers import GOLDEN

PREDICT_Q = "grading-test.steplr-after-three"
#: Marker words planted in the test bank's solutions, mistakes, feedback and reference code.
PLANTED = re.compile(r"solution-text-|mistake-text-|-feedback|reference-marker-")


def _spec(questions, **changes) -> AssignmentSpec:
    fields = {"assignment": "hw-test", "title": "Grading test", "question_ids": list(questions)}
    return AssignmentSpec(**{**fields, **changes})


def _files(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_assign_writes_exactly_the_golden_release(tmp_path: Path, questions) -> None:
    write_assignment(_spec(questions), questions, tmp_path)
    assert _files(tmp_path / "hw-test") == _files(GOLDEN)


def test_assign_is_deterministic_and_names_carry_no_timestamps(tmp_path: Path, questions) -> None:
    spec = _spec(questions, students=["ann", "bo"], release="per-student", variants=True, seed=4)
    write_assignment(spec, questions, tmp_path / "one")
    write_assignment(spec, questions, tmp_path / "two")
    assert _files(tmp_path / "one") == _files(tmp_path / "two")
    names = sorted(_files(tmp_path / "one"))
    assert names == [
        "hw-test/manifest.json",
        "hw-test/release/ann.ipynb",
        "hw-test/release/bo.ipynb",
    ]


def _steplr_key(step_size: int, gamma: float) -> str:
    """What the predict snippet prints, from a plain torch loop written here."""
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=step_size, gamma=gamma)
    for _ in range(3):
        opt.step()
        sched.step()
    return str(round(sched.get_last_lr()[0], 6))


def _released_parameters(notebook: nbformat.NotebookNode) -> tuple[int, float]:
    prompt = next(
        c.source
        for c in notebook.cells
        if c.metadata.get("lrcourse", {}).get("question") == PREDICT_Q
    )
    match = re.search(r"StepLR\(opt, step_size=(\d+), gamma=([0-9.]+)\)", prompt)
    assert match, prompt
    return int(match[1]), float(match[2])


@pytest.fixture(scope="module")
def per_student(tmp_path_factory, questions) -> tuple[Path, Manifest]:
    out = tmp_path_factory.mktemp("assign")
    students = [f"s{n}" for n in range(8)]
    spec = _spec(questions, students=students, release="per-student", variants=True, seed=11)
    return out / "hw-test", write_assignment(spec, questions, out)


def test_no_released_file_holds_a_key_or_a_solution(per_student, questions) -> None:
    folder, _ = per_student
    keys = {"0.162", "0.16200000000000003"}  # ExponentialLR(gamma=0.9) from 0.2, twice
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.2)
    sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.9)
    for _ in range(2):
        opt.step()
        sched.step()
    keys.add(repr(sched.get_last_lr()[0]))
    secret_texts = set()
    for question in questions.values():
        dump = question.model_dump()
        secret_texts |= set(dump.get("solution", [])) | set(dump.get("mistakes", []))
        secret_texts |= {o["feedback"] for o in dump.get("options") or []}
        if "reference" in dump:
            secret_texts.add(dump["reference"].strip())
            secret_texts |= {c["reference"] for c in dump["checks"] if "reference" in c}
    for path in sorted((folder / "release").glob("*.ipynb")):
        text = path.read_text()
        decoded = json.dumps(json.loads(text), ensure_ascii=False).replace("\\n", "\n")
        notebook = nbformat.reads(text, as_version=4)
        step_size, gamma = _released_parameters(notebook)
        predict_key = _steplr_key(step_size, gamma)
        assert not PLANTED.search(text), path.name
        for secret in secret_texts | keys:
            assert secret not in text and secret not in decoded, (path.name, secret)
        # A predict key can equal a number the snippet itself shows (no decay: lr=0.1): then
        # only the answer cell and the metadata could leak it.
        shown = "".join(c.source for c in notebook.cells if c.cell_type == "markdown")
        scanned = (
            decoded
            if predict_key not in shown
            else json.dumps(
                [c.source for c in notebook.cells if c.cell_type == "code"] + [notebook.metadata]
            )
        )
        assert predict_key not in scanned, (path.name, predict_key)
        for cell in notebook.cells:
            marker = cell.metadata.get("lrcourse", {})
            assert set(marker) <= {"question", "role", "checksum", "type", "options"}, (
                marker
            )  # public facts


def test_variants_differ_and_are_graded_against_torch_at_grade_time(
    per_student, questions, tmp_path
) -> None:
    folder, manifest = per_student
    parameters = {}
    grader = Grader(manifest, questions, pool=None, limits=Limits())
    for path in sorted((folder / "release").glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        parameters[path.stem] = _released_parameters(notebook)
        for cell in notebook.cells:
            marker = cell.metadata.get("lrcourse", {})
            if marker.get("question") == PREDICT_Q and marker.get("role") == "answer":
                cell.source = f'answer = """{_steplr_key(*parameters[path.stem])}"""\n'
        answered = tmp_path / f"{path.stem}.ipynb"
        nbformat.write(notebook, answered)
        submission = read_submission(answered, path.stem, manifest)
        [result] = grader.grade_one(submission, [PREDICT_Q])
        assert result.score == 1.0, (path.stem, parameters[path.stem], result.reason)
    assert len(set(parameters.values())) >= 3, "students should get different parameters"


def _pipeline_input(questions) -> tuple[nbformat.NotebookNode, list]:
    public = [q.public() for q in questions.values()]
    return run_steps(new_release("hw", "HW", None), [add_questions(public)]), public


def test_add_questions_appends_a_prompt_and_an_answer_cell_per_question(questions) -> None:
    notebook, public = _pipeline_input(questions)
    roles = [c.metadata.get("lrcourse", {}).get("role") for c in notebook.cells[1:]]
    assert roles == ["prompt", "answer"] * len(public)


def test_shuffle_options_reorders_but_keeps_every_option(questions) -> None:
    notebook, _ = _pipeline_input(questions)
    shuffled = run_steps(notebook, [shuffle_options(lambda qid: variant_rng(3, "x", qid))])
    for before, after in zip(notebook.cells, shuffled.cells, strict=True):
        old = before.metadata.get("lrcourse", {}).get("public", {}).get("options")
        new = after.metadata.get("lrcourse", {}).get("public", {}).get("options")
        if old:
            assert sorted(o["key"] for o in old) == sorted(o["key"] for o in new)
    assert notebook != shuffled


def test_render_then_strip_order_is_enforced(questions) -> None:
    notebook, _ = _pipeline_input(questions)
    with pytest.raises(AssertionError, match="after render_prompts"):
        run_steps(notebook, [strip_public()])
    rendered = run_steps(notebook, [render_prompts(), strip_public()])
    prompts = [c for c in rendered.cells if c.metadata.get("lrcourse", {}).get("role") == "prompt"]
    assert all(c.source.startswith("## Question") for c in prompts)
    assert all("public" not in c.metadata["lrcourse"] for c in prompts)


def test_steps_work_on_copies(questions) -> None:
    notebook, _ = _pipeline_input(questions)
    before = json.dumps(notebook, sort_keys=True)
    run_steps(notebook, [render_prompts(), strip_public(), add_checksums()])
    assert json.dumps(notebook, sort_keys=True) == before


def test_checksums_are_the_sha256_of_the_released_answer_cells(questions) -> None:
    notebook, _ = _pipeline_input(questions)
    stamped = run_steps(notebook, [add_checksums()])
    for cell in stamped.cells:
        marker = cell.metadata.get("lrcourse", {})
        if marker.get("role") == "answer":
            assert marker["checksum"] == hashlib.sha256(cell.source.encode()).hexdigest()


def test_the_secret_check_refuses_a_leaking_notebook(questions) -> None:
    notebook, _ = _pipeline_input(questions)
    notebook.cells[-1].source += "\n# solution-text-marmot"
    with pytest.raises(AssignmentError, match="solution-text-marmot"):
        run_steps(notebook, [check_no_secrets(["solution-text-marmot"])])


def test_a_mix_asking_for_more_than_the_banks_hold_names_the_difficulty(
    questions, tmp_path
) -> None:
    with pytest.raises(AssignmentError, match="hard"):
        write_assignment(_spec({}, mix={"hard": 5}), questions, tmp_path)
