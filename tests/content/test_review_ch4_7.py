"""Chapters 4-7 as an independent review re-checked them: each corrected claim, proved by torch.

Every sentence this review changed in chapters 4 to 7 (and their quiz banks) that claims an
outcome has a test here that fails if torch stops doing what the sentence now says; a second
test checks that the replaced wording is gone. Training claims over seeds (the peaks at the edge
of a sweep, "by more than the spread between seeds") live in tests/train/test_claims.py.
"""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import pytest
import torch
from torch.optim import lr_scheduler

import lrcourse
from tests.content.test_claims import prose_of, sgd
from tests.content.test_modern_practice import rates_of

ROOT = Path(__file__).resolve().parents[2]


# ---- chapter 4 --------------------------------------------------------------------------------


def test_ch4_one_cycle_stepped_per_epoch_ends_at_a_fifth_of_its_peak_still_rising():
    """ch4 section 3: 5 of 50 steps; the last rate is about a fifth of max_lr, and rising."""
    per_epoch = lrcourse.trace_schedule(
        "OneCycleLR",
        {"max_lr": 0.5, "epochs": 5, "steps_per_epoch": 10},
        epochs=5,
        steps_per_epoch=10,
        step_per="epoch",
    )
    last = per_epoch.lr[-1]
    assert 0.15 < last / 0.5 < 0.25  # about a fifth of the peak ...
    assert last > 4 * 0.5 / 25  # ... far above the starting rate max_lr / 25 ...
    assert last > per_epoch.lr[-11]  # ... and still rising (one epoch earlier: lower)


def one_cycle_checkpoint() -> tuple[dict, float]:
    """An optimizer state after 8 of 20 OneCycleLR steps, and the rate of step 8."""
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
    scheduler = lr_scheduler.OneCycleLR(optimizer, max_lr=0.5, total_steps=20)
    for _ in range(8):
        optimizer.step()
        scheduler.step()
    return {"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict()}, (
        optimizer.param_groups[0]["lr"]
    )


@pytest.mark.parametrize("scheduler_first", [True, False])
def test_ch4_a_scheduler_built_after_the_optimizer_load_overwrites_the_restored_rate(
    scheduler_first,
):
    """ch4 section 8: build the scheduler, then load the optimizer's state, as make_run does."""
    saved, rate_of_step_8 = one_cycle_checkpoint()
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
    if scheduler_first:
        scheduler = lr_scheduler.OneCycleLR(optimizer, max_lr=0.5, total_steps=20)
        optimizer.load_state_dict(saved["optimizer"])
    else:
        optimizer.load_state_dict(saved["optimizer"])
        scheduler = lr_scheduler.OneCycleLR(optimizer, max_lr=0.5, total_steps=20)
    scheduler.load_state_dict(saved["scheduler"])
    first_rate_back = optimizer.param_groups[0]["lr"]
    if scheduler_first:
        assert first_rate_back == pytest.approx(rate_of_step_8)
    else:
        assert first_rate_back == pytest.approx(0.5 / 25)  # the constructor's first rate
        assert rate_of_step_8 > 20 * first_rate_back


# ---- chapter 6 --------------------------------------------------------------------------------

MULTIPLYING_CHILDREN = {
    "StepLR": lambda o: lr_scheduler.StepLR(o, step_size=2, gamma=0.5),
    "MultiStepLR": lambda o: lr_scheduler.MultiStepLR(o, milestones=[2, 5], gamma=0.5),
    "ExponentialLR": lambda o: lr_scheduler.ExponentialLR(o, gamma=0.9),
    "MultiplicativeLR": lambda o: lr_scheduler.MultiplicativeLR(o, lambda epoch: 0.8),
    "LinearLR": lambda o: lr_scheduler.LinearLR(o, start_factor=0.25, total_iters=4),
    "ConstantLR": lambda o: lr_scheduler.ConstantLR(o, factor=0.5, total_iters=3),
    "PolynomialLR": lambda o: lr_scheduler.PolynomialLR(o, total_iters=12, power=2.0),
}


