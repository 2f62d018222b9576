"""Each sentence issue 16 corrected, proved by a plain torch loop written here.

The course's pages and notebooks state these facts; the tests run torch itself, so a torch
release that changes a behaviour fails here before a learner reads a stale sentence. The item
number of issue 16 ("Claims to correct") is in each test's docstring, with where it is taught.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import nbformat
import pytest
import torch
from torch.optim import lr_scheduler

ROOT = Path(__file__).resolve().parents[2]


def sgd(lr: float = 0.1, **options: float) -> torch.optim.SGD:
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr, **options)


def rate(optimizer: torch.optim.Optimizer, group: int = 0) -> float:
    return optimizer.param_groups[group]["lr"]


def after_step_lr_decay(steps: int = 2) -> torch.optim.SGD:
    """An optimizer whose first scheduler (StepLR, gamma 0.5) took it from 0.1 to 0.025."""
    optimizer = sgd()
    first = lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    for _ in range(steps):
        optimizer.step()
        first.step()
    assert rate(optimizer) == pytest.approx(0.025)
    return optimizer


# 1. "A new scheduler keeps the rate it finds": only for chainable forms.
def test_a_later_lambdalr_jumps_back_to_the_initial_rate() -> None:
    """Item 1 (combining-and-warmup.md, nb06 cell 8, combining.manual-switch's hint)."""
    optimizer = after_step_lr_decay()
    lr_scheduler.LambdaLR(optimizer, lambda epoch: 1.0)
    assert optimizer.param_groups[0]["initial_lr"] == pytest.approx(0.1)
    assert rate(optimizer) == pytest.approx(0.1)  # 0.025 -> 0.1 on construction


def test_a_later_cosine_heads_back_to_the_initial_rate_past_t_max() -> None:
    """Item 1: CosineAnnealingLR's base_lrs are the first scheduler's initial_lr, not 0.025."""
    optimizer = after_step_lr_decay()
    cosine = lr_scheduler.CosineAnnealingLR(optimizer, T_max=4)
    assert rate(optimizer) == pytest.approx(0.025)  # keeps the rate at construction...
    assert cosine.base_lrs == pytest.approx([0.1])
    for _ in range(2 * 4):
        optimizer.step()
        cosine.step()
    assert rate(optimizer) == pytest.approx(0.1)  # ...but climbs to 0.1, never seen before


def test_a_later_exponentiallr_closed_form_disagrees_with_its_stepped_rate() -> None:
    """Item 1: the chainable rate continues from 0.025; the closed form restarts from 0.1."""
    optimizer = after_step_lr_decay()
    exponential = lr_scheduler.ExponentialLR(optimizer, gamma=0.9)
    for _ in range(3):
        optimizer.step()
        exponential.step()
    assert rate(optimizer) == pytest.approx(0.025 * 0.9**3)
    assert exponential._get_closed_form_lr() == pytest.approx([0.1 * 0.9**3])


# 2. Several schedulers on one optimizer.
def test_a_chainable_scheduler_and_reduce_lr_on_plateau_multiply() -> None:
    """Item 2 (scheduler-family.md, combining-and-warmup.md): both cuts survive."""
    optimizer = sgd()
    exponential = lr_scheduler.ExponentialLR(optimizer, gamma=0.9)
    plateau = lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=0)
    for _ in range(3):
        optimizer.step()
        exponential.step()
        plateau.step(1.0)  # flat metric: a cut from the second epoch on
    assert rate(optimizer) == pytest.approx(0.1 * 0.9**3 * 0.5**2)


def test_a_lambdalr_warmup_erases_the_plateau_cut() -> None:
    """Item 2: LambdaLR writes initial_lr x factor each step, so the plateau's cut is lost."""
    optimizer = sgd()
    warmup = lr_scheduler.LambdaLR(optimizer, lambda epoch: min(1.0, (epoch + 1) / 4))
    plateau = lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=0)
    used = []
    for _ in range(4):
        used.append(rate(optimizer))
        optimizer.step()
        warmup.step()
        plateau.step(1.0)
    assert used[2] == pytest.approx(0.0375)  # 0.1 x 3/4, cut once
    assert used[3] == pytest.approx(0.05)  # 0.1 x 4/4, cut once: the earlier cut is gone
    assert rate(optimizer) == pytest.approx(0.05)  # three cuts made, one left (not 0.1 x 0.5**3)


