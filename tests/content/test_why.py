"""The "why" of schedules as the chapters teach it (issue 25), each claim proved by plain torch.

A sentence about *why* a schedule helps is a claim about an outcome, so it has a test here that
fails if torch stops doing what the sentence says. Where a sentence was wrong, a second test
checks that it is gone from the page it lived on. Training claims over seeds live in
tests/train/test_claims.py; these are the ones a few lines of torch settle.
"""

from __future__ import annotations

import pytest
import torch
from torch.optim import lr_scheduler

from tests.content.test_claims import prose_of

CURVATURE = torch.tensor([1.0, 10.0], dtype=torch.float64)


def bowl(weights: torch.Tensor) -> torch.Tensor:
    return 0.5 * (CURVATURE * weights**2).sum()


def bowl_loss_after(rates: list[float]) -> float:
    """Chapter 1's bowl from (2, 1), one plain SGD step per rate in ``rates``."""
    weights = torch.nn.Parameter(torch.tensor([2.0, 1.0], dtype=torch.float64))
    optimizer = torch.optim.SGD([weights], lr=rates[0])
    for rate in rates:
        optimizer.param_groups[0]["lr"] = rate
        optimizer.zero_grad()
        bowl(weights).backward()
        optimizer.step()
    return bowl(weights.detach()).item()


# Item 2: noise is one reason to schedule, not the only one.
def test_two_steps_of_different_sizes_beat_the_best_constant_rate_on_the_noise_free_bowl():
    """ch1: 1.0 then 0.1 reach the bottom (float rounding); the best constant is ~2e-5 after 30."""
    best_constant = min(bowl_loss_after([0.01 * k] * 30) for k in range(1, 20))
    assert 1e-5 < best_constant < 1e-4
    assert bowl_loss_after([1.0, 0.1]) < 1e-20


def test_the_chapter_1_two_step_demo_uses_a_real_multisteplr():
    """ch1: MultiStepLR(milestones=[1], gamma=0.1) gives 1.0 for step 1, then 0.1."""
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    scheduler = lr_scheduler.MultiStepLR(optimizer, milestones=[1], gamma=0.1)
    used = []
    for _ in range(2):
        used.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    assert used == pytest.approx([1.0, 0.1])


# Item 3: the noise does not shrink at the minimum only when the model cannot fit every example.
def minibatch_sgd_final_loss(label_noise: float) -> float:
    """Constant-rate mini-batch SGD on a linear regression whose targets a line fits exactly
    (``label_noise=0``) or cannot fit (each target shifted by noise)."""
    generator = torch.Generator().manual_seed(0)
    inputs = torch.randn(256, 4, generator=generator, dtype=torch.float64)
    targets = inputs @ torch.tensor([1.0, -2.0, 0.5, 3.0], dtype=torch.float64)
    targets = targets + label_noise * torch.randn(256, generator=generator, dtype=torch.float64)
    best = torch.linalg.lstsq(inputs, targets.unsqueeze(1)).solution.squeeze(1)
    weights = torch.nn.Parameter(torch.zeros(4, dtype=torch.float64))
    optimizer = torch.optim.SGD([weights], lr=0.1)
    for _ in range(30):
        order = torch.randperm(256, generator=generator)
        for batch in order.split(8):
            optimizer.zero_grad()
            ((inputs[batch] @ weights - targets[batch]) ** 2).mean().backward()
            optimizer.step()
    return ((weights.detach() - best) ** 2).sum().item()


def test_a_constant_rate_goes_all_the_way_down_when_the_model_can_fit_every_example():
    """ch1: interpolation: the mini-batch noise vanishes at the minimum, so no floor."""
    assert minibatch_sgd_final_loss(label_noise=0.0) < 1e-20


def test_a_constant_rate_stays_at_a_floor_when_the_examples_contradict_each_other():
    """ch1: with targets no line fits, the same constant rate hovers far above the best fit."""
    assert minibatch_sgd_final_loss(label_noise=1.0) > 1e-4


