"""The scheduler property checks catch broken schedulers and pass torch's own and correct ones.

Each broken scheduler lives in ``tests/files/schedulers/<what it does>--fails-<check>.py``; a
correct one ends in ``--passes.py``. Each defect is first shown with a plain torch loop written
here, so the tests do not trust the checker to say what is broken.
"""

from __future__ import annotations

import importlib.util
import io
from pathlib import Path
from types import ModuleType

import pytest
import torch
from torch.optim import lr_scheduler

from lrcourse import CheckReport, SchedulerSpec, check_scheduler
from lrcourse.content.scheduler_checks import CHECK_NAMES, SchedulerCheckError
from lrcourse.errors import LRCourseError

FIXTURES = Path(__file__).resolve().parents[1] / "files" / "schedulers"


def load_fixture(stem: str) -> ModuleType:
    path = FIXTURES / f"{stem}.py"
    spec = importlib.util.spec_from_file_location(stem.replace("-", "_"), path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def sgd(*rates: float) -> torch.optim.SGD:
    return torch.optim.SGD(
        [{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": rate} for rate in rates]
    )


def plain_rates(make_scheduler, rates=(0.1,), steps=10) -> list[list[float]]:
    optimizer = sgd(*rates)
    scheduler = make_scheduler(optimizer)
    seen = [[group["lr"] for group in optimizer.param_groups]]
    for _ in range(steps):
        optimizer.step()
        scheduler.step()
        seen.append([group["lr"] for group in optimizer.param_groups])
    return seen


def plain_resumed_rates(make_scheduler, stop_at=5, steps=10) -> list[float]:
    optimizer = sgd(0.1)
    scheduler = make_scheduler(optimizer)
    for _ in range(stop_at):
        optimizer.step()
        scheduler.step()
    buffer = io.BytesIO()
    torch.save({"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict()}, buffer)
    buffer.seek(0)
    checkpoint = torch.load(buffer)
    optimizer = sgd(0.1)
    scheduler = make_scheduler(optimizer)
    optimizer.load_state_dict(checkpoint["optimizer"])
    scheduler.load_state_dict(checkpoint["scheduler"])
    seen = [optimizer.param_groups[0]["lr"]]
    for _ in range(stop_at, steps):
        optimizer.step()
        scheduler.step()
        seen.append(optimizer.param_groups[0]["lr"])
    return seen


FIXTURE_STEMS = sorted(path.stem for path in FIXTURES.glob("*.py"))


@pytest.mark.parametrize("stem", [s for s in FIXTURE_STEMS if "--fails-" in s])
def test_each_broken_scheduler_fails_the_check_its_name_says(stem):
    expected = stem.split("--fails-")[1]
    report = check_scheduler(load_fixture(stem).make_scheduler)
    assert report.check(expected).status == "failed", str(report)
    assert not report.passed


@pytest.mark.parametrize("stem", [s for s in FIXTURE_STEMS if s.endswith("--passes")])
def test_each_correct_scheduler_passes_every_check(stem):
    report = check_scheduler(load_fixture(stem).make_scheduler)
    assert report.passed, str(report)


def test_correct_warmup_cosine_equals_torchs_sequential_composition():
    make = load_fixture("warmup-cosine--passes").make_scheduler

    def torch_composition(optimizer):
        warmup = lr_scheduler.LinearLR(optimizer, start_factor=0.1, total_iters=4)
        cosine = lr_scheduler.CosineAnnealingLR(optimizer, T_max=16)
        return lr_scheduler.SequentialLR(optimizer, [warmup, cosine], milestones=[4])

    ours = plain_rates(make, rates=(0.1, 0.02), steps=20)
    theirs = plain_rates(torch_composition, rates=(0.1, 0.02), steps=20)
    assert [r for row in ours for r in row] == pytest.approx([r for row in theirs for r in row])
    report = check_scheduler(make, reference=torch_composition)
    assert report.check("reference").status == "passed", str(report)


def test_closed_form_disagreement_is_real_and_caught():
    make = load_fixture("closed-form-disagrees--fails-closed-form").make_scheduler
    optimizer = sgd(0.1)
    scheduler = make(optimizer)
    # Plain torch: right after construction the closed form says 0.1, step() already decayed.
    assert scheduler._get_closed_form_lr()[0] == 0.1
    assert optimizer.param_groups[0]["lr"] != pytest.approx(0.1)
    report = check_scheduler(make)
    assert report.check("closed-form").status == "failed"
    assert "last_epoch=0" in report.check("closed-form").detail
    assert report.check("resume").passed and report.check("param-groups").passed


def test_hidden_state_lost_on_resume_is_real_and_caught():
    make = load_fixture("counts-its-own-calls--fails-resume").make_scheduler
    uninterrupted = [row[0] for row in plain_rates(make)][5:]
    resumed = plain_resumed_rates(make)
    assert resumed != pytest.approx(uninterrupted)
    report = check_scheduler(make)
    assert report.check("resume").status == "failed"
    # The lambdas were saved as None, so the state_dict itself round-trips: only resume sees it.
    assert report.check("state-dict").passed


def test_callable_object_keeps_its_state_through_resume():
    make = load_fixture("counts-in-a-callable-object--passes").make_scheduler
    uninterrupted = [row[0] for row in plain_rates(make)][5:]
    assert plain_resumed_rates(make) == pytest.approx(uninterrupted)
    assert check_scheduler(make).check("resume").status == "passed"


def test_ignored_second_group_is_real_and_caught():
    make = load_fixture("ignores-second-group--fails-param-groups").make_scheduler
    together = plain_rates(make, rates=(0.1, 0.02))
    alone = plain_rates(make, rates=(0.02,))
    assert [row[1] for row in together] != pytest.approx([row[0] for row in alone])
    report = check_scheduler(make, param_groups=[{"lr": 0.1}, {"lr": 0.02}])
    assert report.check("param-groups").status == "failed"
    assert "group 1" in report.check("param-groups").detail


def test_one_group_makes_the_param_group_check_not_applicable():
    make = load_fixture("ignores-second-group--fails-param-groups").make_scheduler
    report = check_scheduler(make, param_groups=[{"lr": 0.1}])
    assert report.check("param-groups").status == "not applicable"


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("StepLR", {"step_size": 3, "gamma": 0.5}),
        ("MultiStepLR", {"milestones": [3, 7], "gamma": 0.1}),
        ("ExponentialLR", {"gamma": 0.9}),
        ("CosineAnnealingLR", {"T_max": 10, "eta_min": 0.001}),
        ("LinearLR", {}),
        ("OneCycleLR", {"max_lr": 0.1, "total_steps": 30}),
    ],
)
def test_torch_schedulers_pass_every_check_and_match_themselves(name, params):
    cls = getattr(lr_scheduler, name)
    report = check_scheduler(
        lambda optimizer: cls(optimizer, **params), reference=SchedulerSpec(name, params)
    )
    assert report.passed, str(report)
    assert report.check("reference").status == "passed"


def test_closed_form_is_checked_where_torch_defines_one():
    report = check_scheduler(lambda optimizer: lr_scheduler.ExponentialLR(optimizer, gamma=0.9))
    assert report.check("closed-form").status == "passed"
    report = check_scheduler(lambda optimizer: lr_scheduler.LambdaLR(optimizer, lambda e: 0.9**e))
    assert report.check("closed-form").status == "not applicable"


def test_reference_mismatch_names_the_first_differing_step():
    report = check_scheduler(
        lambda optimizer: lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.5),
        reference=("StepLR", {"step_size": 2, "gamma": 0.5}),
    )
    check = report.check("reference")
    assert check.status == "failed"
    # A plain torch loop agrees on where the two first differ.
    ours = plain_rates(lambda o: lr_scheduler.StepLR(o, step_size=3, gamma=0.5))
    theirs = plain_rates(lambda o: lr_scheduler.StepLR(o, step_size=2, gamma=0.5))
    first = next(t for t, (a, b) in enumerate(zip(ours, theirs, strict=True)) if a != b)
    assert f"after {first} steps" in check.detail


def test_a_scheduler_that_raises_is_reported_not_raised():
    report = check_scheduler(load_fixture("raises-in-step--fails-runs").make_scheduler)
    assert "ZeroDivisionError" in report.check("runs").detail
    assert [check.status for check in report.checks[1:]] == ["not run"] * (len(CHECK_NAMES) - 1)


def test_warnings_are_reported_not_leaked():
    # pytest turns warnings into errors: reaching the assert proves none escaped.
    report = check_scheduler(
        load_fixture("reads-get-lr-outside-step--fails-no-warnings").make_scheduler
    )
    assert "get_last_lr()" in report.check("no-warnings").detail


def test_report_lists_every_check_in_order_and_raises_with_the_failures():
    report = check_scheduler(
        load_fixture("ignores-second-group--fails-param-groups").make_scheduler
    )
    assert isinstance(report, CheckReport)
    assert tuple(check.name for check in report.checks) == CHECK_NAMES
    assert [check.name for check in report.failures()] == ["param-groups"]
    with pytest.raises(SchedulerCheckError, match="FAIL  param-groups"):
        report.raise_if_failed()
    with pytest.raises(SchedulerCheckError, match="closed-form"):
        report.check("closed_form")


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"epochs": 1}, "epochs"),
        ({"param_groups": []}, "param_groups"),
        ({"param_groups": [0.1]}, "param_groups"),
    ],
)
def test_bad_arguments_raise_a_course_error_naming_them(kwargs, named):
    with pytest.raises(LRCourseError, match=named):
        check_scheduler(lambda optimizer: lr_scheduler.StepLR(optimizer, 2), **kwargs)


def test_a_reference_that_does_not_run_is_a_call_error_naming_reference():
    with pytest.raises(SchedulerCheckError, match=r"reference=.*step_size"):
        check_scheduler(
            lambda optimizer: lr_scheduler.StepLR(optimizer, 2),
            reference=("StepLR", {"step_sise": 2}),
        )


def test_make_scheduler_must_be_callable():
    with pytest.raises(SchedulerCheckError, match="make_scheduler"):
        check_scheduler(lr_scheduler.StepLR(sgd(0.1), 2))  # a scheduler, not a factory