# 3. get_last_lr() is what the scheduler last wrote, not always the next step's rate.
def test_get_last_lr_misses_a_manual_edit_of_param_groups() -> None:
    """Item 3 (glossary.md, scheduler-family.md)."""
    optimizer = sgd()
    scheduler = lr_scheduler.StepLR(optimizer, step_size=2)
    optimizer.param_groups[0]["lr"] = 0.03
    assert scheduler.get_last_lr() == [0.1]
    assert rate(optimizer) == 0.03


def test_get_last_lr_of_the_first_of_two_schedulers_is_stale() -> None:
    """Item 3: with two schedulers, each reports what it wrote; the second write wins."""
    optimizer = sgd()
    halving = lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    decay = lr_scheduler.ExponentialLR(optimizer, gamma=0.9)
    optimizer.step()
    halving.step()
    decay.step()
    assert halving.get_last_lr() == pytest.approx([0.05])
    assert rate(optimizer) == pytest.approx(0.045)


# 4. Gradient accumulation and T_max (04-step-timing.yaml, step-timing.accumulation-steps).
def cosine_rates(t_max: int, scheduler_steps: int, sample_every: int) -> list[float]:
    optimizer = sgd()
    cosine = lr_scheduler.CosineAnnealingLR(optimizer, T_max=t_max)
    used = []
    for step in range(scheduler_steps):
        if step % sample_every == 0:
            used.append(rate(optimizer))  # the rate an optimizer step reads
        optimizer.step()
        cosine.step()
    return used


def test_t_max_24_stepped_per_micro_batch_reaches_the_minimum_at_the_end() -> None:
    """Item 4: 24 micro-batch steps of T_max=24: the optimizer's last rate is near 0."""
    used = cosine_rates(t_max=24, scheduler_steps=24, sample_every=4)
    assert len(used) == 6
    assert used[-1] < 0.1 * 0.1  # about 0.0067: the decay spans the run


def test_t_max_6_stepped_per_micro_batch_bottoms_out_a_quarter_into_the_run() -> None:
    """Item 4: the quarter-run minimum belongs to T_max=6 stepped per micro-batch."""
    optimizer = sgd()
    cosine = lr_scheduler.CosineAnnealingLR(optimizer, T_max=6)
    by_step = []
    for _ in range(24):
        by_step.append(rate(optimizer))
        optimizer.step()
        cosine.step()
    assert by_step.index(min(by_step)) == 6  # step 6 of 24
    assert by_step[12] == pytest.approx(0.1)  # and back at the top at half-time


def test_t_max_24_stepped_per_optimizer_step_stops_a_quarter_of_the_way_down() -> None:
    """Item 4: stepped correctly (6 times), T_max=24 ends far above eta_min."""
    used = cosine_rates(t_max=24, scheduler_steps=6, sample_every=1)
    assert used[-1] > 0.08


# 5. Calling get_lr() yourself.
def test_calling_get_lr_warns_for_a_builtin_but_not_for_a_subclass() -> None:
    """Item 5 (custom-schedulers.md, nb05 cell 19)."""

    class Constant(lr_scheduler.LRScheduler):
        def get_lr(self) -> list[float]:
            return list(self.base_lrs)

    for scheduler, warns in ((lr_scheduler.StepLR(sgd(), 2), True), (Constant(sgd()), False)):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            scheduler.get_lr()
        assert any("get_last_lr" in str(w.message) for w in caught) is warns


# 6. ReduceLROnPlateau's patience.
def test_reduce_lr_on_plateau_cuts_after_patience_plus_one_bad_epochs() -> None:
    """Item 6 (scheduler-family.md, the fifteen table)."""
    optimizer = sgd()
    plateau = lr_scheduler.ReduceLROnPlateau(optimizer, patience=2, factor=0.5)
    plateau.step(1.0)  # the first metric is the best so far
    rates_after = []
    for _ in range(3):  # three epochs without improvement
        plateau.step(1.0)
        rates_after.append(rate(optimizer))
    assert rates_after == pytest.approx([0.1, 0.1, 0.05])  # cut on bad epoch patience + 1


