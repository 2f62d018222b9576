"""Chapter 8's claims, each run with torch classes in a plain loop written here.

The Hugging Face formulas below are the published ones (``transformers.optimization``, as factors
of the peak rate at optimizer step ``s``), typed from their documentation: the test checks that
torch's own classes, combined with ``SequentialLR``, give the same rate at every step.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
import torch
from torch.optim import lr_scheduler
from torch.optim.swa_utils import SWALR

WARMUP, TOTAL, COOLDOWN = 10, 100, 20


def sgd(lr: float = 1.0) -> torch.optim.SGD:
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)


def rates_of(
    build: Callable[[torch.optim.Optimizer], object], steps: int, lr: float = 1.0
) -> list[float]:
    """The rate each optimizer step uses, with scheduler.step() after it."""
    optimizer = sgd(lr)
    scheduler = build(optimizer)
    used = []
    for _ in range(steps):
        used.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()  # type: ignore[attr-defined]
    return used


def after_warmup_from_zero(optimizer, decay, milestones=(WARMUP,)):
    warmup = lr_scheduler.LambdaLR(optimizer, lambda s: s / WARMUP)  # LinearLR refuses 0
    return lr_scheduler.SequentialLR(optimizer, [warmup, *decay], milestones=list(milestones))


def ramp(s: int) -> float:
    return s / max(1, WARMUP)


HUGGING_FACE = {
    "constant_with_warmup": (
        lambda s: ramp(s) if s < WARMUP else 1.0,
        lambda o: after_warmup_from_zero(
            o, [lr_scheduler.ConstantLR(o, factor=1.0, total_iters=0)]
        ),
    ),
    "linear_with_warmup": (
        lambda s: ramp(s) if s < WARMUP else max(0.0, (TOTAL - s) / max(1, TOTAL - WARMUP)),
        lambda o: after_warmup_from_zero(
            o,
            [
                lr_scheduler.LinearLR(
                    o, start_factor=1.0, end_factor=0.0, total_iters=TOTAL - WARMUP
                )
            ],
        ),
    ),
    "cosine_with_warmup": (
        lambda s: (
            ramp(s)
            if s < WARMUP
            else max(0.0, 0.5 * (1 + math.cos(math.pi * 0.5 * 2 * (s - WARMUP) / (TOTAL - WARMUP))))
        ),
        lambda o: after_warmup_from_zero(
            o, [lr_scheduler.CosineAnnealingLR(o, T_max=TOTAL - WARMUP)]
        ),
    ),
    "polynomial_decay_with_warmup(power=2, lr_end=0)": (
        lambda s: ramp(s) if s < WARMUP else (1 - (s - WARMUP) / (TOTAL - WARMUP)) ** 2,
        lambda o: after_warmup_from_zero(
            o, [lr_scheduler.PolynomialLR(o, total_iters=TOTAL - WARMUP, power=2.0)]
        ),
    ),
    "inverse_sqrt(timescale=warmup)": (
        lambda s: ramp(s) if s < WARMUP else 1 / math.sqrt(s / WARMUP),
        lambda o: after_warmup_from_zero(
            o, [lr_scheduler.LambdaLR(o, lambda n: math.sqrt(WARMUP / (n + WARMUP)))]
        ),
    ),
    "wsd(decay_type=linear)": (
        lambda s: (
            ramp(s)
            if s < WARMUP
            else 1.0
            if s < TOTAL - COOLDOWN
            else 1 - (s - TOTAL + COOLDOWN) / COOLDOWN
        ),
        lambda o: after_warmup_from_zero(
            o,
            [
                lr_scheduler.ConstantLR(o, factor=1.0, total_iters=0),
                lr_scheduler.LinearLR(o, start_factor=1.0, end_factor=0.0, total_iters=COOLDOWN),
            ],
            milestones=(WARMUP, TOTAL - COOLDOWN),
        ),
    ),
    "wsd(decay_type=cosine)": (
        lambda s: (
            ramp(s)
            if s < WARMUP
            else 1.0
            if s < TOTAL - COOLDOWN
            else 0.5 * (1 + math.cos(math.pi * (s - TOTAL + COOLDOWN) / COOLDOWN))
        ),
        lambda o: after_warmup_from_zero(
            o,
            [
                lr_scheduler.ConstantLR(o, factor=1.0, total_iters=0),
                lr_scheduler.CosineAnnealingLR(o, T_max=COOLDOWN),
            ],
            milestones=(WARMUP, TOTAL - COOLDOWN),
        ),
    ),
}


@pytest.mark.parametrize("name", list(HUGGING_FACE))
def test_hugging_face_schedule_is_a_sequentiallr_of_torch_classes(name: str) -> None:
    formula, build = HUGGING_FACE[name]
    used = rates_of(build, TOTAL)
    assert used == pytest.approx([formula(s) for s in range(TOTAL)], abs=1e-12)


def test_hugging_face_warmup_trains_its_first_step_at_zero_and_linearlr_refuses_zero() -> None:
    _formula, build = HUGGING_FACE["linear_with_warmup"]
    assert rates_of(build, 1, lr=5e-5) == [0.0]
    with pytest.raises(ValueError, match="greater than 0"):
        lr_scheduler.LinearLR(sgd(), start_factor=0.0)


def test_wsd_cooldowns_of_two_lengths_share_the_stable_phase() -> None:
    def wsd(total: int, decay: int):
        return lambda o: lr_scheduler.SequentialLR(
            o,
            [
                lr_scheduler.LinearLR(o, start_factor=0.01, total_iters=WARMUP),
                lr_scheduler.ConstantLR(o, factor=1.0, total_iters=0),
                lr_scheduler.LinearLR(o, start_factor=1.0, end_factor=0.0, total_iters=decay),
            ],
            milestones=[WARMUP, total - decay],
        )

    short, long = rates_of(wsd(60, 12), 60), rates_of(wsd(100, 20), 100)
    assert short[:48] == long[:48]
    assert short[48] == long[80] == pytest.approx(1.0)
    assert short[-1] == pytest.approx(1 / 12) and long[-1] == pytest.approx(1 / 20)


def warmup_factor(s: int) -> float:
    """Chapter 8's LinearLR warm-up from 1 % of the peak, as written in its sections 2 and 3."""
    return 0.01 + 0.99 * s / WARMUP