@pytest.mark.parametrize(
    ("page", "sentence"),
    [
        (
            "notebooks/01_learning_rate.ipynb",
            "Without noise, a well-chosen constant rate is all a problem needs",
        ),
        ("notebooks/01_learning_rate.ipynb", "without noise a constant rate did fine"),
        (
            "notebooks/01_learning_rate.ipynb",
            "the noise does not shrink as the weights approach the minimum",
        ),
        ("notebooks/01_learning_rate.ipynb", "tests/train/test_claims.py"),
    ],
)
def test_the_corrected_sentence_is_gone(page: str, sentence: str) -> None:
    assert sentence not in prose_of(page)


# Imprecise: "demos hide their optimizer settings".
def test_a_comparison_table_names_the_optimizer_torch_built_and_the_batch_size():
    from lrcourse import SchedulerSpec, compare_schedules

    result = compare_schedules(
        {"constant": SchedulerSpec("ConstantLR", {"factor": 1.0, "total_iters": 0})},
        task="regression",
        epochs=1,
        seeds=1,
        device="cpu",
        live=False,
        optimizer_params={"weight_decay": 1e-4},
    )
    title = result.table_text().splitlines()[0]
    assert title.startswith("regression · SGD(momentum=0.9, weight_decay=0.0001) · batch 32 · ")
    adam = compare_schedules(
        {"constant": SchedulerSpec("ConstantLR", {"factor": 1.0, "total_iters": 0})},
        task="regression",
        epochs=1,
        seeds=1,
        device="cpu",
        live=False,
        optimizer="AdamW",
        lr=1e-3,
    )
    assert "AdamW(betas=(0.9, 0.999), weight_decay=0.01)" in adam.table_text().splitlines()[0]


# Item 1: torch's AdamW multiplies the decay by lr; weight_decay = lambda / peak undoes it.
def adamw_decay_factors(peak: float, weight_decay: float) -> list[float]:
    """Per-step shrink factor of a weight with zero gradient under AdamW and a linear decay."""
    weight = torch.nn.Parameter(torch.ones(1, dtype=torch.float64))
    optimizer = torch.optim.AdamW([weight], lr=peak, weight_decay=weight_decay)
    scheduler = lr_scheduler.LinearLR(optimizer, start_factor=1.0, end_factor=0.5, total_iters=4)
    factors = []
    for _ in range(4):
        before = weight.item()
        weight.grad = torch.zeros(1, dtype=torch.float64)
        optimizer.step()
        scheduler.step()
        factors.append(weight.item() / before)
    return factors


def test_torch_adamw_couples_the_decay_to_the_peak_rate():
    """ch8 section 8: 1 - lr x weight_decay per step, so a 10x peak decays 10x faster."""
    low, high = adamw_decay_factors(1e-3, 0.1), adamw_decay_factors(1e-2, 0.1)
    assert low[0] == pytest.approx(1 - 1e-3 * 0.1)
    assert 1 - high[0] == pytest.approx(10 * (1 - low[0]))


def test_weight_decay_over_the_peak_gives_the_papers_decoupled_decay():
    """ch8 section 8: weight_decay = lambda / peak: the decay is lambda x eta_t whatever the peak."""
    decoupled = 1e-4
    multipliers = [1.0, 0.875, 0.75, 0.625]  # LinearLR(1.0 -> 0.5 over 4 steps) at steps 0..3
    for peak in (1e-3, 1e-2):
        factors = adamw_decay_factors(peak, weight_decay=decoupled / peak)
        assert factors == pytest.approx([1 - decoupled * m for m in multipliers], rel=1e-12)


# Item 6 and the accumulation note of ch8.
def test_a_loop_that_steps_every_fourth_micro_batch_carries_the_leftover_over():
    """ch8 section 6: 157 micro-batches, steps at multiples of 4: the 157th gradient is kept."""
    weight = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([weight], lr=0.0)
    for i in range(157):
        (weight * 1.0).sum().backward()
        if (i + 1) % 4 == 0:
            optimizer.step()
            optimizer.zero_grad()
    assert weight.grad is not None and weight.grad.item() == 1.0  # one micro-batch carried over
    assert 157 // 4 == 39 and -(-157 // 4) == 40


