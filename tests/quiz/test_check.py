"""Grading one answer of every type; keys and references come from plain torch loops in the tests."""

from __future__ import annotations

import time

import pytest
import torch

from lrcourse.quiz.check import (
    check_answer,
    check_fix_loop,
    numeric_key,
    predict_key,
    same_output,
)
from lrcourse.quiz.errors import QuizAnswerError
from lrcourse.quiz.model import (
    Code,
    Explain,
    FixLoop,
    Flashcard,
    MultipleChoice,
    Numeric,
    Predict,
    SingleChoice,
)

COMMON = {
    "difficulty": "easy",
    "topics": ["t"],
    "prompt": "p",
    "hint": "h",
    "solution": ["s"],
    "mistakes": ["m"],
}


def options(*keys):
    return [{"key": k, "text": k.upper(), "feedback": f"about {k}"} for k in keys]


SINGLE = SingleChoice(
    id="t.single", type="single", options=options("a", "b", "c"), answer="b", **COMMON
)
MULTIPLE = MultipleChoice(
    id="t.multi", type="multiple", options=options("a", "b", "c", "d"), answers=["a", "c"], **COMMON
)


def test_single_right_and_wrong_give_the_option_feedback():
    right, wrong = check_answer(SINGLE, "b"), check_answer(SINGLE, "a")
    assert (right.score, right.correct) == (1.0, True) and "about b" in right.feedback
    assert (wrong.score, wrong.correct) == (0.0, False) and "about a" in wrong.feedback


def test_single_unknown_option_is_an_error_listing_valid_keys():
    with pytest.raises(QuizAnswerError, match="'z' is not an option; valid: a, b, c"):
        check_answer(SINGLE, "z")


@pytest.mark.parametrize(
    ("picked", "score", "correct"),
    [
        (["a", "c"], 1.0, True),
        (["c", "a"], 1.0, True),
        (["a"], 0.5, False),  # half of the right options, nothing wrong
        (["a", "b"], 0.0, False),  # one right, one wrong: they cancel
        (["a", "c", "b"], 0.5, False),  # both right, one wrong
        (["a", "b", "c", "d"], 0.0, False),  # selecting everything earns nothing
        ([], 0.0, False),
        (["b", "d"], 0.0, False),  # never below zero
    ],
)
def test_select_all_partial_credit(picked, score, correct):
    result = check_answer(MULTIPLE, picked)
    assert result.score == pytest.approx(score)
    assert result.correct is correct


def test_select_all_rejects_a_bare_string_and_unknown_keys():
    with pytest.raises(QuizAnswerError, match="list of option keys"):
        check_answer(MULTIPLE, "a")
    with pytest.raises(QuizAnswerError, match="'x' not options"):
        check_answer(MULTIPLE, ["a", "x"])


EXPONENTIAL = """
opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.9)
for _ in range(5):
    opt.step(); sched.step()
print(sched.get_last_lr()[0])
"""


def plain_exponential_rate(steps: int) -> float:
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.9)
    for _ in range(steps):
        optimizer.step()
        scheduler.step()
    return optimizer.param_groups[0]["lr"]


def numeric(**tolerance):
    return Numeric(id="t.num", type="numeric", code=EXPONENTIAL, tolerance=tolerance, **COMMON)


def test_numeric_key_is_what_torch_computes():
    assert numeric_key(numeric()) == pytest.approx(plain_exponential_rate(5), rel=1e-12)


def test_numeric_absolute_tolerance_edges():
    key = plain_exponential_rate(5)
    question = numeric(abs=0.001)
    assert check_answer(question, key + 0.0009).correct
    assert check_answer(question, str(round(key - 0.0009, 6))).correct
    outside = check_answer(question, key + 0.0011)
    assert not outside.correct and "too high" in outside.feedback
    assert "too low" in check_answer(question, key - 0.0011).feedback


def test_numeric_default_tolerance_is_relative_1e_6():
    key = plain_exponential_rate(5)
    question = numeric()
    assert check_answer(question, key * (1 + 5e-7)).correct
    assert not check_answer(question, key * (1 + 5e-6)).correct
    assert not check_answer(question, round(key, 3)).correct  # 0.059 is not 0.059049


@pytest.mark.parametrize("typed", ["1/20", "five", "", "nan", "inf", "1_000", "0x10"])
def test_numeric_text_that_is_not_a_number_scores_zero(typed):
    result = check_answer(numeric(abs=1.0), typed)
    assert result.score == 0 and "not a number" in result.feedback


def test_numeric_typed_answer_is_used_when_there_is_no_code():
    question = Numeric(id="t.typed", type="numeric", answer=3.0, tolerance={"abs": 0.5}, **COMMON)
    assert check_answer(question, "3.4").correct and not check_answer(question, "3.6").correct


STEPLR = """
opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
sched = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
for _ in range(4):
    opt.step(); sched.step()
    print(sched.get_last_lr()[0])
"""
PREDICT = Predict(id="t.predict", type="predict", code=STEPLR, **COMMON)


def plain_steplr_prints() -> list[float]:
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    printed = []
    for _ in range(4):
        optimizer.step()
        scheduler.step()
        printed.append(scheduler.get_last_lr()[0])
    return printed