def chained_and_product(first, second, steps: int) -> tuple[list[float], list[float]]:
    """ChainedScheduler([first, second])'s rates, and 0.1 x each one's factor alone."""
    chained = rates_of(
        lambda o: lr_scheduler.ChainedScheduler([first(o), second(o)]), steps, lr=0.1
    )
    alone_a, alone_b = rates_of(first, steps, lr=0.1), rates_of(second, steps, lr=0.1)
    return chained, [0.1 * (a / 0.1) * (b / 0.1) for a, b in zip(alone_a, alone_b, strict=True)]


@pytest.mark.parametrize("name", list(MULTIPLYING_CHILDREN))
def test_ch6_children_that_multiply_the_rate_they_find_multiply_their_factors(name):
    """ch6 section 2: the product formula holds for the listed children."""
    exponential = MULTIPLYING_CHILDREN["ExponentialLR"]
    other = MULTIPLYING_CHILDREN["StepLR"] if name == "ExponentialLR" else exponential
    chained, product = chained_and_product(MULTIPLYING_CHILDREN[name], other, steps=10)
    assert chained == pytest.approx(product, rel=1e-9)


def test_ch6_a_cosine_child_keeps_to_the_product_only_with_eta_min_0_and_up_to_t_max():
    """ch6 section 2 and takeaways: CosineAnnealingLR multiplies only in that case."""
    exponential = MULTIPLYING_CHILDREN["ExponentialLR"]
    t_max = 6
    chained, product = chained_and_product(
        lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=t_max), exponential, steps=2 * t_max
    )
    assert chained[: t_max + 1] == pytest.approx(product[: t_max + 1], rel=1e-9, abs=1e-15)
    assert chained[t_max + 1] > 1.5 * product[t_max + 1]  # past T_max: no longer a product
    with_floor, product_with_floor = chained_and_product(
        lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=t_max, eta_min=0.01), exponential, t_max
    )
    assert with_floor[3] != pytest.approx(product_with_floor[3], rel=1e-3)


def step_then(second, epochs: int = 10) -> list[float]:
    """SequentialLR([StepLR(step_size=2, gamma=0.5), second], milestones=[6]) from lr 0.1."""

    def build(optimizer):
        first = lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
        return lr_scheduler.SequentialLR(optimizer, [first, second(optimizer)], milestones=[6])

    return rates_of(build, epochs, lr=0.1)


def test_ch6_multiplicativelr_continues_from_the_current_rate_at_a_sequentiallr_milestone():
    """ch6 sections 1 and takeaways, ch5 section 3: no closed form, so get_lr on the rate found."""
    continuing = step_then(lambda o: lr_scheduler.MultiplicativeLR(o, lambda epoch: 0.9))
    assert continuing[6] == pytest.approx(0.025 * 0.9)  # epoch 5's rate x lr_lambda(0)
    manual = [0.1, 0.1, 0.05, 0.05, 0.025, 0.025] + [0.025 * 0.9**k for k in range(1, 5)]
    assert continuing == pytest.approx(manual)  # the manual switch of section 1


@pytest.mark.parametrize(
    "second",
    [
        lambda o: lr_scheduler.ExponentialLR(o, gamma=0.9),
        lambda o: lr_scheduler.LambdaLR(o, lambda epoch: 0.9**epoch),
        lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=4),
        lambda o: lr_scheduler.StepLR(o, step_size=3),
    ],
    ids=["ExponentialLR", "LambdaLR", "CosineAnnealingLR", "StepLR"],
)
def test_ch6_other_schedulers_restart_from_initial_lr_at_a_sequentiallr_milestone(second):
    assert step_then(second)[5:7] == pytest.approx([0.025, 0.1])