# 7. GradScaler: only the first skip warns.
def test_a_later_gradscaler_skip_is_silent_but_costs_a_schedule_value() -> None:
    """Item 7 (myth-busters.md #9, chapter 4's takeaway)."""
    weight = torch.nn.Parameter(torch.ones(1))
    optimizer = torch.optim.SGD([weight], lr=0.1)
    scheduler = lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    scaler = torch.amp.GradScaler("cpu")
    applied = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for iteration in range(4):
            optimizer.zero_grad()
            overflow = float("inf") if iteration == 2 else 1.0
            scaler.scale((weight**2).sum() * overflow).backward()
            before = weight.item()
            scaler.step(optimizer)  # skipped when the gradient is not finite
            scaler.update()
            if weight.item() != before:
                applied.append(round(rate(optimizer), 6))
            scheduler.step()
    assert caught == []  # no warning: the skip was not the first step
    assert applied == [0.1, 0.05, 0.0125]  # 0.025 was never applied


@pytest.mark.parametrize(("first_gradient", "warns"), [(float("inf"), True), (1.0, False)])
def test_a_skipped_first_step_fires_the_ordering_warning_on_a_correct_loop(first_gradient, warns):
    """Item 7 and quiz step-timing.gradscaler-warning: only a skipped *first* step makes torch warn."""
    weight = torch.nn.Parameter(torch.ones(1))
    optimizer = torch.optim.SGD([weight], lr=0.1)
    scheduler = lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    scaler = torch.amp.GradScaler("cpu")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        optimizer.zero_grad()
        scaler.scale((weight**2).sum() * first_gradient).backward()
        scaler.step(optimizer)
        scaler.update()
        scheduler.step()
    ordering = [
        w for w in caught if "lr_scheduler.step()` before `optimizer.step()" in str(w.message)
    ]
    assert bool(ordering) is warns


# 8. Why warm up: Adam's first steps.
def test_adams_first_step_moves_every_weight_by_lr_whatever_its_gradient() -> None:
    """Item 8 (combining-and-warmup.md): v is estimated from one gradient, so the step is lr·sign(g)."""
    weight = torch.nn.Parameter(torch.zeros(3, dtype=torch.float64))
    optimizer = torch.optim.Adam([weight], lr=0.01)
    weight.grad = torch.tensor([1e-4, 1.0, 100.0], dtype=torch.float64)
    optimizer.step()
    assert weight.detach().abs().tolist() == pytest.approx([0.01, 0.01, 0.01], rel=1e-3)


def test_adams_step_does_not_shrink_when_the_gradients_do() -> None:
    """Item 8 (myth-busters.md #8): Adam's step is scale-free, so only lr can make it smaller.

    The same noisy gradients, a thousand times smaller (as near a minimum), move Adam's weight
    by the same amounts; SGD's steps shrink a thousandfold. A schedule is what shrinks Adam's.
    """

    def path(optimizer_class: type, scale: float) -> list[float]:
        generator = torch.Generator().manual_seed(0)
        weight = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
        optimizer = optimizer_class([weight], lr=0.1)
        moves = []
        for _ in range(50):
            weight.grad = scale * torch.randn(1, generator=generator, dtype=torch.float64)
            before = weight.item()
            optimizer.step()
            moves.append(abs(weight.item() - before))
        return moves

    assert path(torch.optim.Adam, 1e-3) == pytest.approx(path(torch.optim.Adam, 1.0), rel=1e-3)
    assert sum(path(torch.optim.SGD, 1e-3)) == pytest.approx(sum(path(torch.optim.SGD, 1.0)) / 1000)


