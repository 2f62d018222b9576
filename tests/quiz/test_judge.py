"""The trusted side of code labs: jobs hold no answers, probes are drawn, every number is checked."""

from __future__ import annotations

import json
import random

import pytest
import torch

from lrcourse.quiz.bank import load_bank, quiz_dir
from lrcourse.quiz.check import answer_problem, check_fix_loop, same_output
from lrcourse.quiz.judge import ObservationError, judge_lab, lab_job
from lrcourse.quiz.labs import reference_training, run_job
from lrcourse.quiz.model import Code, FixLoop, Numeric, Predict
from tests.grading.helpers import BANKS
from tests.quiz.test_check import CODE, COMMON, GOOD_SCHEDULER, LOOP, loop


def _code_questions() -> list[Code | FixLoop]:
    found = []
    for path in [*sorted(quiz_dir().glob("*.yaml")), *sorted(BANKS.glob("*.yaml"))]:
        found += [q for q in load_bank(path).bank.questions if isinstance(q, Code | FixLoop)]
    return found


def test_a_job_sent_to_a_run_never_carries_a_reference_or_expected_value() -> None:
    questions = _code_questions()
    assert any(isinstance(q, Code) for q in questions) and any(
        isinstance(q, FixLoop) for q in questions
    )
    for question in questions:
        for rng in (None, random.Random(1)):
            sent = json.dumps(lab_job(question, "", rng))
            assert '"reference"' not in sent and '"expected"' not in sent, question.id
            secrets = [question.reference] if isinstance(question, FixLoop) else []
            if isinstance(question, Code):
                secrets += [
                    getattr(c, "reference", None) or getattr(c, "expected", "")
                    for c in question.checks
                ]
            assert not [s for s in secrets if s and s in sent], question.id


def test_probe_settings_are_drawn_per_run_and_never_the_banks_own() -> None:
    first, second = (lab_job(CODE, "", random.Random(seed)) for seed in (1, 2))
    assert first["checks"] != second["checks"]
    for job in (first, second):
        trace = job["checks"][0]
        bank_rates = [g["lr"] for g in CODE.checks[0].param_groups]
        assert [g["lr"] for g in trace["param_groups"]] != bank_rates
        assert 1 <= job["checks"][2]["stop_after"] < CODE.checks[2].total
    loop_job = lab_job(LOOP, "", random.Random(3))
    assert loop_job["lr"] != 0.1 and loop_job["seed"] != 0


def test_a_right_answer_passes_on_drawn_settings_and_a_table_of_the_banks_rates_does_not() -> None:
    table = GOOD_SCHEDULER.replace(
        "return [base * 0.5 ** (self.last_epoch // self.every) for base in self.base_lrs]",
        "return [[0.1, 0.01][i] * 0.5 ** (self.last_epoch // self.every)"
        " for i, _ in enumerate(self.base_lrs)]",
    )
    for seed in range(3):
        job = lab_job(CODE, GOOD_SCHEDULER, random.Random(seed))
        assert judge_lab(CODE, run_job(job), job).correct
        job = lab_job(CODE, table, random.Random(seed))
        assert judge_lab(CODE, run_job(job), job).score == 0.0
    bank = lab_job(CODE, table)  # the bank's own settings: the table would pass
    assert judge_lab(CODE, run_job(bank), bank).correct


def _observed_trace(rates: list, final: list) -> dict:
    return {
        "observations": [
            {"kind": "trace", "lrs": rates, "final_lrs": final},
            {
                "kind": "state_dict",
                "saved": {},
                "reloaded": {},
                "last_lr": [0.1],
                "reloaded_last_lr": [0.1],
            },
            {"kind": "resume", "straight": [[0.1]] * 6, "resumed": [[0.1]] * 6},
            {"kind": "no_warnings", "warnings": []},
        ]
    }


@pytest.mark.parametrize(
    "bad", [float("inf"), float("-inf"), float("nan"), 10**400, "0.1", True, None]
)
def test_a_rate_that_is_not_a_finite_number_fails_its_check_with_a_reason(bad) -> None:
    job = lab_job(CODE, "")
    seen = _observed_trace([[bad] * 6, [bad] * 6], [bad, bad])
    result = judge_lab(CODE, seen, job)
    assert result.score == 0.0 and not result.correct
    assert "is not a finite rate" in result.details[0]


@pytest.mark.parametrize(
    "observations",
    [
        [],
        "ok",
        {"observations": "all passed"},
        {"observations": [{"kind": "value"}] * 4},
        {"observations": [{"kind": "trace", "lrs": "x" * 1000, "final_lrs": []}] * 4},
    ],
    ids=["list", "text", "text-inside", "wrong-kind", "string-rates"],
)
def test_observations_of_the_wrong_shape_are_refused(observations) -> None:
    with pytest.raises(ObservationError):
        judge_lab(CODE, observations, lab_job(CODE, ""))