def plateau_beside(build, epochs: int = 6) -> tuple[list[float], list[float]]:
    """The rates of ``build`` alone and beside ReduceLROnPlateau(factor=0.5, patience=0),
    whose metric stalls once (after epoch 2): one cut, made for epoch 3."""
    runs = []
    for with_plateau in (False, True):
        optimizer = sgd(1.0)
        schedule = build(optimizer)
        plateau = lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=0)
        used = []
        for epoch in range(epochs):
            used.append(optimizer.param_groups[0]["lr"])
            optimizer.step()
            schedule.step()
            if with_plateau:
                plateau.step(1.0 if epoch == 2 else 1.0 - 0.1 * epoch)
        runs.append(used)
    return runs[0], runs[1]


@pytest.mark.parametrize(
    "build",
    [
        lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=100),
        lambda o: lr_scheduler.OneCycleLR(o, max_lr=1.0, total_steps=100),
        lambda o: lr_scheduler.CyclicLR(o, base_lr=0.5, max_lr=1.0, step_size_up=50),
        lambda o: lr_scheduler.LambdaLR(o, lambda epoch: 0.99**epoch),
    ],
    ids=["CosineAnnealingWarmRestarts", "OneCycleLR", "CyclicLR", "LambdaLR"],
)
def test_ch6_overwriting_schedulers_erase_a_plateau_cut_on_their_next_step(build):
    """ch6 section 3: the cut shows for one epoch, then the schedule writes over it."""
    alone, beside = plateau_beside(build)
    assert beside[3] == pytest.approx(0.5 * alone[3])
    assert beside[4] == pytest.approx(alone[4])


def test_ch6_a_cosine_stepped_past_t_max_no_longer_keeps_a_plateau_cut():
    """ch6 section 3: up to T_max every later rate is halved; past it, the climb is not."""
    alone, beside = plateau_beside(lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=8), 14)
    assert beside[3:8] == pytest.approx([0.5 * rate for rate in alone[3:8]])  # epochs 3-7
    assert beside[9:] == pytest.approx(alone[9:])  # past T_max the climb ignores the cut


@pytest.mark.parametrize(("gradient", "moved"), [(1e-5, 1.0), (1e-8, 0.5)])
def test_ch6_adams_first_step_is_a_full_lr_only_for_gradients_well_above_eps(gradient, moved):
    """ch6 section 4: the first update is lr x g / (|g| + eps), about lr x sign(g)."""
    weight = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
    optimizer = torch.optim.Adam([weight], lr=0.1)  # eps = 1e-8
    weight.grad = torch.tensor([gradient], dtype=torch.float64)
    optimizer.step()
    assert abs(weight.item()) / 0.1 == pytest.approx(moved, rel=1e-2)


# ---- chapter 7 --------------------------------------------------------------------------------


def fastai_valley(lrs: torch.Tensor, losses: torch.Tensor) -> float:
    """fastai's `valley` (fastai/callback/schedule.py, fastai 2.4 and later), as its source is."""
    n = len(losses)
    max_start, max_end = 0, 0
    lds = [1] * n
    for i in range(1, n):
        for j in range(0, i):
            if (losses[i] < losses[j]) and (lds[i] < lds[j] + 1):
                lds[i] = lds[j] + 1
            if lds[max_end] < lds[i]:
                max_end = i
                max_start = max_end - lds[max_end]
    sections = (max_end - max_start) / 3
    idx = max_start + int(sections) + int(sections / 2)
    return float(lrs[idx])


def notebook_valley():
    """The `valley` function chapter 7 defines, taken from its code cell."""
    notebook = nbformat.read(ROOT / "notebooks/07_finding_a_learning_rate.ipynb", as_version=4)
    source = next(cell.source for cell in notebook.cells if "def valley(" in cell.source)
    definition = next(
        node
        for node in ast.parse(source).body
        if isinstance(node, ast.FunctionDef) and node.name == "valley"
    )
    namespace: dict = {}
    exec(compile(ast.Module([definition], type_ignores=[]), "valley", "exec"), namespace)
    return namespace["valley"]


