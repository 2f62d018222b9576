"""The second review of chapters 1-3, the myth busters and their banks: each corrected claim,
proved by plain torch 2.13, and each wrong sentence checked gone from the page it lived on.

Training claims over seeds that the review added live in tests/train/test_claims.py.
"""

from __future__ import annotations

import itertools
import math
import warnings

import pytest
import torch
from torch.optim import lr_scheduler

from tests.content.test_claims import prose_of, sgd


def rates_used(optimizer: torch.optim.Optimizer, step, steps: int) -> list[float]:
    """The rate each of ``steps`` optimizer steps used, ``step()`` called after each."""
    used = []
    for _ in range(steps):
        used.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        step()
    return used


BUILDERS = {
    "LambdaLR": lambda o: lr_scheduler.LambdaLR(o, lambda e: 0.9**e),
    "MultiplicativeLR": lambda o: lr_scheduler.MultiplicativeLR(o, lambda e: 0.9),
    "StepLR": lambda o: lr_scheduler.StepLR(o, step_size=2, gamma=0.5),
    "MultiStepLR": lambda o: lr_scheduler.MultiStepLR(o, milestones=[2], gamma=0.5),
    "ConstantLR": lambda o: lr_scheduler.ConstantLR(o, factor=0.5, total_iters=2),
    "LinearLR": lambda o: lr_scheduler.LinearLR(o, start_factor=0.5, total_iters=2),
    "ExponentialLR": lambda o: lr_scheduler.ExponentialLR(o, gamma=0.9),
    "PolynomialLR": lambda o: lr_scheduler.PolynomialLR(o, total_iters=10),
    "CosineAnnealingLR": lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=10),
    "CosineAnnealingWarmRestarts": lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=4),
    "CyclicLR": lambda o: lr_scheduler.CyclicLR(
        o, base_lr=0.01, max_lr=0.1, step_size_up=3, cycle_momentum=False
    ),
    "OneCycleLR": lambda o: lr_scheduler.OneCycleLR(
        o, max_lr=0.1, total_steps=20, cycle_momentum=False
    ),
}


# ---- chapter 2: get_lr() --------------------------------------------------------------------


def test_twelve_built_in_schedulers_warn_on_get_lr_and_the_three_combinators_raise():
    """ch2 section 1: twelve warn; ReduceLROnPlateau, SequentialLR, ChainedScheduler raise."""
    warned, raised = [], []
    schedulers = {name: build for name, build in BUILDERS.items()}
    schedulers["ReduceLROnPlateau"] = lambda o: lr_scheduler.ReduceLROnPlateau(o)
    schedulers["SequentialLR"] = lambda o: lr_scheduler.SequentialLR(
        o, [lr_scheduler.ConstantLR(o), lr_scheduler.ExponentialLR(o, 0.9)], milestones=[3]
    )
    schedulers["ChainedScheduler"] = lambda o: lr_scheduler.ChainedScheduler(
        [lr_scheduler.ConstantLR(o), lr_scheduler.ExponentialLR(o, 0.9)]
    )
    assert sorted(schedulers) == sorted(
        name
        for name, value in vars(lr_scheduler).items()
        if isinstance(value, type)
        and issubclass(value, lr_scheduler.LRScheduler)
        and not name.startswith("_")
        and name != "LRScheduler"
    )
    for name, build in schedulers.items():
        scheduler = build(sgd(momentum=0.9))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                scheduler.get_lr()
            except NotImplementedError:
                raised.append(name)
                continue
        if any("get_last_lr()" in str(w.message) for w in caught):
            warned.append(name)
    assert len(warned) == 12
    assert sorted(raised) == ["ChainedScheduler", "ReduceLROnPlateau", "SequentialLR"]


# ---- chapter 2 (and its bank): what several schedulers on one optimizer do --------------------


def chained_against_product(child: str) -> bool:
    """Whether ChainedScheduler([ExponentialLR(0.8), child]) follows the product of the two."""
    exponential = lambda o: lr_scheduler.ExponentialLR(o, gamma=0.8)  # noqa: E731

    def alone(build):
        optimizer = sgd()
        scheduler = build(optimizer)
        return rates_used(optimizer, scheduler.step, 10)

    product = [a * b / 0.1 for a, b in zip(alone(exponential), alone(BUILDERS[child]), strict=True)]
    optimizer = sgd()
    chained = lr_scheduler.ChainedScheduler([exponential(optimizer), BUILDERS[child](optimizer)])
    together = rates_used(optimizer, chained.step, 10)
    return all(math.isclose(a, b, rel_tol=1e-9) for a, b in zip(together, product, strict=True))


@pytest.mark.parametrize(
    "child",
    ["StepLR", "MultiStepLR", "ExponentialLR", "LinearLR", "ConstantLR", "MultiplicativeLR"],
)
def test_chained_multiplicative_children_multiply(child):
    """ch2 table and section 9: the factors multiply when every child is multiplicative."""
    assert chained_against_product(child)


