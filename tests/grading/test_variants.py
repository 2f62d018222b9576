"""Per-student variants: only plain literals vary, meaning and text stay true, torch verifies each."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from lrcourse.grading.assign import AssignmentSpec, write_assignment
from lrcourse.grading.variants import (
    VariantError,
    check_variants,
    is_parameterised,
    variable_parameters,
    variant_problems,
    variant_question,
    verify_variants,
)
from lrcourse.quiz.check import predict_key
from lrcourse.quiz.model import Predict

STUDENTS = [f"s{n}" for n in range(12)]
OPT = "opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)\n"


def predict(code: str, **prose: object) -> Predict:
    fields = {
        "id": "v.question",
        "type": "predict",
        "difficulty": "easy",
        "topics": ["steplr"],
        "prompt": "What does this print?",
        "code": code,
        "hint": "h",
        "solution": ["s"],
        "mistakes": ["m"],
    }
    return Predict(**{**fields, **prose})


GUIDE_SWEEP = predict(
    "opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1e-4)\n"
    "sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=10 ** 0.5)\n"
    "for _ in range(5):\n    opt.step()\n    sched.step()\n"
    'print(f"{sched.get_last_lr()[0]:.0e}")\n',
    hint="Two steps of gamma = 10 ** 0.5 make one decade.",
)
STEPLR = predict(
    OPT + "sched = StepLR(opt, step_size=2, gamma=0.5)\n"
    "for _ in range(3):\n    opt.step(); sched.step()\n"
    "print(round(sched.get_last_lr()[0], 6))\n",
    prompt="`StepLR(step_size=2, gamma=0.5)` from `lr=0.1`: what does this print?",
    hint="A gamma of 0.5 cuts the rate every step_size=2 steps.",
)


def test_the_guides_growing_sweep_is_not_read_as_gamma_10():
    assert variable_parameters(GUIDE_SWEEP.code) == []
    assert not is_parameterised(GUIDE_SWEEP)
    assert all(variant_question(GUIDE_SWEEP, 7, s) is GUIDE_SWEEP for s in STUDENTS)


def test_a_growing_gamma_literal_is_not_varied_into_a_decay():
    growing = predict(OPT + "sched = ExponentialLR(opt, gamma=1.5)\nprint(sched.gamma)\n")
    assert [p.name for p in variable_parameters(growing.code)] == ["gamma"]
    assert not is_parameterised(growing)


def test_a_decaying_gamma_stays_below_one_and_each_variant_prints_what_torch_prints():
    seen = set()
    for student in STUDENTS:
        variant = variant_question(STEPLR, 3, student)
        [step_size, gamma] = [p.text for p in variable_parameters(variant.code)]
        assert float(gamma) < 1
        seen.add((step_size, gamma))
        optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
        scheduler = torch.optim.lr_scheduler.StepLR(
            optimizer, step_size=int(step_size), gamma=float(gamma)
        )
        for _ in range(3):
            optimizer.step()
            scheduler.step()
        assert predict_key(variant).strip() == str(round(scheduler.get_last_lr()[0], 6))
    assert len(seen) >= 3


def test_prompt_and_hint_are_rewritten_with_the_code():
    for student in STUDENTS:
        variant = variant_question(STEPLR, 3, student)
        [step_size, gamma] = [p.text for p in variable_parameters(variant.code)]
        assert variant.prompt == (
            f"`StepLR(step_size={step_size}, gamma={gamma})` from `lr=0.1`: what does this print?"
        )
        assert (
            variant.hint == f"A gamma of {gamma} cuts the rate every step_size={step_size} steps."
        )


def test_sound_variants_have_no_problems():
    assert verify_variants([STEPLR, GUIDE_SWEEP], 3, STUDENTS) == []


def test_a_prompt_quoting_the_original_output_is_an_error_for_variants_that_change_it():
    quoting = STEPLR.model_copy(update={"hint": "One cut by 0.5 from 0.1: it prints 0.05."})
    problems = verify_variants([quoting], 3, STUDENTS)
    assert problems
    assert all("variant of 'v.question' for student 's" in line for line in problems)
    assert any("field 'hint': still shows" in line for line in problems)
    # Students whose parameters happen to equal the bank's are not flagged.
    unchanged = [s for s in STUDENTS if variant_question(quoting, 3, s).code == quoting.code]
    assert all(variant_problems(quoting, 3, s) == [] for s in unchanged)


def test_a_solution_quoting_the_original_output_is_kept_and_labelled_as_the_banks_version():
    """The course's worked solutions quote the bank's output; a variant says whose they are."""
    quoting = STEPLR.model_copy(update={"solution": ["One cut by 0.5 from 0.1: it prints 0.05."]})
    assert verify_variants([quoting], 3, STUDENTS) == []
    changed = 0
    for student in STUDENTS:
        variant = variant_question(quoting, 3, student)
        if variant is quoting:
            continue
        changed += 1
        [step_size, gamma] = [p.text for p in variable_parameters(variant.code)]
        note, *steps = variant.solution
        assert steps == quoting.solution
        assert note.startswith("Your copy of this question uses ")
        assert "the bank's version uses " in note and "the steps below work that version" in note
        for name, mine, bank in (("step_size", step_size, "2"), ("gamma", gamma, "0.5")):
            if mine != bank:
                assert f"`{name}={mine}`" in note.split(";")[0]
                assert f"`{name}={bank}`" in note.split(";")[1]
    assert changed


def test_a_variant_that_raises_where_the_original_does_not_is_an_error():
    fragile = predict(
        OPT + "sched = StepLR(opt, step_size=2, gamma=0.5)\n"
        "assert sched.step_size == 2\nprint(sched.step_size)\n"
    )
    flagged = [s for s in STUDENTS if variant_problems(fragile, 5, s)]
    assert flagged
    for student in flagged:
        assert "step_size=2," not in variant_question(fragile, 5, student).code
        assert any(
            "raises AssertionError where the bank's question raises nothing" in line
            for line in variant_problems(fragile, 5, student)
        )


def test_a_variant_that_prints_a_different_count_of_numbers_is_an_error():
    shape = predict(OPT + "sched = StepLR(opt, step_size=2)\nprint(*range(sched.step_size))\n")
    problems = verify_variants([shape], 5, STUDENTS)
    assert any("number(s) where the bank's question prints 2" in line for line in problems)


def test_assign_with_variants_refuses_an_unsound_question_and_writes_nothing(tmp_path: Path):
    quoting = STEPLR.model_copy(update={"hint": "It prints 0.05."})
    spec = AssignmentSpec(
        assignment="hw",
        title="HW",
        question_ids=[quoting.id],
        students=STUDENTS,
        release="per-student",
        variants=True,
        seed=3,
    )
    with pytest.raises(VariantError, match="problem\\(s\\) with per-student variants"):
        write_assignment(spec, {quoting.id: quoting}, tmp_path)
    assert not (tmp_path / "hw").exists()


def test_check_variants_passes_the_grading_test_bank(questions):
    check_variants(questions.values(), 11, STUDENTS)


def test_the_refusal_names_each_unsound_question_once_with_a_count():
    quoting = STEPLR.model_copy(update={"hint": "It prints 0.05."})
    sound = STEPLR.model_copy(update={"id": "v.sound"})
    with pytest.raises(VariantError) as caught:
        check_variants([quoting, sound], 3, STUDENTS)
    lines = str(caught.value).splitlines()
    assert lines[0].endswith("of 1 question(s); nothing was written:")
    [detail] = lines[1:]
    assert detail.startswith("variant of 'v.question' for student ")
    assert "field 'hint': " in detail and "0.05" in detail
    assert detail.endswith("more for this question)")
