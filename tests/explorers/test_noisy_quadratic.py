"""Chapter 1's noisy bowl: the runs are torch's SGD and schedulers, and every claim the chapter makes
about them holds over seeds at the chapter's settings, by more than two standard errors."""

import itertools
import math

import pytest
import torch

from lrcourse import (
    NoisyDescent,
    SchedulerConfigError,
    plot_noisy_descent,
    run_gradient_descent,
    run_noisy_descent,
)

#: The chapter's settings (notebooks/01_learning_rate.ipynb): the defaults of run_noisy_descent.
STEPS, SEEDS = 300, 64
CONSTANT_RATES = (0.02, 0.05, 0.1)
STEP_DECAY = ("StepLR", {"step_size": 100, "gamma": 0.2})
EARLY_STEP = 20


@pytest.fixture(scope="module")
def chapter_runs() -> dict[str, NoisyDescent]:
    runs = {lr: run_noisy_descent(lr) for lr in CONSTANT_RATES}
    runs["decay"] = run_noisy_descent(0.1, STEP_DECAY)
    return runs


def standard_errors_apart(lower: torch.Tensor, higher: torch.Tensor) -> float:
    """Return mean(higher - lower) in standard errors of that paired difference over seeds."""
    difference = higher - lower
    return (difference.mean() / (difference.std() / math.sqrt(len(difference)))).item()


def test_the_chapter_uses_the_defaults():
    run = run_noisy_descent(0.1)
    assert (run.steps, run.seeds) == (STEPS, SEEDS)


def test_noisy_descent_matches_a_plain_sgd_and_steplr_loop():
    curvature = torch.tensor([1.0, 10.0], dtype=torch.float64)
    noise = torch.randn(12, 3, 2, generator=torch.Generator().manual_seed(7), dtype=torch.float64)
    weights = torch.nn.Parameter(torch.tensor([[2.0, 1.0]] * 3, dtype=torch.float64))
    optimizer = torch.optim.SGD([weights], lr=0.1)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=5, gamma=0.2)
    run = run_noisy_descent(
        0.1, ("StepLR", {"step_size": 5, "gamma": 0.2}), steps=12, seeds=3, seed=7
    )
    for step in range(12):
        assert run.lrs[step] == optimizer.param_groups[0]["lr"]
        optimizer.zero_grad()
        (0.5 * (curvature * weights**2).sum() + (noise[step] * weights).sum()).backward()
        optimizer.step()
        scheduler.step()
        expected = 0.5 * (curvature * weights.detach() ** 2).sum(dim=1)
        assert torch.equal(run.loss_at(step + 1), expected)


def test_without_noise_every_seed_follows_the_noise_free_path():
    noisy = run_noisy_descent(0.15, steps=30, seeds=4, gradient_noise=0.0)
    plain = run_gradient_descent(0.15, steps=30)
    for step in (0, 1, 10, 30):
        assert noisy.loss_at(step).tolist() == pytest.approx([plain.losses[step]] * 4, rel=1e-12)


def test_seeds_draw_different_noise():
    run = run_noisy_descent(0.1, steps=5, seeds=8)
    assert len(set(run.loss_at(5).tolist())) == 8


def test_a_seed_sees_the_same_noise_under_every_schedule(chapter_runs):
    # StepLR keeps lr = 0.1 for its first 100 steps: until then it is the constant run, bit for bit.
    assert torch.equal(chapter_runs["decay"].losses[:101], chapter_runs[0.1].losses[:101])
    assert not torch.equal(chapter_runs["decay"].losses[102], chapter_runs[0.1].losses[102])


def test_the_rate_each_step_used_is_what_steplr_gives(chapter_runs):
    rates = chapter_runs["decay"].lrs
    assert rates[0] == rates[99] == 0.1
    assert rates[100] == pytest.approx(0.02) and rates[199] == pytest.approx(0.02)
    assert rates[200] == pytest.approx(0.004) and rates[299] == pytest.approx(0.004)


def test_a_constant_rates_noise_floor_grows_with_the_rate(chapter_runs):
    finals = [chapter_runs[lr].loss_at(-1) for lr in CONSTANT_RATES]
    for lower, higher in itertools.pairwise(finals):
        assert standard_errors_apart(lower, higher) > 2