# 9. The fine-tuning decay is linear in Hugging Face's default and BERT's recipe.
def test_linear_warmup_then_linear_decay_to_zero_from_torch_classes() -> None:
    """Item 9 (combining-and-warmup.md): LinearLR up, LinearLR down to 0 at total_steps."""
    total, warm = 100, 10
    optimizer = sgd(lr=1.0)
    scheduler = lr_scheduler.SequentialLR(
        optimizer,
        [
            lr_scheduler.LinearLR(optimizer, start_factor=1e-3, total_iters=warm),
            lr_scheduler.LinearLR(
                optimizer, start_factor=1.0, end_factor=0.0, total_iters=total - warm
            ),
        ],
        milestones=[warm],
    )
    used = []
    for _ in range(total):
        used.append(rate(optimizer))
        optimizer.step()
        scheduler.step()
    assert used[warm] == pytest.approx(1.0)
    assert used[55] == pytest.approx((total - 55) / (total - warm))  # Hugging Face's formula
    assert rate(optimizer) == pytest.approx(0.0, abs=1e-12)


# 10. Freezing with a factor of 0.
def test_sgd_momentum_accumulates_while_frozen_and_is_released_on_unfreeze() -> None:
    """Item 10 (nb02 cells 28-29): lr = 0 stops the weight, not the momentum buffer."""
    weight = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
    optimizer = torch.optim.SGD([weight], lr=0.1, momentum=0.9)
    frozen = lr_scheduler.LambdaLR(optimizer, lambda epoch: 0.0 if epoch < 3 else 1.0)
    for _ in range(4):
        weight.grad = torch.ones(1, dtype=torch.float64)
        optimizer.step()
        frozen.step()
    # 3 frozen steps: weight unmoved, buffer 1 + 0.9 + 0.81; the 4th step releases 3.439 x lr
    assert weight.item() == pytest.approx(-0.1 * (1 + 0.9 + 0.81 + 0.729))


def test_adamw_weight_decay_stops_while_lr_is_zero() -> None:
    """Item 10: AdamW's decoupled decay is w ← w − lr·λ·w, so it freezes with the rate."""
    weight = torch.nn.Parameter(torch.ones(2))
    optimizer = torch.optim.AdamW([weight], lr=0.0, weight_decay=0.1)
    weight.grad = torch.zeros(2)
    optimizer.step()
    assert weight.tolist() == [1.0, 1.0]


# 11. Cyclical schedulers switch momentum on.
@pytest.mark.parametrize(
    ("build", "momentum"),
    [
        (lambda o: lr_scheduler.CyclicLR(o, base_lr=0.01, max_lr=0.1), 0.9),
        (lambda o: lr_scheduler.OneCycleLR(o, max_lr=0.1, total_steps=10), 0.95),
    ],
    ids=["CyclicLR", "OneCycleLR"],
)
def test_cyclical_schedulers_turn_momentum_on_for_sgd_without_momentum(build, momentum) -> None:
    """Item 11 (scheduler-family.md): SGD(momentum=0) gets max_momentum on construction."""
    optimizer = sgd(momentum=0.0)
    build(optimizer)
    assert optimizer.param_groups[0]["momentum"] == pytest.approx(momentum)


# 12. Smaller claims.
def test_last_epoch_resumes_one_step_further_than_passed() -> None:
    """Item 12 (nb04 cell 45): the constructor steps once, so last_epoch=7 lands on step 8."""
    optimizer = sgd()
    scheduler = lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    for _ in range(7):
        optimizer.step()
        scheduler.step()
    restored = sgd()
    restored.load_state_dict(optimizer.state_dict())
    resumed = lr_scheduler.StepLR(restored, step_size=2, gamma=0.5, last_epoch=7)
    assert resumed.last_epoch == 8
    assert rate(restored) == pytest.approx(rate(optimizer) * 0.5)  # one halving too early


def test_last_epoch_with_a_hand_set_initial_lr_does_not_rebuild_the_schedule() -> None:
    """Item 12: initial_lr can be set by hand, but the first rate is chained from the current one."""
    fresh = sgd()
    fresh.param_groups[0]["initial_lr"] = 0.1
    lr_scheduler.StepLR(fresh, step_size=2, gamma=0.5, last_epoch=7)
    assert rate(fresh) == pytest.approx(0.05)  # not 0.1 x 0.5**4 = 0.00625