def test_predict_key_is_the_snippet_output_under_torch():
    assert predict_key(PREDICT).split() == [str(v) for v in plain_steplr_prints()]


def test_predict_accepts_the_torch_output_written_any_reasonable_way():
    values = plain_steplr_prints()
    assert check_answer(PREDICT, "\n".join(map(str, values))).correct
    assert check_answer(PREDICT, "  " + " ".join(map(str, values)) + "\n\n").correct
    assert check_answer(PREDICT, ", ".join(f"{v:.4f}" for v in values)).correct  # 0.0500 == 0.05


def test_predict_rejects_the_classic_off_by_one_and_a_missing_value():
    wrong = check_answer(PREDICT, "0.05 0.05 0.025 0.025")
    assert not wrong.correct and "differs" in wrong.feedback
    short = check_answer(PREDICT, "0.1 0.05 0.05")
    assert not short.correct and "4 value(s), you wrote 3" in short.feedback


def test_same_output_compares_numbers_relatively_and_words_exactly():
    assert same_output("[0.1, 0.01]", "0.1 0.01")
    assert same_output("0.05000000074505806", "0.05")
    assert not same_output("0.05", "0.0501")
    assert not same_output("TypeError", "ValueError")
    assert same_output("0.0", "0")


CODE = Code(
    id="t.code",
    type="code",
    entry="Halve",
    starter="class Halve: ...",
    reference="see GOOD_SCHEDULER",
    checks=[
        {
            "kind": "trace",
            "build": "Halve(opt, every=2)",
            "reference": "StepLR(opt, step_size=2, gamma=0.5)",
            "epochs": 6,
            "param_groups": [{"lr": 0.1}, {"lr": 0.01}],
        },
        {"kind": "state_dict", "build": "Halve(opt, every=2)"},
        {"kind": "resume", "build": "Halve(opt, every=2)", "stop_after": 3, "total": 6},
        {"kind": "no_warnings", "build": "Halve(opt, every=2)"},
    ],
    timeout=60,
    **COMMON,
)
GOOD_SCHEDULER = """
class Halve(torch.optim.lr_scheduler.LRScheduler):
    def __init__(self, optimizer, every, last_epoch=-1):
        self.every = every
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [base * 0.5 ** (self.last_epoch // self.every) for base in self.base_lrs]
"""


def test_code_matching_torch_passes_every_check():
    result = check_answer(CODE, GOOD_SCHEDULER)
    assert (result.score, result.correct) == (1.0, True), result.text()
    assert len(result.details) == 4 and all(d.startswith("passed") for d in result.details)


def test_code_that_fails_the_trace_earns_nothing_for_its_other_checks():
    # The trace is the gate: passing resume, state_dict and no_warnings is worth nothing alone.
    one_group = GOOD_SCHEDULER.replace(
        "for base in self.base_lrs]", "for base in [self.base_lrs[0]] * len(self.base_lrs)]"
    )
    result = check_answer(CODE, one_group)
    assert not result.correct and result.score == 0.0
    assert "FAILED trace: group 1, step 0: yours 0.1, torch's StepLR 0.01" in result.details
    assert sum("no credit until the behaviour checks pass" in d for d in result.details) == 3


def test_code_that_warns_fails_only_the_warning_check():
    warns = GOOD_SCHEDULER.replace(
        "    def get_lr(self):\n",
        "    def get_lr(self):\n        import warnings; warnings.warn('hi')\n",
    )
    result = check_answer(CODE, warns)
    assert result.score == 0.8  # trace (weight 2), state_dict and resume (1 each) of 5
    assert any(d.startswith("FAILED no_warnings") and "hi" in d for d in result.details)


def test_code_that_raises_is_reported_with_its_line_not_a_traceback():
    raises = "class Halve(torch.optim.lr_scheduler.LRScheduler):\n    def __init__(self, *a, **k):\n        raise ValueError('nope')\n"
    result = check_answer(CODE, raises)
    assert result.score == 0
    assert all("ValueError: nope (line 3 of your code)" in d for d in result.details)
    assert "Traceback" not in result.text()


def test_code_with_a_syntax_error_or_no_entry_scores_zero():
    assert "SyntaxError" in check_answer(CODE, "def broken(:\n").feedback
    assert "does not define `Halve`" in check_answer(CODE, "x = 1\n").feedback


def test_code_that_loops_forever_is_stopped_by_the_timeout():
    start = time.monotonic()
    result = check_answer(CODE, "while True:\n    pass\n", timeout=4)
    assert time.monotonic() - start < 30
    assert result.score == 0 and "loop forever" in result.feedback


def test_code_that_exits_the_process_is_reported():
    result = check_answer(CODE, "import os\nos._exit(3)\n")
    assert result.score == 0 and "ended the run" in result.feedback