@pytest.mark.parametrize("child", ["LambdaLR", "CosineAnnealingWarmRestarts", "OneCycleLR"])
def test_a_closed_form_child_overwrites_what_came_before_it(child):
    """ch2 table, takeaways and bank: a LambdaLR child (and its like) does not multiply."""
    assert not chained_against_product(child)


@pytest.mark.parametrize(
    ("name", "keeps_the_cuts"),
    [
        ("StepLR", True),
        ("ExponentialLR", True),
        ("LambdaLR", False),
        ("CosineAnnealingWarmRestarts", False),
        ("OneCycleLR", False),
        ("CyclicLR", False),
    ],
)
def test_beside_a_plateau_rule_only_multiplicative_schedulers_keep_its_cuts(name, keeps_the_cuts):
    """ch2 takeaways: LambdaLR, CosineAnnealingWarmRestarts, OneCycleLR and CyclicLR overwrite."""
    alone_optimizer = sgd()
    alone = BUILDERS[name](alone_optimizer)
    reference = rates_used(alone_optimizer, alone.step, 12)
    optimizer = sgd()
    schedule = BUILDERS[name](optimizer)
    plateau = lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=2)

    def both():
        schedule.step()
        plateau.step(1.0)  # a metric that never improves: a cut every third step

    ratios = [a / b for a, b in zip(rates_used(optimizer, both, 12), reference, strict=True)]
    assert math.isclose(ratios[-1], 0.125) is keeps_the_cuts


# ---- myth busters 10: step(epoch) ------------------------------------------------------------


def test_step_epoch_warns_except_for_cosine_annealing_warm_restarts():
    """myth 10: deprecated (warning), but CosineAnnealingWarmRestarts takes a fractional epoch."""

    def warnings_of(call) -> list[str]:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            call()
        return [str(w.message) for w in caught]

    optimizer = sgd()
    restarts = lr_scheduler.CosineAnnealingWarmRestarts(optimizer, T_0=5)
    optimizer.step()
    assert warnings_of(lambda: restarts.step(1.5)) == []
    assert math.isclose(restarts.get_last_lr()[0], 0.05 * (1 + math.cos(math.pi * 1.5 / 5)))
    optimizer = sgd()
    step = lr_scheduler.StepLR(optimizer, step_size=2)
    optimizer.step()
    assert any("epoch parameter" in m for m in warnings_of(lambda: step.step(3)))
    plateau = lr_scheduler.ReduceLROnPlateau(sgd())
    assert any("epoch parameter" in m for m in warnings_of(lambda: plateau.step(1.0, epoch=3)))