@pytest.mark.parametrize("name", ["StepLR", "ExponentialLR"])
def test_a_gamma_above_one_raises_the_rate(name: str) -> None:
    """Item 12: StepLR and ExponentialLR both raise the rate when gamma > 1 (one table note)."""
    optimizer = sgd()
    params = {"step_size": 1} if name == "StepLR" else {}
    scheduler = getattr(lr_scheduler, name)(optimizer, gamma=2.0, **params)
    optimizer.step()
    scheduler.step()
    assert rate(optimizer) == pytest.approx(0.2)


def test_a_linear_range_sweep_spends_most_steps_in_the_top_decade() -> None:
    """Item 12 (lr-range.how-the-rate-moves): linear is Smith's original, fine on a narrow range."""
    steps, low, high = 100, 1e-4, 10.0
    linear = [low + (high - low) * i / (steps - 1) for i in range(steps)]
    exponential = [low * (high / low) ** (i / (steps - 1)) for i in range(steps)]
    assert sum(rate >= 1.0 for rate in linear) > 0.85 * steps
    assert sum(rate >= 1.0 for rate in exponential) == pytest.approx(steps / 5, abs=1)
    assert math.isclose(linear[1] - linear[0], linear[-1] - linear[-2])


# The false sentences are gone from where they lived.
def prose_of(page: str) -> str:
    """A page's text with whitespace collapsed; for a notebook, its markdown cells only."""
    path = ROOT / page
    if path.suffix == ".ipynb":
        notebook = nbformat.read(path, as_version=4)
        text = " ".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")
    else:
        text = path.read_text(encoding="utf-8")
    return " ".join(text.split())


@pytest.mark.parametrize(
    ("page", "sentence"),
    [
        ("notebooks/06_combining_and_warmup.ipynb", "a new scheduler keeps the rate it finds"),
        (
            "notebooks/06_combining_and_warmup.ipynb",
            "the first few percent of the optimizer steps, then a cosine decay",
        ),
        (
            "notebooks/06_combining_and_warmup.ipynb",
            "while the weights are random and the gradients large",
        ),
        (
            "notebooks/06_combining_and_warmup.ipynb",
            "a scheduler built on an optimizer keeps the rate it finds there",
        ),
        ("quizzes/06-combining-and-warmup.yaml", "keeps the rate it finds there"),
        ("book/glossary.md", "the next `optimizer.step()` uses."),
        (
            "notebooks/02_scheduler_family.ipynb",
            "which is the rate the *next* `optimizer.step()` will use",
        ),
        (
            "notebooks/02_scheduler_family.ipynb",
            "one rate per param group: the rate the next `optimizer.step()` uses",
        ),
        (
            "notebooks/05_custom_schedulers.ipynb",
            "never by calling `get_lr()` yourself (torch warns)",
        ),
        ("notebooks/05_custom_schedulers.ipynb", "the checks in section 5 catch it"),
        (
            "notebooks/02_scheduler_family.ipynb",
            "has not improved (by `threshold`) for `patience` epochs",
        ),
        ("notebooks/02_scheduler_family.ipynb", "That is why transformer recipes"),
        ("notebooks/myth_busters.ipynb", "A `GradScaler` that skips a step triggers it"),
        ("notebooks/04_step_timing.ipynb", "A `GradScaler` skip triggers the ordering warning"),
        (
            "quizzes/04-step-timing.yaml",
            "reach its minimum a quarter into the run if stepped per micro-batch, or never",
        ),
        ("notebooks/02_scheduler_family.ipynb", "the backbone stays frozen (factor 0)"),
        (
            "notebooks/02_scheduler_family.ipynb",
            "the rate the *next* `optimizer.step()` will use. Don't",
        ),
        ("notebooks/02_scheduler_family.ipynb", "and torch warns when you call it yourself"),
        ("notebooks/04_step_timing.ipynb", "which only a restored optimizer state provides"),
        ("notebooks/02_scheduler_family.ipynb", "no (`gamma < 1`)"),
    ],
)
def test_the_corrected_sentence_is_gone(page: str, sentence: str) -> None:
    assert sentence not in prose_of(page)
