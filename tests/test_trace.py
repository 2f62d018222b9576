"""The truth engine equals a plain torch loop written here, for all 15 schedulers over a grid."""

from __future__ import annotations

import itertools
import math

import pytest
import torch
from torch.optim import lr_scheduler as torch_schedulers

from lrcourse import (
    SCHEDULER_NAMES,
    SchedulerConfigError,
    SchedulerSpec,
    ScheduleRunError,
    trace_schedule,
    trace_scheduler,
)


def half(epoch: int) -> float:
    return 0.5 ** (epoch // 3)


def shrink(epoch: int) -> float:
    return 0.9


# name -> list of (params for lrcourse, builder for the hand-written loop)
GRID: dict[str, list[dict]] = {
    "LambdaLR": [{"lr_lambda": half}, {"lr_lambda": lambda e: 1 / (e + 1)}],
    "MultiplicativeLR": [{"lr_lambda": shrink}],
    "StepLR": [{"step_size": s, "gamma": g} for s, g in itertools.product([1, 2, 5], [0.1, 0.5])],
    "MultiStepLR": [
        {"milestones": [3, 6], "gamma": 0.1},
        {"milestones": [2, 2, 7], "gamma": 0.5},
    ],
    "ConstantLR": [{"factor": f, "total_iters": t} for f, t in [(1 / 3, 5), (0.5, 2)]],
    "LinearLR": [{}, {"start_factor": 0.1, "end_factor": 1.0, "total_iters": 4}],
    "ExponentialLR": [{"gamma": g} for g in (0.5, 0.9, 0.99)],
    "PolynomialLR": [{"total_iters": 6, "power": p} for p in (1.0, 2.0, 0.5)],
    "CosineAnnealingLR": [{"T_max": t, "eta_min": e} for t, e in [(5, 0.0), (10, 0.001), (3, 0.0)]],
    "CosineAnnealingWarmRestarts": [{"T_0": 3}, {"T_0": 2, "T_mult": 2, "eta_min": 0.01}],
    "CyclicLR": [
        {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 3},
        {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 2, "mode": "triangular2"},
        {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 2, "mode": "exp_range", "gamma": 0.9},
    ],
    "OneCycleLR": [
        {"max_lr": 0.1, "total_steps": 12},
        {"max_lr": 0.5, "total_steps": 12, "anneal_strategy": "linear", "three_phase": True},
    ],
    "ReduceLROnPlateau": [{"patience": 1}, {"patience": 0, "factor": 0.5, "cooldown": 1}],
    "SequentialLR": [
        {
            "schedulers": [
                ("LinearLR", {"start_factor": 0.1, "total_iters": 3}),
                ("CosineAnnealingLR", {"T_max": 6}),
            ],
            "milestones": [3],
        }
    ],
    "ChainedScheduler": [
        {
            "schedulers": [
                ("ConstantLR", {"factor": 0.5, "total_iters": 2}),
                ("ExponentialLR", {"gamma": 0.9}),
            ]
        }
    ],
}
EPOCHS = 12
METRICS = [1.0, 0.9, 0.9, 0.9, 0.95, 0.9, 0.9, 0.9, 0.8, 0.8, 0.8, 0.8]


def hand_written_loop(
    name: str, params: dict, epochs: int, group_lrs: list[float]
) -> list[list[float]]:
    """The loop a learner would write: optimizer.step() then scheduler.step(), read param_groups."""
    groups = [{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": lr} for lr in group_lrs]
    optimizer = torch.optim.SGD(groups, lr=group_lrs[0], momentum=0.9)

    def build(name: str, params: dict):
        cls = getattr(torch_schedulers, name)
        params = dict(params)
        if "schedulers" in params:
            children = [build(child_name, child) for child_name, child in params.pop("schedulers")]
            if name == "ChainedScheduler":
                return cls(children, optimizer=optimizer)
            return cls(optimizer, children, **params)
        return cls(optimizer, **params)

    scheduler = build(name, params)
    seen: list[list[float]] = [[] for _ in groups]
    for epoch in range(epochs):
        for index, group in enumerate(optimizer.param_groups):
            seen[index].append(group["lr"])
        optimizer.step()
        if name == "ReduceLROnPlateau":
            scheduler.step(METRICS[epoch])
        else:
            scheduler.step()
    return seen


CASES = [(name, params) for name in SCHEDULER_NAMES for params in GRID[name]]


def test_grid_covers_all_fifteen_schedulers():
    assert set(GRID) == set(SCHEDULER_NAMES)
    assert len(SCHEDULER_NAMES) == 15
    public = {
        name
        for name in dir(torch_schedulers)
        if isinstance(getattr(torch_schedulers, name), type)
        and issubclass(
            getattr(torch_schedulers, name),
            (torch_schedulers.LRScheduler, torch_schedulers.ReduceLROnPlateau),
        )
        and not name.startswith("_")
        and name != "LRScheduler"
    } | {"ChainedScheduler", "SequentialLR"}
    assert public == set(SCHEDULER_NAMES)


@pytest.mark.parametrize(
    ("name", "params"),
    CASES,
    ids=[f"{n}-{i}" for n, i in ((n, i) for n in SCHEDULER_NAMES for i in range(len(GRID[n])))],
)
@pytest.mark.parametrize("group_lrs", [[0.1], [0.1, 0.01]], ids=["one-group", "two-groups"])
def test_trace_equals_hand_written_torch_loop(name, params, group_lrs):
    metrics = METRICS if name == "ReduceLROnPlateau" else None
    trace = trace_schedule(
        name,
        params,
        epochs=EPOCHS,
        lr=group_lrs[0],
        param_groups=[{"lr": lr} for lr in group_lrs],
        metrics=metrics,
    )
    expected = hand_written_loop(name, params, EPOCHS, group_lrs)
    assert [list(values) for values in trace.lrs] == expected  # exact, not approximately


def test_steplr_after_three_steps_is_half_the_rate():
    trace = trace_schedule("StepLR", {"step_size": 2, "gamma": 0.5}, epochs=3)
    assert trace.final_lrs[0] == 0.1 * 0.5
    assert trace.lr == (0.1, 0.1, 0.05)


def test_per_batch_stepping_steps_the_scheduler_every_batch():
    per_batch = trace_schedule(
        "StepLR", {"step_size": 2, "gamma": 0.5}, epochs=2, steps_per_epoch=3, step_per="batch"
    )
    per_epoch = trace_schedule(
        "StepLR", {"step_size": 2, "gamma": 0.5}, epochs=2, steps_per_epoch=3, step_per="epoch"
    )
    assert per_batch.lr == (0.1, 0.1, 0.05, 0.05, 0.025, 0.025)
    assert per_epoch.lr == (0.1, 0.1, 0.1, 0.1, 0.1, 0.1)
    assert per_epoch.final_lrs == (0.05,)
    assert per_epoch.epochs[3] == 1.0


def test_one_cycle_records_momentum_from_a_real_optimizer():
    trace = trace_schedule("OneCycleLR", {"max_lr": 0.1, "total_steps": 10}, epochs=10)
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
    scheduler = torch_schedulers.OneCycleLR(optimizer, max_lr=0.1, total_steps=10)
    expected = []
    for _ in range(10):
        expected.append(optimizer.param_groups[0]["momentum"])
        optimizer.step()
        scheduler.step()
    assert list(trace.momentums[0]) == expected
    assert max(trace.momentums[0]) == 0.95


def test_cyclic_lr_with_adam_records_beta1():
    trace = trace_schedule(
        "CyclicLR",
        {"base_lr": 0.001, "max_lr": 0.01, "step_size_up": 2},
        epochs=6,
        optimizer="Adam",
        optimizer_params={},
    )
    assert trace.momentums is not None
    assert trace.momentums[0][0] != trace.momentums[0][2]


def test_scheduler_before_optimizer_is_reported_with_torchs_warning():
    trace = trace_schedule(
        "StepLR", {"step_size": 2, "gamma": 0.5}, epochs=4, order="scheduler-first"
    )
    messages = trace.warning_messages()
    assert any(
        "Detected call of `lr_scheduler.step()` before `optimizer.step()`" in m for m in messages
    )
    right = trace_schedule("StepLR", {"step_size": 2, "gamma": 0.5}, epochs=4)
    assert right.warnings == ()
    # the wrong order skips the first value of the schedule: the decay comes one step early
    assert trace.lr[:2] == (0.1, 0.05)
    assert right.lr[:2] == (0.1, 0.1)


def test_custom_scheduler_factory_is_traced():
    class Halving(torch_schedulers.LRScheduler):
        def get_lr(self):
            return [base * 0.5**self.last_epoch for base in self.base_lrs]

    trace = trace_scheduler(Halving, epochs=3)
    assert trace.lr == (0.1, 0.05, 0.025)


def test_spec_label_names_children():
    spec = SchedulerSpec(
        "SequentialLR",
        {
            "schedulers": [("LinearLR", {"total_iters": 2}), ("ExponentialLR", {"gamma": 0.9})],
            "milestones": [2],
        },
    )
    assert spec.label() == (
        "SequentialLR(schedulers=[LinearLR(total_iters=2), ExponentialLR(gamma=0.9)], milestones=[2])"
    )


@pytest.mark.parametrize(
    ("name", "params", "options", "named"),
    [
        ("StepLr", {"step_size": 2}, {}, "StepLR"),
        ("StepLR", {"milestones": [2]}, {}, "milestones"),
        ("StepLR", {}, {}, "step_size"),
        ("OneCycleLR", {"max_lr": 0.1, "total_steps": 0}, {}, "total_steps"),
        ("CosineAnnealingWarmRestarts", {"T_0": 0}, {}, "T_0"),
        ("ReduceLROnPlateau", {}, {}, "metric"),
        ("ReduceLROnPlateau", {"mode": "sideways"}, {"metrics": [1.0] * 5}, "mode"),
        ("SequentialLR", {"schedulers": [], "milestones": []}, {}, "schedulers"),
        ("StepLR", {"step_size": 2}, {"optimizer": "Sgd"}, "optimizer"),
        ("StepLR", {"step_size": 2}, {"steps_per_epoch": 0}, "steps_per_epoch"),
    ],
)
def test_bad_configuration_names_the_parameter(name, params, options, named):
    with pytest.raises(SchedulerConfigError) as caught:
        trace_schedule(name, params, epochs=5, **options)
    assert named in str(caught.value)
    assert "Traceback" not in str(caught.value)


def test_stepping_past_total_steps_is_a_run_error_with_torchs_reason():
    with pytest.raises(ScheduleRunError, match="Tried to step 4 times"):
        trace_schedule("OneCycleLR", {"max_lr": 0.1, "total_steps": 3}, epochs=5)


def test_negative_rate_is_refused_with_the_step():
    with pytest.raises(ScheduleRunError, match=r"became -0\.05 at step 1"):
        trace_schedule("ExponentialLR", {"gamma": -0.5}, epochs=3)


def test_cosine_annealing_rises_again_after_t_max_instead_of_restarting():
    trace = trace_schedule("CosineAnnealingLR", {"T_max": 4}, epochs=9)
    assert trace.lr[4] == min(trace.lr)
    assert all(a < b for a, b in itertools.pairwise(trace.lr[4:]))
    assert not math.isclose(trace.lr[5], 0.1)