# ---- myth busters 12: what SequentialLR's next scheduler starts from ------------------------


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_sequential_restarts_every_next_scheduler_but_multiplicative_at_its_own_step_0(name):
    """myth 12: at the milestone the next scheduler gives its own step-0 rate (the initial 0.1
    for most); only MultiplicativeLR goes on from the current rate (0.025 here)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        optimizer = sgd()
        first = lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
        sequence = lr_scheduler.SequentialLR(
            optimizer, [first, BUILDERS[name](optimizer)], milestones=[6]
        )
        used = rates_used(optimizer, sequence.step, 9)
        alone_optimizer = sgd()
        alone = BUILDERS[name](alone_optimizer)
        own = rates_used(alone_optimizer, alone.step, 3)
    assert used[5] == pytest.approx(0.025) or name == "OneCycleLR"  # its constructor rewrites lr
    if name == "MultiplicativeLR":
        assert used[6:] == pytest.approx([0.025 * 0.9, 0.025 * 0.9**2, 0.025 * 0.9**3])
    else:
        assert used[6:] == pytest.approx(own)


# ---- myth busters 8 and chapter 2 section 7: Adam's step on pure noise ------------------------


def test_adams_step_on_pure_noise_is_about_a_fifth_of_lr():
    """myth 8 quotes chapter 2's measurement: about a fifth of lr (0.18) on pure noise."""
    weights = torch.nn.Parameter(torch.zeros(1000, dtype=torch.float64))
    optimizer = torch.optim.Adam([weights], lr=1e-3)
    noise = torch.randn(1000, 1000, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    sizes = []
    for step in range(1000):
        before = weights.detach().clone()
        weights.grad = noise[step]
        optimizer.step()
        if step >= 500:
            sizes.append((weights.detach() - before).abs().mean().item() / 1e-3)
    assert round(sum(sizes) / len(sizes), 1) == 0.2


# ---- the chapter 3 bank: StepLR(step_size=30) over 180 epochs ---------------------------------


def test_steplr_every_30_epochs_over_180_cuts_five_times_to_1e_5_of_the_peak():
    """Bank 03, steplr.milestones-for-a-longer-run, option `steplr`."""
    optimizer = sgd(lr=0.1)
    scheduler = lr_scheduler.StepLR(optimizer, step_size=30, gamma=0.1)
    used = rates_used(optimizer, scheduler.step, 180)
    cuts = sum(1 for a, b in itertools.pairwise(used) if b < a)
    assert cuts == 5
    assert math.isclose(used[-1] / used[0], 1e-5, rel_tol=1e-9)
    assert math.isclose(used[120] / used[0], 1e-4, rel_tol=1e-9)  # the last 60 epochs


# ---- sentences the review corrected ---------------------------------------------------------


@pytest.mark.parametrize(
    ("page", "sentence"),
    [
        ("notebooks/01_learning_rate.ipynb", "and on this bowl the larger one"),
        ("notebooks/01_learning_rate.ipynb", "after that it improves only slowly"),
        (
            "notebooks/02_scheduler_family.ipynb",
            "the second half of training runs at a *rising* rate",
        ),
        ("notebooks/02_scheduler_family.ipynb", "freezing a group)"),
        ("notebooks/02_scheduler_family.ipynb", "which is when a schedule matters. "),
        (
            "notebooks/01_learning_rate.ipynb",
            "where the model can fit its data, the decay's main gift is a steadier end",
        ),
        ("notebooks/01_learning_rate.ipynb", "rising to $2/\\eta$ during training:"),
        ("notebooks/02_scheduler_family.ipynb", "torch's built-in schedulers warn"),
        ("notebooks/02_scheduler_family.ipynb", "so their effects combine"),
        ("notebooks/02_scheduler_family.ipynb", "`ChainedScheduler` (factors multiplied)"),
        (
            "notebooks/02_scheduler_family.ipynb",
            "when the weights are random and the optimizer's statistics",
        ),
        ("notebooks/02_scheduler_family.ipynb", "a `LambdaLR`, `OneCycleLR` or `CyclicLR`"),
        ("notebooks/03_steplr_vs_multisteplr.ipynb", "the two you meet most in papers"),
        ("notebooks/03_steplr_vs_multisteplr.ipynb", "A popular tutorial claims"),
        ("notebooks/03_steplr_vs_multisteplr.ipynb", "divide the rate by 10 at set points"),
        ("notebooks/myth_busters.ipynb", "the reason warm-up helps Adam early"),
        ("notebooks/myth_busters.ipynb", "each coordinate's step relative to the others"),
        ("notebooks/myth_busters.ipynb", "does not shrink when the gradients do"),
        ("notebooks/myth_busters.ipynb", "restarts from the optimizer's initial rate"),
        ("quizzes/03-steplr-vs-multisteplr.yaml", "to `1e-6` of the peak"),
        (
            "quizzes/02-scheduler-family.yaml",
            "`StepLR` and `CosineAnnealingLR` stepped back to back",
        ),
        ("quizzes/02-scheduler-family.yaml", "is defined per optimizer step"),
    ],
)
def test_the_corrected_sentence_is_gone(page: str, sentence: str) -> None:
    assert sentence not in prose_of(page)


def test_myth_13_ranks_by_the_means_of_all_seeds_not_by_fiat():
    """The old cell ranked an erratic run as infinitely bad; the new one prints real means."""
    import nbformat

    from tests.content.test_claims import ROOT

    notebook = nbformat.read(ROOT / "notebooks" / "myth_busters.ipynb", as_version=4)
    code = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    assert 'float("inf")' not in code and "setting=one.setting" in code
    outputs = "\n".join(
        output.get("text", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    )
    assert "lowest loss (lr=0.689) ends above both others in 8 of 8 seeds" in outputs
    assert "digits · SGD(momentum=0.9) · batch 64 · 6 epochs" in outputs


# ---- chapter 2 section 3: what CyclicLR and OneCycleLR do when built and stepped -------------


def test_cyclic_and_one_cycle_switch_momentum_on_for_plain_sgd_and_overwrite_lr():
    """ch2: built on SGD(momentum=0) they set momentum 0.9 / 0.95 and their own start rate."""
    optimizer = sgd(momentum=0.0)
    lr_scheduler.CyclicLR(optimizer, base_lr=0.01, max_lr=0.1)
    assert optimizer.param_groups[0]["momentum"] == 0.9
    assert optimizer.param_groups[0]["lr"] == 0.01
    optimizer = sgd(momentum=0.0)
    lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=10)
    assert optimizer.param_groups[0]["momentum"] == 0.95
    assert math.isclose(optimizer.param_groups[0]["lr"], 0.1 / 25)
    optimizer = sgd(momentum=0.0)
    lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=10, cycle_momentum=False)
    assert optimizer.param_groups[0]["momentum"] == 0.0


def test_one_cycle_takes_total_steps_steps_and_refuses_one_more():
    """ch2: OneCycleLR refuses to be stepped more than total_steps times."""
    optimizer = sgd()
    scheduler = lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=10)
    rates_used(optimizer, scheduler.step, 10)
    with pytest.raises(ValueError, match="Tried to step"):
        optimizer.step()
        scheduler.step()


def test_a_scheduler_rewrites_param_groups_and_never_optimizer_defaults():
    """Bank 02, family.what-step-rewrites, option `defaults`."""
    optimizer = sgd(lr=0.1)
    scheduler = lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    rates_used(optimizer, scheduler.step, 3)
    assert optimizer.defaults["lr"] == 0.1
    assert optimizer.param_groups[0]["lr"] == 0.0125