@pytest.mark.parametrize(
    ("formula", "build"),
    [
        (
            lambda s: warmup_factor(s) if s < WARMUP else (TOTAL - s) / (TOTAL - WARMUP),
            lambda o: lr_scheduler.LinearLR(
                o, start_factor=1.0, end_factor=0.0, total_iters=TOTAL - WARMUP
            ),
        ),
        (
            lambda s: (
                warmup_factor(s)
                if s < WARMUP
                else 0.5 * (1 + math.cos(math.pi * (s - WARMUP) / (TOTAL - WARMUP)))
            ),
            lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=TOTAL - WARMUP),
        ),
    ],
    ids=["linear-to-zero", "cosine-to-zero"],
)
def test_warmup_then_decay_follows_the_formula_of_section_2(formula, build) -> None:
    def schedule(o):
        warmup = lr_scheduler.LinearLR(o, start_factor=0.01, total_iters=WARMUP)
        return lr_scheduler.SequentialLR(o, [warmup, build(o)], milestones=[WARMUP])

    assert rates_of(schedule, TOTAL) == pytest.approx([formula(s) for s in range(TOTAL)], abs=1e-12)


def test_wsd_follows_the_formula_of_section_3() -> None:
    def wsd(o):
        return lr_scheduler.SequentialLR(
            o,
            [
                lr_scheduler.LinearLR(o, start_factor=0.01, total_iters=WARMUP),
                lr_scheduler.ConstantLR(o, factor=1.0, total_iters=0),
                lr_scheduler.LinearLR(o, start_factor=1.0, end_factor=0.0, total_iters=COOLDOWN),
            ],
            milestones=[WARMUP, TOTAL - COOLDOWN],
        )

    def formula(s: int) -> float:
        if s < WARMUP:
            return warmup_factor(s)
        return 1.0 if s < TOTAL - COOLDOWN else (TOTAL - s) / COOLDOWN

    assert rates_of(wsd, TOTAL) == pytest.approx([formula(s) for s in range(TOTAL)], abs=1e-12)


def test_total_steps_formula_of_section_6_matches_torchs_count() -> None:
    for examples, world_size, micro_batch, accumulation, epochs in [
        (10_000, 4, 16, 4, 3),
        (12_000, 4, 8, 4, 3),
        (1_001, 3, 7, 2, 2),
    ]:
        per_rank = math.ceil(math.ceil(examples / world_size) / micro_batch)
        formula = epochs * (per_rank // accumulation)
        counted = optimizer_steps_per_rank(examples, world_size, micro_batch, accumulation, epochs)
        assert formula == counted


def test_linear_decay_spends_more_rate_late_than_cosine_with_the_same_mean() -> None:
    linear = rates_of(lambda o: lr_scheduler.PolynomialLR(o, total_iters=100, power=1.0), 100)
    cosine = rates_of(lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=100), 100)
    assert cosine[25] > linear[25] and cosine[75] < linear[75]
    assert sum(linear) == pytest.approx(sum(cosine), rel=1e-2)


@pytest.mark.parametrize(
    ("build", "outcome"),
    [
        (lambda o: lr_scheduler.StepLR(o, step_size=1, gamma=0.5), [0.05, 0.025]),
        (lambda o: lr_scheduler.LambdaLR(o, lambda s: 0.5**s), ValueError),
        (lambda o: lr_scheduler.OneCycleLR(o, max_lr=0.1, total_steps=10), KeyError),
    ],
    ids=["StepLR-decays-the-new-group", "LambdaLR-raises", "OneCycleLR-raises"],
)
def test_add_param_group_after_the_scheduler(build, outcome) -> None:
    optimizer = sgd(0.1)
    scheduler = build(optimizer)
    optimizer.add_param_group({"params": [torch.nn.Parameter(torch.zeros(1))], "lr": 0.05})
    optimizer.step()
    if isinstance(outcome, list):
        scheduler.step()
        assert [group["lr"] for group in optimizer.param_groups] == pytest.approx(outcome)
    else:
        with pytest.raises(outcome):
            scheduler.step()


