"""Chapter 8's statements corrected in the independent review of its notebook, quiz bank, glossary,
cheat sheet and flashcards, each proved by plain torch (training claims over seeds live in
tests/train/test_claims.py). Where a sentence was wrong or imprecise, a last test checks that it
is gone from the page it lived on.
"""

from __future__ import annotations

import itertools
import math
import re
import warnings
from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest
import torch
from torch.optim import lr_scheduler
from torch.optim.swa_utils import SWALR, AveragedModel, get_ema_multi_avg_fn

from tests.content.test_claims import prose_of

ROOT = Path(__file__).resolve().parents[2]
CHAPTER = ROOT / "notebooks" / "08_modern_practice.ipynb"


def sgd(lr: float = 1.0, groups: tuple[float, ...] = (), **options: float) -> torch.optim.SGD:
    """SGD over one throwaway parameter per group (one group at ``lr`` unless ``groups`` given)."""
    rates = groups or (lr,)
    params = [{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": rate} for rate in rates]
    return torch.optim.SGD(params, lr=rates[0], **options)


def used_rates(optimizer: torch.optim.Optimizer, scheduler, steps: int) -> list[list[float]]:
    """The rate of every group at each optimizer step, with scheduler.step() after it."""
    used = []
    for _ in range(steps):
        used.append([float(group["lr"]) for group in optimizer.param_groups])
        optimizer.step()
        scheduler.step()
    return used


# ---- section 2: linear against cosine --------------------------------------------------------


def test_cosine_is_above_linear_in_the_first_half_below_in_the_second_and_steepest_mid_way():
    """ch8 section 2: cosine falls fastest in the middle and flattens at both ends."""
    steps = 90

    def first_group(build) -> list[float]:
        optimizer = sgd()
        return [rates[0] for rates in used_rates(optimizer, build(optimizer), steps + 1)]

    linear = first_group(lambda o: lr_scheduler.LinearLR(o, 1.0, 0.0, total_iters=steps))
    cosine = first_group(lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=steps))
    assert all(c > lin for c, lin in zip(cosine[1:45], linear[1:45], strict=True))
    assert all(c < lin for c, lin in zip(cosine[46:90], linear[46:90], strict=True))
    drop = [a - b for a, b in itertools.pairwise(cosine)]
    line = 1 / steps
    assert max(drop) == pytest.approx(drop[44], rel=1e-3) and drop[44] > 1.5 * line
    assert drop[0] < 0.1 * line and drop[89] < 0.1 * line  # flat at both ends
    assert sum(linear[:90]) == pytest.approx(sum(cosine[:90]), abs=1e-9)  # the same mean rate


# ---- section 6: the micro-batch a loop carries over ------------------------------------------


def test_a_leftover_micro_batch_makes_the_next_step_five_quarters_of_the_usual_gradient():
    """ch8 section 6: 5 micro-batches of loss / 4 sum to 5/4 of their mean gradient; the last
    epoch's leftover is never stepped."""
    generator = torch.Generator().manual_seed(0)
    batches = [torch.randn(4, generator=generator) for _ in range(5)]  # 5 = one epoch's M
    weight = torch.nn.Parameter(torch.zeros(4))
    optimizer = torch.optim.SGD([weight], lr=0.0)  # lr 0: watch the gradients only
    seen = []
    for _epoch in range(2):
        for i, target in enumerate(batches):
            loss = ((weight - target) ** 2).sum() / 4
            loss.backward()
            if (i + 1) % 4 == 0:
                seen.append(weight.grad.clone())
                optimizer.step()
                optimizer.zero_grad()
    mean_of = lambda group: torch.stack([-2 * t for t in group]).mean(0)  # noqa: E731
    assert torch.allclose(seen[0], mean_of(batches[:4]))
    # epoch 2's first step: its four micro-batches plus epoch 1's fifth
    assert torch.allclose(seen[1], 1.25 * mean_of([batches[4], *batches[:4]]))
    assert len(seen) == 2 and weight.grad is not None and weight.grad.abs().sum() > 0


# ---- section 7 and the glossary: which schedulers keep the groups' ratios -------------------


@pytest.mark.parametrize(
    "build",
    [
        lambda o: lr_scheduler.LinearLR(o, start_factor=1.0, end_factor=0.0, total_iters=10),
        lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=10),
        lambda o: lr_scheduler.OneCycleLR(o, max_lr=[1e-3, 2e-3], total_steps=10),
        lambda o: lr_scheduler.CyclicLR(
            o, base_lr=[1e-4, 2e-4], max_lr=[1e-3, 2e-3], step_size_up=2
        ),
    ],
    ids=["LinearLR", "CosineAnnealingLR", "OneCycleLR-one-max_lr-per-group", "CyclicLR-per-group"],
)
def test_a_factor_schedule_or_one_value_per_group_keeps_the_ratio(build):
    optimizer = sgd(groups=(1e-3, 2e-3), momentum=0.9)
    for first, second in used_rates(optimizer, build(optimizer), 9):
        assert second / first == pytest.approx(2.0)