def test_ch7_the_chapters_valley_is_fastais_rule():
    valley = notebook_valley()
    generator = torch.Generator().manual_seed(0)
    for _ in range(200):
        n = int(torch.randint(8, 40, (1,), generator=generator))
        losses = torch.rand(n, generator=generator, dtype=torch.float64)
        lrs = 1e-4 * 1.2 ** torch.arange(n, dtype=torch.float64)
        assert valley(lrs.tolist(), losses.tolist()) == fastai_valley(lrs, losses)


def test_ch7_valley_lands_below_both_other_suggestions_and_the_three_span_about_a_decade():
    """ch7: on the chapter's smoothed curve (seed 0), fastai's trimming, valley < both."""
    steps = 100
    result = lrcourse.lr_range_test(
        "digits", start_lr=1e-4, end_lr=10.0, steps=steps, seed=0, device="cpu"
    )
    stop = len(result.lrs) if result.diverged_at is None else result.diverged_at + 1
    kept = slice(steps // 10, stop - 5)
    valley = fastai_valley(
        torch.tensor(result.lrs[kept], dtype=torch.float64),
        torch.tensor(result.smoothed[kept], dtype=torch.float64),
    )
    others = (result.suggestion, result.lr_at_min_loss / 10)
    assert valley < min(others)
    spread = max(others) / valley
    print(f"\nvalley {valley:.3g}, steepest {others[0]:.3g}, min/10 {others[1]:.3g}")
    assert 3 < spread < 15  # "about a decade"


# ---- the replaced wording is gone -------------------------------------------------------------


@pytest.mark.parametrize(
    ("page", "sentence"),
    [
        ("notebooks/04_step_timing.ipynb", "the run ended near its starting rate"),
        ("notebooks/04_step_timing.ipynb", "for schedulers that count batches"),
        ("notebooks/04_step_timing.ipynb", "`OneCycleLR` counts batches, so"),
        ("notebooks/05_custom_schedulers.ipynb", "within what 8 seeds can tell apart"),
        ("notebooks/05_custom_schedulers.ipynb", "`ChainedScheduler` multiplies their effects"),
        ("notebooks/06_combining_and_warmup.ipynb", "however small or noisy its gradient"),
        ("notebooks/06_combining_and_warmup.ipynb", "The same account covers SGD and Adam alike."),
        ("notebooks/06_combining_and_warmup.ipynb", "diverge without a warm-up"),
        ("notebooks/06_combining_and_warmup.ipynb", "as the sharpness account predicts"),
        ("notebooks/06_combining_and_warmup.ipynb", "against the same cosine after"),
        ("notebooks/06_combining_and_warmup.ipynb", "Each child is chainable"),
        ("notebooks/06_combining_and_warmup.ipynb", "`OneCycleLR` and `CyclicLR` overwrite"),
        ("notebooks/07_finding_a_learning_rate.ipynb", "usually between the two"),
        ("notebooks/07_finding_a_learning_rate.ipynb", "Never use the rate at the minimum"),
        ("notebooks/07_finding_a_learning_rate.ipynb", "its plot has 5 points"),
        ("quizzes/06-combining-and-warmup.yaml", "every `step()`, so their factors multiply"),
        ("quizzes/06-combining-and-warmup.yaml", "falls as the network trains with small steps"),
        ("quizzes/04-step-timing.yaml", "which clock does `OneCycleLR` count"),
        ("notebooks/05_custom_schedulers.ipynb", "Torch's own schedulers have two ways"),
    ],
)
def test_the_replaced_wording_is_gone(page: str, sentence: str) -> None:
    assert sentence not in prose_of(page)


def test_ch7_one_cycle_cycles_momentum_between_0_95_and_0_85_by_default():
    """ch7 exercise 3: around the 0.9 the chapter's range test ran with."""
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.24, momentum=0.9)
    scheduler = lr_scheduler.OneCycleLR(optimizer, max_lr=0.24, epochs=10, steps_per_epoch=23)
    momenta = []
    for _ in range(230):
        momenta.append(optimizer.param_groups[0]["momentum"])
        optimizer.step()
        scheduler.step()
    assert max(momenta) == pytest.approx(0.95)
    assert min(momenta) == pytest.approx(0.85)