def test_a_parameter_without_gradient_is_skipped_so_requires_grad_freezes_cleanly() -> None:
    frozen = torch.nn.Parameter(torch.ones(1), requires_grad=False)
    trained = torch.nn.Parameter(torch.ones(1))
    optimizer = torch.optim.SGD([trained, frozen], lr=0.1, momentum=0.9, weight_decay=0.1)
    for _ in range(3):
        (trained**2).sum().backward()
        optimizer.step()
        optimizer.zero_grad()
    assert frozen.item() == 1.0 and frozen not in optimizer.state


@pytest.mark.parametrize("lr", [1e-3, 1e-2])
def test_adamw_weight_decay_per_step_is_lr_times_weight_decay(lr: float) -> None:
    weight = torch.nn.Parameter(torch.ones(1, dtype=torch.float64))
    optimizer = torch.optim.AdamW([weight], lr=lr, weight_decay=0.1)
    weight.grad = torch.zeros(1, dtype=torch.float64)
    optimizer.step()
    assert weight.item() == pytest.approx(1 - lr * 0.1, rel=1e-12)


def optimizer_steps_per_rank(
    examples: int, world_size: int, micro_batch: int, accumulation: int, epochs: int
) -> int:
    dataset = torch.utils.data.TensorDataset(torch.zeros(examples, 1))
    sampler = torch.utils.data.DistributedSampler(dataset, num_replicas=world_size, rank=0)
    loader = torch.utils.data.DataLoader(dataset, batch_size=micro_batch, sampler=sampler)
    return epochs * (len(loader) // accumulation)


def test_total_steps_counts_optimizer_steps_per_rank() -> None:
    # chapter 8, section 6 and exercise 1
    assert optimizer_steps_per_rank(10_000, 4, 16, 4, 3) == 117
    assert optimizer_steps_per_rank(12_000, 4, 8, 4, 3) == 279


def test_a_loop_that_counts_optimizer_steps_ends_its_decay_with_the_run() -> None:
    examples, world_size, micro_batch, accumulation, epochs = 640, 2, 8, 4, 2
    total = optimizer_steps_per_rank(examples, world_size, micro_batch, accumulation, epochs)
    optimizer = sgd(0.1)
    scheduler = lr_scheduler.LinearLR(
        optimizer, start_factor=1.0, end_factor=0.0, total_iters=total
    )
    micro_batches = examples // world_size // micro_batch
    steps = 0
    for _ in range(epochs):
        for i in range(micro_batches):
            if (i + 1) % accumulation == 0:
                optimizer.step()
                scheduler.step()
                steps += 1
    assert steps == total and optimizer.param_groups[0]["lr"] == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("strategy", ["linear", "cos"])
def test_swalr_anneals_from_the_current_rate_to_swa_lr_then_holds(strategy: str) -> None:
    used = rates_of(
        lambda o: SWALR(o, swa_lr=0.05, anneal_epochs=4, anneal_strategy=strategy), 7, lr=0.1
    )
    progress = [min(1.0, t / 4) for t in range(7)]
    shape = (
        progress if strategy == "linear" else [(1 - math.cos(math.pi * p)) / 2 for p in progress]
    )
    assert used == pytest.approx([0.1 + (0.05 - 0.1) * f for f in shape])


def test_schedule_free_optimizers_are_not_in_torch_core() -> None:
    assert [name for name in dir(torch.optim) if "free" in name.lower()] == []


def test_clipping_the_gradient_does_not_change_adams_first_step() -> None:
    """Chapter 9, section 8: Adam's first step is lr times the gradient's sign, clipped or not."""
    steps = []
    for max_norm in (None, 1.0):
        weight = torch.nn.Parameter(torch.zeros(2, dtype=torch.float64))
        optimizer = torch.optim.Adam([weight], lr=0.1)
        weight.grad = torch.tensor([10.0, -0.01], dtype=torch.float64)
        if max_norm is not None:
            returned = torch.nn.utils.clip_grad_norm_([weight], max_norm=max_norm)
            assert returned.item() == pytest.approx(math.hypot(10.0, 0.01))  # the norm before
            assert weight.grad.norm().item() == pytest.approx(max_norm)
        optimizer.step()
        steps.append(weight.detach().clone())
    assert torch.allclose(steps[0], steps[1], rtol=1e-4)  # eps=1e-8 against a 1e-3 gradient
    assert torch.allclose(steps[0], torch.tensor([-0.1, 0.1], dtype=torch.float64), rtol=1e-4)