def test_one_max_lr_one_cycle_range_or_a_shared_floor_sets_the_groups_to_the_same_rate():
    """ch8 section 7, glossary `param group`."""
    optimizer = sgd(groups=(1e-3, 2e-3), momentum=0.9)
    used = used_rates(optimizer, lr_scheduler.OneCycleLR(optimizer, max_lr=1e-3, total_steps=10), 9)
    assert all(first == second for first, second in used)
    optimizer = sgd(groups=(1e-3, 2e-3), momentum=0.9)
    used = used_rates(optimizer, lr_scheduler.CyclicLR(optimizer, 1e-4, 1e-3, step_size_up=2), 6)
    assert all(first == second for first, second in used)
    optimizer = sgd(groups=(1e-3, 2e-3))
    used = used_rates(optimizer, lr_scheduler.CosineAnnealingLR(optimizer, 4, eta_min=1e-4), 5)
    assert used[0] == pytest.approx([1e-3, 2e-3]) and used[4] == pytest.approx([1e-4, 1e-4])
    optimizer = sgd(groups=(1e-3, 2e-3))
    plateau = lr_scheduler.ReduceLROnPlateau(optimizer, patience=0, min_lr=5e-4)
    for _ in range(3):
        plateau.step(1.0)
    assert [group["lr"] for group in optimizer.param_groups] == pytest.approx([5e-4, 5e-4])


# ---- glossary: base_lr, base_lrs, patience, edge of stability, EMA ---------------------------


def test_a_second_scheduler_starts_from_initial_lr_not_from_the_rate_it_finds():
    """glossary `base_lr`: after a LinearLR warm-up wrote 0.01 x lr, a later scheduler's base is lr."""
    optimizer = sgd(1.0)
    lr_scheduler.LinearLR(optimizer, start_factor=0.01, total_iters=5)
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.01)
    second = lr_scheduler.CosineAnnealingLR(optimizer, T_max=10)
    assert second.base_lrs == [1.0]


def test_cyclic_lr_keeps_its_own_base_lr_and_reduce_lr_on_plateau_has_no_base_lrs():
    optimizer = sgd(1.0, momentum=0.9)
    cyclic = lr_scheduler.CyclicLR(optimizer, base_lr=0.01, max_lr=0.1, step_size_up=2)
    assert cyclic.base_lrs == [0.01]
    optimizer = sgd(1.0)
    first = lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    used_rates(optimizer, first, 1)
    later = lr_scheduler.CyclicLR(optimizer, base_lr=0.01, max_lr=0.1, step_size_up=2)
    assert optimizer.param_groups[0]["initial_lr"] == 1.0 and later.base_lrs == [0.01]
    assert not hasattr(lr_scheduler.ReduceLROnPlateau(sgd()), "base_lrs")


def test_patience_counts_step_calls_and_the_cut_stops_at_min_lr():
    optimizer = sgd(1.0)
    plateau = lr_scheduler.ReduceLROnPlateau(optimizer, patience=1, factor=0.5, min_lr=0.3)
    seen = []
    for _ in range(6):  # six calls, none better than the first
        plateau.step(1.0)
        seen.append(optimizer.param_groups[0]["lr"])
    assert seen == pytest.approx([1.0, 1.0, 0.5, 0.5, 0.3, 0.3])


def diverges(lr: float, curvature: float = 10.0, momentum: float = 0.0) -> bool:
    """Full-batch (heavy-ball) gradient descent on 0.5 * curvature * w**2 from w = 1."""
    weight = torch.nn.Parameter(torch.ones(1, dtype=torch.float64))
    optimizer = torch.optim.SGD([weight], lr=lr, momentum=momentum)
    for _ in range(2000):
        optimizer.zero_grad()
        (0.5 * curvature * weight**2).sum().backward()
        optimizer.step()
    return not abs(weight.item()) < 1.0


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_the_edge_of_a_quadratic_is_two_over_the_curvature_times_one_plus_momentum(momentum):
    """glossary `edge of stability`: 2 / lambda_max for plain GD, 2 (1 + beta) / lambda_max for
    heavy-ball momentum."""
    edge = 2 * (1 + momentum) / 10.0
    assert not diverges(0.98 * edge, momentum=momentum)
    assert diverges(1.02 * edge, momentum=momentum)