@pytest.mark.parametrize("bad", [5, 0.1, None, "0.1"], ids=["int", "float", "none", "text"])
def test_a_reloaded_rate_that_is_not_a_list_fails_the_state_dict_check(bad) -> None:
    # The run writes both sides of this comparison: a number there once crashed the grader
    # with a TypeError (len() of an int) instead of failing the check.
    job = lab_job(CODE, "")
    seen = _observed_trace([[0.1] * 6] * 2, [0.1, 0.1])
    seen["observations"][1]["reloaded_last_lr"] = bad
    result = judge_lab(CODE, seen, job)
    assert "after load_state_dict the reloaded get_last_lr() differs" in result.details[1]


def test_the_fix_loop_reports_missing_zero_grad_and_backward() -> None:
    no_zero_grad = loop().replace("            optimizer.zero_grad()\n", "")
    result = check_fix_loop(LOOP, no_zero_grad, isolated=False)
    assert result.feedback == "Not yet: stale-gradients.", result.text()
    assert "0 `zero_grad()`, 12 loss and 12 `backward()`" in result.details[0]
    no_backward = loop().replace(".backward()", "")
    result = check_fix_loop(LOOP, no_backward, isolated=False)
    assert result.feedback == "Not yet: no-backward.", result.text()


def test_the_trained_weights_are_compared_with_the_correct_loop_run_here() -> None:
    job = lab_job(LOOP, loop(), random.Random(5))
    seen = run_job(job)
    assert judge_lab(LOOP, seen, job).correct
    lied = {**seen, "weights": [w + 1e-3 for w in seen["weights"]]}
    result = judge_lab(LOOP, lied, job)
    assert not result.correct and "the correct loop on the same data reaches" in result.text()


def test_the_reference_training_is_a_plain_torch_loop() -> None:
    job = lab_job(LOOP, "", random.Random(7))
    torch.manual_seed(0)
    from lrcourse.quiz.labs import loop_batches, loop_model

    model, optimizer = loop_model(job["seed"], job["lr"])
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    for _ in range(job["epochs"]):
        for inputs, targets in loop_batches(job["seed"], job["batches"]):
            optimizer.zero_grad()
            torch.nn.functional.mse_loss(model(inputs), targets).backward()
            optimizer.step()
        scheduler.step()
    plain = [float(v) for p in model.parameters() for v in p.detach().flatten().tolist()]
    assert reference_training(job) == plain


NUMERIC = Numeric(id="t.num", type="numeric", answer=0.05, **COMMON)
PREDICT = Predict(id="t.predict", type="predict", code="print(0.05)", **COMMON)


@pytest.mark.parametrize(
    ("question", "answer", "reason"),
    [
        (NUMERIC, float("inf"), "finite number"),
        (NUMERIC, 10**400, "finite number"),
        (NUMERIC, "1e999", "not a finite number"),
        (NUMERIC, "nan", "not a finite number"),
        (PREDICT, "1e999", "not a finite number"),
        (PREDICT, "0.05 " * 30_000, "characters long"),
    ],
)
def test_absurd_answers_are_invalid_with_a_reason(question, answer, reason) -> None:
    problem = answer_problem(question, answer)
    assert problem is not None and reason in problem
    assert len(problem) < 300


def test_infinity_never_matches_a_printed_number() -> None:
    assert not same_output("0.05", "1e999")
    assert not same_output("[0.1, 0.05]", "[1e999, -1e999]")
    assert same_output("inf", "inf")  # what torch prints for an infinite rate, as text


# --- check_scheduler's properties, decided in the grader -----------------------------------