# Item 7: per epoch or per batch is what you count, not a property of the class.
def test_a_cosine_sized_and_stepped_per_batch_matches_the_per_epoch_one_at_epoch_ends():
    """ch4 section 3, cheat sheet: every scheduler counts step() calls, whatever they are."""
    epochs, steps_per_epoch = 6, 10

    def rates(t_max: int, steps: int) -> list[float]:
        optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
        cosine = lr_scheduler.CosineAnnealingLR(optimizer, T_max=t_max)
        used = []
        for _ in range(steps):
            used.append(optimizer.param_groups[0]["lr"])
            optimizer.step()
            cosine.step()
        return used

    per_epoch = rates(epochs, epochs)
    per_batch = rates(epochs * steps_per_epoch, epochs * steps_per_epoch)
    assert per_batch[::steps_per_epoch] == pytest.approx(per_epoch)
    assert len(set(per_batch[:steps_per_epoch])) == steps_per_epoch  # smooth within an epoch


# Item 8: glossary initial_lr.
def test_one_cycle_writes_its_own_initial_lr_even_over_an_earlier_schedulers():
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
    lr_scheduler.StepLR(optimizer, step_size=2)
    assert optimizer.param_groups[0]["initial_lr"] == 0.1
    one_cycle = lr_scheduler.OneCycleLR(optimizer, max_lr=1.0, total_steps=10)
    assert optimizer.param_groups[0]["initial_lr"] == pytest.approx(1.0 / 25)
    assert one_cycle.base_lrs == pytest.approx([1.0 / 25])


def test_cyclic_lr_starts_from_base_lr_and_stores_it_only_if_none_is_there():
    fresh = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
    cyclic = lr_scheduler.CyclicLR(fresh, base_lr=0.01, max_lr=0.1)
    assert fresh.param_groups[0]["initial_lr"] == 0.01 and cyclic.base_lrs == [0.01]
    used = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
    lr_scheduler.StepLR(used, step_size=2)
    cyclic = lr_scheduler.CyclicLR(used, base_lr=0.01, max_lr=0.1)
    assert used.param_groups[0]["initial_lr"] == 0.1 and cyclic.base_lrs == [0.01]


def test_reduce_lr_on_plateau_neither_writes_nor_needs_initial_lr():
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    lr_scheduler.ReduceLROnPlateau(optimizer)
    assert "initial_lr" not in optimizer.param_groups[0]


@pytest.mark.parametrize(
    ("page", "sentence"),
    [
        ("book/glossary.md", "The rate a param group had when the *first* scheduler was built"),
        ("book/cheat-sheet.md", "here for a per-epoch schedule"),
        (
            "notebooks/04_step_timing.ipynb",
            "count **optimizer steps** — batches — and must be stepped",
        ),
        ("notebooks/04_step_timing.ipynb", "per epoch for the epoch-counting ones"),
        ("quizzes/04-step-timing.yaml", "Which built-in schedulers are stepped once per batch?"),
        (
            "notebooks/08_modern_practice.ipynb",
            "AdamW's decoupled weight decay (Loshchilov & Hutter, 2019) shrinks",
        ),
        ("notebooks/08_modern_practice.ipynb", "holding for plain SGD"),
        ("notebooks/08_modern_practice.ipynb", "The reference is batch 32 at `lr=0.05`"),
        ("notebooks/08_modern_practice.ipynb", "tests/train/test_claims.py"),
    ],
)
def test_the_misleading_sentence_is_gone(page: str, sentence: str) -> None:
    assert sentence not in prose_of(page)


# Imprecise: "Adam's step stays about lr".
def adam_step_over_lr(gradient) -> float:
    weights = torch.nn.Parameter(torch.zeros(1000, dtype=torch.float64))
    optimizer = torch.optim.Adam([weights], lr=1e-3)
    sizes = []
    for step in range(1000):
        before = weights.detach().clone()
        weights.grad = gradient(step)
        optimizer.step()
        if step >= 500:
            sizes.append((weights.detach() - before).abs().mean().item() / 1e-3)
    return sum(sizes) / len(sizes)