def test_an_ema_s_first_update_copies_the_weights():
    """glossary `weight averaging (EMA)`: the blend starts at the second update."""
    model = torch.nn.Linear(1, 1, bias=False)
    with torch.no_grad():
        model.weight.fill_(1.0)
    average = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.9))
    with torch.no_grad():
        model.weight.fill_(5.0)
    average.update_parameters(model)
    assert average.module.weight.item() == 5.0  # not 0.9 x 1 + 0.1 x 5
    with torch.no_grad():
        model.weight.fill_(10.0)
    average.update_parameters(model)
    assert average.module.weight.item() == pytest.approx(0.9 * 5.0 + 0.1 * 10.0)


# ---- section 12: every scheduler writes a Tensor lr in place ---------------------------------

TENSOR_LR_BUILDS: dict[str, Callable[[torch.optim.Optimizer], object]] = {
    "LambdaLR": lambda o: lr_scheduler.LambdaLR(o, lambda s: 0.9**s),
    "MultiplicativeLR": lambda o: lr_scheduler.MultiplicativeLR(o, lambda s: 0.9),
    "StepLR": lambda o: lr_scheduler.StepLR(o, 2),
    "MultiStepLR": lambda o: lr_scheduler.MultiStepLR(o, [2]),
    "ConstantLR": lambda o: lr_scheduler.ConstantLR(o),
    "LinearLR": lambda o: lr_scheduler.LinearLR(o),
    "ExponentialLR": lambda o: lr_scheduler.ExponentialLR(o, 0.9),
    "PolynomialLR": lambda o: lr_scheduler.PolynomialLR(o),
    "CosineAnnealingLR": lambda o: lr_scheduler.CosineAnnealingLR(o, 5),
    "CosineAnnealingWarmRestarts": lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, 3),
    "CyclicLR": lambda o: lr_scheduler.CyclicLR(o, 0.01, 0.1, step_size_up=2),
    "OneCycleLR": lambda o: lr_scheduler.OneCycleLR(o, 0.1, total_steps=10),
    "SequentialLR": lambda o: lr_scheduler.SequentialLR(
        o, [lr_scheduler.LinearLR(o), lr_scheduler.ExponentialLR(o, 0.9)], [2]
    ),
    "ChainedScheduler": lambda o: lr_scheduler.ChainedScheduler(
        [lr_scheduler.LinearLR(o), lr_scheduler.ExponentialLR(o, 0.9)]
    ),
    "SWALR": lambda o: SWALR(o, swa_lr=0.01, anneal_epochs=3),
}


@pytest.mark.parametrize("name", [*TENSOR_LR_BUILDS, "ReduceLROnPlateau"])
def test_every_scheduler_writes_a_tensor_lr_into_the_same_tensor(name):
    """ch8 section 12: "every scheduler writes the new rate *into* it (`fill_`)"."""
    optimizer = torch.optim.SGD(
        [torch.nn.Parameter(torch.zeros(1))], lr=torch.tensor(0.1), momentum=0.9
    )
    rate = optimizer.param_groups[0]["lr"]
    seen = {round(rate.item(), 6)}  # before the scheduler is built
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if name == "ReduceLROnPlateau":
            scheduler = lr_scheduler.ReduceLROnPlateau(optimizer, patience=0)
            for _ in range(3):
                optimizer.step()
                scheduler.step(1.0)
                seen.add(round(rate.item(), 6))
        else:
            scheduler = TENSOR_LR_BUILDS[name](optimizer)
            for _ in range(4):
                optimizer.step()
                scheduler.step()
                seen.add(round(rate.item(), 6))
    assert optimizer.param_groups[0]["lr"] is rate
    assert len(seen) > 1  # the rate did change, inside the same tensor
    assert isinstance(scheduler.get_last_lr()[0], torch.Tensor)


@pytest.mark.slow
def test_a_float_lr_costs_exactly_one_recompile_then_is_a_variable():
    """ch8 section 12: after the first change, torch treats the float as a variable."""
    from tests.content.test_why import compiled_step_frames

    assert compiled_step_frames(0.01) == 2
    assert compiled_step_frames(torch.tensor(0.01)) == 1