def test_a_constant_rate_has_settled_on_its_floor(chapter_runs):
    # "Settles": over the last 100 steps the mean loss no longer falls (first half vs second half).
    for lr in CONSTANT_RATES:
        losses = chapter_runs[lr].losses
        assert abs(standard_errors_apart(losses[201:251].mean(0), losses[251:].mean(0))) < 2


@pytest.mark.parametrize("lr", CONSTANT_RATES)
def test_the_floor_is_the_balance_of_noise_and_pull(chapter_runs, lr):
    # The chapter's formula: lr * sigma**2 / (2 * (2 - lr * curvature)) per direction, sigma = 1.
    predicted = sum(lr / (2 * (2 - lr * curvature)) for curvature in (1.0, 10.0))
    tail = chapter_runs[lr].losses[201:].mean(0)  # each seed's mean over its last 100 steps
    standard_error = tail.std().item() / math.sqrt(len(tail))
    assert abs(tail.mean().item() - predicted) < 2 * standard_error


def test_the_small_rate_is_still_above_its_floor_after_100_steps(chapter_runs):
    losses = chapter_runs[0.02].losses
    assert standard_errors_apart(losses[201:].mean(0), losses[100]) > 2


def test_a_large_early_rate_makes_faster_early_progress(chapter_runs):
    early = [chapter_runs[lr].loss_at(EARLY_STEP) for lr in CONSTANT_RATES]
    for smaller_rate, larger_rate in itertools.pairwise(early):
        assert standard_errors_apart(larger_rate, smaller_rate) > 2


def test_decaying_the_rate_ends_below_the_large_constants_floor(chapter_runs):
    assert (
        standard_errors_apart(chapter_runs["decay"].loss_at(-1), chapter_runs[0.1].loss_at(-1)) > 2
    )


def test_decaying_the_rate_ends_below_every_constant_shown(chapter_runs):
    for lr in CONSTANT_RATES:
        decay, constant = chapter_runs["decay"].loss_at(-1), chapter_runs[lr].loss_at(-1)
        assert standard_errors_apart(decay, constant) > 2, lr


def test_each_drop_of_the_rate_lowers_the_loss_it_hovers_at(chapter_runs):
    losses = chapter_runs["decay"].losses
    # the last 50 steps before each drop, and the last 50 steps of the run
    stages = [losses[51:101].mean(0), losses[151:201].mean(0), losses[251:].mean(0)]
    for before, after in itertools.pairwise(stages):
        assert standard_errors_apart(after, before) > 2


def test_decaying_the_rate_keeps_the_fast_start(chapter_runs):
    decay, slow = chapter_runs["decay"].loss_at(EARLY_STEP), chapter_runs[0.02].loss_at(EARLY_STEP)
    assert standard_errors_apart(decay, slow) > 2


def test_summary_gives_mean_and_sd_to_two_digits():
    losses = torch.tensor([[1.0, 1.0], [0.1, 0.3]], dtype=torch.float64)
    run = NoisyDescent(label="x", lrs=(0.1,), losses=losses)
    assert run.summary() == "0.20 ± 0.14"
    assert run.summary(0) == "1.0 ± 0"


def test_a_metric_scheduler_is_refused_with_a_reason():
    with pytest.raises(SchedulerConfigError, match="ReduceLROnPlateau needs one"):
        run_noisy_descent(0.1, "ReduceLROnPlateau")


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"lr": 0.0}, "lr must be > 0"),
        ({"lr": 0.1, "seeds": 1}, "seeds >= 2"),
        ({"lr": 0.1, "gradient_noise": -1.0}, "gradient_noise must be >= 0"),
        ({"lr": 0.1, "curvatures": (1.0,)}, "same length"),
    ],
)
def test_bad_settings_are_refused_naming_the_parameter(settings, message):
    with pytest.raises(SchedulerConfigError, match=message):
        run_noisy_descent(**settings)


def test_plot_noisy_descent_displays_as_png(chapter_runs):
    figure = plot_noisy_descent([chapter_runs[0.1], chapter_runs["decay"]])
    assert figure._repr_png_().startswith(b"\x89PNG")
    assert len(figure.axes) == 2