def test_adams_step_is_lr_for_a_steady_gradient_and_about_a_fifth_of_it_on_pure_noise():
    """ch2 section 7: a fraction of lr set by the gradient's signal-to-noise ratio."""
    noise = torch.randn(1000, 1000, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    steady = adam_step_over_lr(lambda step: torch.ones(1000, dtype=torch.float64))
    noisy = adam_step_over_lr(lambda step: noise[step])
    assert round(steady, 2) == 1.0
    assert round(noisy, 2) == 0.18


def test_adams_first_step_moves_every_weight_by_lr_whatever_the_gradient():
    """ch6 section 4 (the first step is lr x sign(g)): the averages are not "empty"."""
    weights = torch.nn.Parameter(torch.zeros(3, dtype=torch.float64))
    optimizer = torch.optim.Adam([weights], lr=0.01)
    weights.grad = torch.tensor([1e-3, -3.0, 200.0], dtype=torch.float64)
    optimizer.step()
    assert weights.detach().tolist() == pytest.approx([-0.01, 0.01, -0.01], rel=1e-3)


# Imprecise: step(epoch) is deprecated except CosineAnnealingWarmRestarts' fractional epochs.
def test_warm_restarts_takes_a_fractional_epoch_without_a_warning():
    import warnings

    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    restarts = lr_scheduler.CosineAnnealingWarmRestarts(optimizer, T_0=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        optimizer.step()
        restarts.step(2.75)
    assert restarts.T_cur == pytest.approx(0.75)
    step_lr = lr_scheduler.StepLR(optimizer, step_size=2)
    with pytest.warns(UserWarning, match="epoch parameter"):
        step_lr.step(5)


# Imprecise: OneCycleLR's "final lr" is an extrapolation past its schedule.
def test_one_cycle_get_last_lr_after_the_run_lies_past_the_schedule():
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
    one_cycle = lr_scheduler.OneCycleLR(optimizer, max_lr=1.0, total_steps=100)
    used = []
    for _ in range(100):
        used.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        one_cycle.step()
    assert used[-1] == pytest.approx(1.0 / (25 * 1e4))  # max_lr / (div_factor x final_div_factor)
    assert one_cycle.get_last_lr()[0] > 100 * used[-1]  # the cosine has turned back up


# Imprecise: which schedulers keep ReduceLROnPlateau's cuts (ch6 section 3).
PLATEAU_NEIGHBOURS = {
    "ExponentialLR": lambda o: lr_scheduler.ExponentialLR(o, 0.9),
    "StepLR": lambda o: lr_scheduler.StepLR(o, 2, 0.5),
    "MultiStepLR": lambda o: lr_scheduler.MultiStepLR(o, [2, 4], 0.5),
    "MultiplicativeLR": lambda o: lr_scheduler.MultiplicativeLR(o, lambda epoch: 0.9),
    "LinearLR": lambda o: lr_scheduler.LinearLR(o, 1.0, 0.2, total_iters=8),
    "ConstantLR": lambda o: lr_scheduler.ConstantLR(o, factor=0.5, total_iters=3),
    "PolynomialLR": lambda o: lr_scheduler.PolynomialLR(o, total_iters=10, power=2.0),
    "CosineAnnealingLR": lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=10),
}


def rate_after_six_epochs(build, with_plateau: bool, **options) -> float:
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    schedule = build(optimizer, **options)
    plateau = lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=0)
    for _ in range(6):
        optimizer.step()
        schedule.step()
        if with_plateau:
            plateau.step(1.0)  # flat metric: a cut from the second epoch on, five in all
    return optimizer.param_groups[0]["lr"]


@pytest.mark.parametrize("name", list(PLATEAU_NEIGHBOURS))
def test_a_chainable_schedule_keeps_every_plateau_cut(name):
    build = PLATEAU_NEIGHBOURS[name]
    alone, both = rate_after_six_epochs(build, False), rate_after_six_epochs(build, True)
    assert both == pytest.approx(alone * 0.5**5)


def test_a_cosine_with_eta_min_keeps_only_part_of_the_cuts_and_lambdalr_erases_them():
    cosine = lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=10, eta_min=0.01)  # noqa: E731
    alone, both = rate_after_six_epochs(cosine, False), rate_after_six_epochs(cosine, True)
    assert 0.5**5 * alone < both < alone
    lam = lambda o: lr_scheduler.LambdaLR(o, lambda epoch: 0.9**epoch)  # noqa: E731
    assert rate_after_six_epochs(lam, True) == pytest.approx(
        rate_after_six_epochs(lam, False) * 0.5
    )


# Imprecise: ChainedScheduler's factors multiply only for chainable children.
def test_a_lambdalr_child_of_chainedscheduler_erases_the_factors_before_it():
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    chained = lr_scheduler.ChainedScheduler(
        [
            lr_scheduler.ExponentialLR(optimizer, 0.9),
            lr_scheduler.LambdaLR(optimizer, lambda step: 0.5),
        ]
    )
    for _ in range(3):
        optimizer.step()
        chained.step()
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.05)  # not 0.1 x 0.9**3 x 0.5