# ---- what the chapter says about itself -------------------------------------------------------


def test_only_sections_5_and_11_train():
    """ch8 opening: every printed number outside sections 5 and 11 is computed exactly."""
    notebook = nbformat.read(CHAPTER, as_version=4)
    section, training = None, set()
    for cell in notebook.cells:
        heading = re.search(r"^## (\d+)\.", cell.source, re.MULTILINE)
        if cell.cell_type == "markdown" and heading:
            section = int(heading.group(1))
        if cell.cell_type == "code" and "compare_schedules(" in cell.source:
            training.add(section)
    assert training == {5, 11}


def test_the_constant_rates_sweep_reaches_below_its_best_peak():
    """ch8 section 11: the constant rate is trained one peak below its best (0.01)."""
    code = " ".join(c.source for c in nbformat.read(CHAPTER, as_version=4).cells)
    assert "lr=[0.01, 0.03, 0.1]" in code and "lr=[0.003]" in code
    assert "(32, [0.05, 0.1, 0.2, 0.4]), (128, [0.1, 0.2, 0.4, 0.8])" in code


@pytest.mark.parametrize(
    ("page", "sentence"),
    [
        ("notebooks/08_modern_practice.ipynb", "Every printed number but one section's"),
        ("notebooks/08_modern_practice.ipynb", "drops it faster near the end"),
        ("notebooks/08_modern_practice.ipynb", "takes a `warmup_lr_rate` to start from"),
        ("notebooks/08_modern_practice.ipynb", "The good rates moved up fourfold."),
        ("notebooks/08_modern_practice.ipynb", "the linear rule's ×4 lands on the best"),
        ("notebooks/08_modern_practice.ipynb", "which then averages five micro-batches"),
        (
            "notebooks/08_modern_practice.ipynb",
            "a scheduler multiplies every group by the same factor, so the ratios hold",
        ),
        ("notebooks/08_modern_practice.ipynb", "measured in steps or epochs"),
        ("notebooks/08_modern_practice.ipynb", "somewhere between about 2 and 5"),
        ("notebooks/08_modern_practice.ipynb", "every decay still near its best"),
        ("book/glossary.md", "The rate each group had when its scheduler was built"),
        ("book/glossary.md", "(`base_lrs`, `get_last_lr()`) and multiplies every group"),
        ("book/glossary.md", "How many epochs without improvement"),
        ("book/glossary.md", "A rate of about $2/\\lambda_{\\max}$"),
        ("book/cheat-sheet.md", "the *next* `optimizer.step()` will use. "),
        ("quizzes/08-modern-practice.yaml", "`LambdaLR` fails earlier"),
        ("quizzes/08-modern-practice.yaml", "forgets the ranks, so the decay is only a quarter"),
        ("quizzes/08-modern-practice.yaml", "Three of the four come with a citation"),
        ("quizzes/08-modern-practice.yaml", "`warmup_steps` and `warmup_ratio` default to 0"),
        ("quizzes/08-modern-practice.yaml", "Hugging Face's warm-ups are `LambdaLR` functions"),
    ],
)
def test_the_reviewed_sentence_is_gone(page: str, sentence: str) -> None:
    assert sentence not in prose_of(page)


def test_the_quiz_levels_match_their_siblings():
    """A question is no harder than one of the same kind a level below: the multiple-choice
    total_steps, the SWALR trace and the linear-vs-cosine sketch are medium, like the numeric
    total_steps and the WSD trace."""
    from lrcourse.quiz.bank import load_bank

    bank = load_bank(ROOT / "quizzes" / "08-modern-practice.yaml").bank
    level = {question.id: question.difficulty for question in bank.questions}
    for question_id in (
        "modern.total-steps-ranks",
        "modern.wsd-rates",
        "modern.scenario-fine-tune-4-gpus",
        "modern.swalr-trace",
        "modern.linear-vs-cosine-quarter",
    ):
        assert level[question_id] == "medium", question_id


def test_the_square_root_rules_full_form_in_exercise_3():
    """ch8 exercise 3 (Malladi et al., 2022): 1 - beta and eps rescaled with the batch."""
    k = 4
    assert (1 - k * (1 - 0.9), 1 - k * (1 - 0.999), 1e-8 / math.sqrt(k)) == pytest.approx(
        (0.6, 0.996, 5e-9)
    )