LOOP = FixLoop(
    id="t.loop",
    type="fix-loop",
    entry="train",
    scheduler="StepLR",
    scheduler_params={"step_size": 2, "gamma": 0.5},
    step_per="epoch",
    epochs=3,
    batches=4,
    starter="def train(*a): ...",
    starter_bugs=["missing-scheduler-step"],
    reference="def train(*a): ...",
    **COMMON,
)
BATCH = """
def train(model, optimizer, scheduler, loader, loss_fn, epochs):
    for epoch in range(epochs):
        for inputs, targets in loader:
            optimizer.zero_grad()
            loss_fn(model(inputs), targets).backward()
{order}
{after_epoch}
"""
RIGHT_ORDER = "            optimizer.step()\n"


def loop(per_batch: str = RIGHT_ORDER, after_epoch: str = "        scheduler.step()") -> str:
    return BATCH.format(order=per_batch.rstrip("\n"), after_epoch=after_epoch)


def plain_loop_rates(step_per: str) -> list[float]:
    """The rates a correct StepLR(2, 0.5) loop uses, 3 epochs x 4 batches, written out in torch."""
    model = torch.nn.Linear(2, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    rates = []
    for _ in range(3):
        for _ in range(4):
            rates.append(optimizer.param_groups[0]["lr"])
            optimizer.step()
            if step_per == "batch":
                scheduler.step()
        if step_per == "epoch":
            scheduler.step()
    return rates


def test_the_correct_loop_is_clean_in_a_real_subprocess():
    result = check_fix_loop(LOOP, loop())
    assert result.correct, result.text()
    assert "12 `optimizer.step()` and 3 `scheduler.step()`" in result.details[0]


@pytest.mark.parametrize(
    ("body", "bugs"),
    [
        (
            loop(RIGHT_ORDER + "            scheduler.step()\n", ""),
            ["per-batch-instead-of-per-epoch"],
        ),
        (loop(after_epoch=""), ["missing-scheduler-step"]),
        (
            loop(after_epoch="        scheduler.step()\n        scheduler.step()"),
            ["doubled-scheduler-step"],
        ),
        (
            loop("            scheduler.step()\n            optimizer.step()\n", ""),
            ["scheduler-before-optimizer", "per-batch-instead-of-per-epoch"],
        ),
        (loop("            pass\n"), ["no-optimizer-step"]),
    ],
    ids=["per-batch", "missing", "doubled", "scheduler-first", "no-optimizer-step"],
)
def test_the_recorder_reports_each_timing_mistake(body, bugs):
    result = check_fix_loop(LOOP, body, isolated=False)
    assert not result.correct
    assert f"Not yet: {', '.join(bugs)}." == result.feedback


def test_per_epoch_stepping_of_a_per_batch_schedule_is_reported_with_the_first_wrong_rate():
    per_batch = LOOP.model_copy(update={"step_per": "batch"})
    result = check_fix_loop(per_batch, loop(), isolated=False)
    assert result.feedback == "Not yet: per-epoch-instead-of-per-batch."
    truth = plain_loop_rates("batch")
    assert f"the correct loop uses {truth[2]:.6g} there" in result.text()
    assert check_fix_loop(
        per_batch, loop(RIGHT_ORDER + "            scheduler.step()\n", ""), isolated=False
    ).correct


def test_a_loop_that_raises_is_reported():
    result = check_fix_loop(
        LOOP, "def train(*args):\n    raise RuntimeError('boom')\n", isolated=False
    )
    assert not result.correct and "RuntimeError: boom (line 2 of your code)" in result.feedback


def test_explain_is_self_assessed_against_the_checklist():
    question = Explain(
        id="t.explain", type="explain", checklist=["one", "two", "three", "four"], **COMMON
    )
    half = check_answer(question, [0, 2])
    assert half.score == 0.5 and not half.correct
    assert half.details == ("not yet covered: two", "not yet covered: four")
    assert check_answer(question, [0, 1, 2, 3]).correct
    with pytest.raises(QuizAnswerError):
        check_answer(question, [4])


def test_flashcard_scores_what_the_learner_says():
    card = Flashcard(
        id="t.card", type="flashcard", difficulty="easy", topics=["x"], front="F", back="B"
    )
    assert check_answer(card, True).score == 1 and check_answer(card, False).score == 0
    assert check_answer(card, False).feedback == "B"


def test_fallback_runner_observes_and_bounds_a_loop_without_the_grading_sandbox():
    from lrcourse.quiz.run import run_lab_in_subprocess

    job = {"kind": "code", "entry": "Halve", "checks": [CODE.checks[0].model_dump()]}
    done = run_lab_in_subprocess({**job, "source": GOOD_SCHEDULER}, timeout=60)
    assert done.ok, done.problem
    seen = done.observations["observations"][0]
    optimizer = torch.optim.SGD(
        [{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": lr} for lr in (0.1, 0.01)]
    )
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    plain = [[], []]
    for _ in range(6):
        for group, rates in zip(optimizer.param_groups, plain, strict=True):
            rates.append(group["lr"])
        optimizer.step()
        scheduler.step()
    assert seen["lrs"] == plain
    start = time.monotonic()
    looped = run_lab_in_subprocess({**job, "source": "while True:\n    pass\n"}, timeout=4)
    assert time.monotonic() - start < 30
    assert not looped.ok and "loop forever" in looped.problem