@pytest.mark.parametrize(
    ("page", "sentence"),
    [
        ("notebooks/02_scheduler_family.ipynb", "its step stays about `lr` long"),
        (
            "notebooks/06_combining_and_warmup.ipynb",
            "running averages of the gradient are still empty",
        ),
        ("notebooks/06_combining_and_warmup.ipynb", "their factors multiply. Neither"),
        (
            "notebooks/06_combining_and_warmup.ipynb",
            "a later `LambdaLR` or `CosineAnnealingLR` reads `initial_lr` and goes back to it",
        ),
        ("notebooks/08_modern_practice.ipynb", "**three times** the constant rate's best"),
        ("notebooks/08_modern_practice.ipynb", "its warm-up starts at 0."),
        ("notebooks/02_scheduler_family.ipynb", "`tests/content/test_formulas.py`"),
        ("notebooks/06_combining_and_warmup.ipynb", "`tests/content/test_claims.py`"),
        ("notebooks/myth_busters.ipynb", "strict nbval"),
        ("quizzes/05-custom-schedulers.yaml", "wrong after a resume"),
    ],
)
def test_the_imprecise_sentence_is_gone(page: str, sentence: str) -> None:
    assert sentence not in prose_of(page)


# 2026 practice (ch8 section 12): lr as a Tensor for a compiled optimizer.
def test_a_scheduler_writes_a_tensor_lr_in_place():
    weight = torch.nn.Parameter(torch.zeros(3))
    optimizer = torch.optim.AdamW([weight], lr=torch.tensor(1e-3))
    rate_tensor = optimizer.param_groups[0]["lr"]
    scheduler = lr_scheduler.CosineAnnealingLR(optimizer, T_max=4)
    for _ in range(2):
        weight.grad = torch.ones(3)
        optimizer.step()
        scheduler.step()
    assert optimizer.param_groups[0]["lr"] is rate_tensor
    assert rate_tensor.item() == pytest.approx(5e-4, rel=1e-6)


def compiled_step_frames(lr) -> int:
    """How many times dynamo compiles a step() wrapped in torch.compile over 5 scheduled rates."""
    import warnings

    from torch._dynamo.testing import CompileCounter

    torch._dynamo.reset()
    weight = torch.nn.Parameter(torch.zeros(4))
    optimizer = torch.optim.Adam([weight], lr=lr)
    scheduler = lr_scheduler.LinearLR(optimizer, start_factor=0.1, total_iters=5)
    counter = CompileCounter()

    @torch.compile(backend=counter)
    def step():
        optimizer.step()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(5):
            weight.grad = torch.ones(4)
            step()
            scheduler.step()
    torch._dynamo.reset()
    return counter.frame_count


@pytest.mark.slow
def test_a_float_lr_recompiles_the_compiled_step_and_a_tensor_lr_does_not():
    """ch8 section 12: a float lr changed by a scheduler costs a recompile; a Tensor lr none."""
    assert compiled_step_frames(0.01) >= 2
    assert compiled_step_frames(torch.tensor(0.01)) == 1


def test_a_tensor_lr_survives_a_checkpoint_resume_and_get_last_lr_returns_tensors():
    def build():
        weight = torch.nn.Parameter(torch.zeros(3))
        optimizer = torch.optim.AdamW([weight], lr=torch.tensor(1e-3))
        return weight, optimizer, lr_scheduler.CosineAnnealingLR(optimizer, T_max=6)

    def train(weight, optimizer, scheduler, steps):
        for _ in range(steps):
            weight.grad = torch.ones(3)
            optimizer.step()
            scheduler.step()

    straight = build()
    train(*straight, steps=5)
    first = build()
    train(*first, steps=2)
    saved = (first[1].state_dict(), first[2].state_dict())
    resumed = build()
    resumed[1].load_state_dict(saved[0])
    resumed[2].load_state_dict(saved[1])
    train(*resumed, steps=3)
    assert float(resumed[1].param_groups[0]["lr"]) == pytest.approx(
        float(straight[1].param_groups[0]["lr"])
    )
    assert isinstance(straight[2].get_last_lr()[0], torch.Tensor)