EXPONENTIAL = """\
class MyExponential(LRScheduler):
    def __init__(self, optimizer, gamma):
        self.gamma = gamma
        super().__init__(optimizer)

    def get_lr(self):
        if self.last_epoch == 0:
            return [group["lr"] for group in self.optimizer.param_groups]
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self):
        return [base_lr * self.gamma**self.last_epoch for base_lr in self.base_lrs]
"""
#: Schedulers with one property broken each, and the property check_scheduler names.
BROKEN = {
    "closed-form": EXPONENTIAL.replace(
        "self.gamma**self.last_epoch", "self.gamma**(self.last_epoch + 1)"
    ),
    "resume": EXPONENTIAL.replace(  # a closed-form get_lr that forgets its step on load
        "    def get_lr(self):\n",
        "    def load_state_dict(self, state):\n        pass\n\n"
        "    def get_lr(self):\n        return self._get_closed_form_lr()\n\n"
        "    def _unused(self):\n",
    ),
    "param-groups": EXPONENTIAL.replace(
        'return [group["lr"] * self.gamma for group in self.optimizer.param_groups]',
        'return [group["lr"] * self.gamma ** (1 + i % 2) for i, group in enumerate(self.optimizer.param_groups)]',
    ).replace(
        "return [base_lr * self.gamma**self.last_epoch for base_lr in self.base_lrs]",
        "return [b * self.gamma ** ((1 + i % 2) * self.last_epoch) for i, b in enumerate(self.base_lrs)]",
    ),
    "no-warnings": EXPONENTIAL.replace(
        "    def get_lr(self):\n",
        "    def get_lr(self):\n        import warnings\n        warnings.warn('careful')\n",
    ),
    "runs": EXPONENTIAL.replace("self.gamma for group", "-self.gamma for group").replace(
        "self.gamma**self.last_epoch", "(-self.gamma)**self.last_epoch"
    ),
}


def _properties_of(source: str, seed: int = 0) -> dict[str, bool]:
    from lrcourse.quiz.judge import judge_properties
    from lrcourse.quiz.labs import learner_namespace, observe_properties

    check = {"build": "MyExponential(opt, gamma=0.8)", "epochs": 12, "lr": 0.1}
    check["param_groups"] = [{"lr": 0.1}, {"lr": 0.02}]
    check["stop_after"] = 6
    seen = observe_properties(learner_namespace(source), check)
    return {name: ok for name, ok, _ in judge_properties(seen, 12)}


def test_the_graders_properties_agree_with_check_scheduler_on_every_scheduler() -> None:
    import lrcourse
    from lrcourse.quiz.labs import learner_namespace

    for name, source in {"none": EXPONENTIAL, **BROKEN}.items():
        ours = _properties_of(source)
        make = learner_namespace(source)["MyExponential"]
        report = lrcourse.check_scheduler(
            lambda opt, make=make: make(opt, gamma=0.8),
            epochs=12,
            param_groups=[{"lr": 0.1}, {"lr": 0.02}],
        )
        theirs = {c.name: c.status != "failed" for c in report.checks if c.name != "reference"}
        assert ours == theirs, (name, ours, theirs)
        if name != "none":
            assert not ours[name], name


def test_a_properties_check_fails_a_scheduler_whose_closed_form_disagrees() -> None:
    question = next(
        q for q in _code_questions() if q.id == "custom-schedulers.write-guarded-exponential"
    )
    for seed in range(2):
        job = lab_job(question, BROKEN["closed-form"], random.Random(seed))
        result = judge_lab(question, run_job(job), job)
        assert not result.correct
        assert any(
            "FAILED properties: check_scheduler finds closed-form" in d for d in result.details
        )


def test_a_run_that_builds_the_forbidden_scheduler_goes_to_review_even_without_naming_it() -> None:
    # The source hides the name (the audit catches that too); the run's own record of the MRO
    # of what it built names it, and the grader reads that record.
    question = next(q for q in _code_questions() if q.id == "lr-basics.halve-every-scheduler")
    hidden = (
        "class HalveEvery(getattr(lr_scheduler, 'Step' + 'LR')):\n"
        "    def __init__(self, optimizer, every, last_epoch=-1):\n"
        "        super().__init__(optimizer, every, 0.5, last_epoch)\n"
    )
    job = lab_job(question, hidden, random.Random(0))
    result = judge_lab(question, run_job(job), job)
    assert result.score == 0.0
    assert result.review is not None and "torch.optim.lr_scheduler.StepLR" in result.review


def test_graded_feedback_never_shows_a_value_checks_inputs_or_torchs_value() -> None:
    question = next(q for q in _code_questions() if q.id == "lr-basics.weight-after-steps")
    wrong = "def weight_after(w0, curvature, lr, steps):\n    return w0 + 1\n"
    job = lab_job(question, wrong, random.Random(4))
    private = judge_lab(question, run_job(job), job, reveal=False).text()
    shown = judge_lab(question, run_job(job), job).text()
    values = job["checks"][0]["values"]
    assert "torch gives" in shown and f"w0={values['w0']:.6g}" in shown
    assert "torch gives" not in private and "w0=" not in private
    assert f"{values['w0']:.6g}" not in private


def test_value_inputs_are_drawn_per_run_and_never_sent_as_expressions() -> None:
    question = next(q for q in _code_questions() if q.id == "lr-range.suggest-min-over-ten")
    first, second = (lab_job(question, "", random.Random(seed)) for seed in (1, 2))
    assert first["checks"][1]["values"] != second["checks"][1]["values"]
    assert "inputs" not in json.dumps(first) and "rng." not in json.dumps(first)
