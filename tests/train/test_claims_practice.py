"""Every claim chapter 9 makes about its width sweep, checked over its seeds at its settings.

The sweep is the chapter's own code: the test runs the notebook's code cells (the plain torch
loop and the sweep; not the quiz) in one namespace, so the test and the page cannot drift apart.
A sentence about an outcome is asserted as in ``test_claims.py``: a paired difference over the
seeds (seed k of one cell against seed k of the other: the same batches, and initial weights that
differ only by µP's rescaling) whose mean exceeds two standard errors; "lowest" is the lowest mean
of a row. A sentence these tests cannot support is rewritten in the chapter, not kept with a
weaker test. ``pytest -s`` prints the measured differences.
"""

from __future__ import annotations

import itertools
import statistics
from pathlib import Path

import nbformat
import pytest
import torch

from lrcourse.train.stats import mean_sd, standard_error

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("one_torch_thread")]

CHAPTER = Path(__file__).resolve().parents[2] / "notebooks" / "09_practice_2026.ipynb"
MARGIN = 2.0  # standard errors


@pytest.fixture(scope="module")
def chapter():
    """The namespace the chapter's code cells leave behind (``losses``, ``RATES``, ``WIDTHS`` …).

    The first cell only installs the course where it is missing (a ``%pip`` magic): skipped.
    """
    namespace: dict = {}
    code = [
        cell.source
        for cell in nbformat.read(CHAPTER, as_version=4).cells
        if cell.cell_type == "code"
    ]
    assert code[0].startswith("# Opened alone"), "the first cell is the install cell (it uses %pip)"
    # The chapter switches torch's default dtype to float64 for its sweep: put it back after, or
    # every later test in this process would build float64 layers.
    dtype, threads = torch.get_default_dtype(), torch.get_num_threads()
    try:
        for source in code[1:]:
            if "show_quiz" not in source:
                exec(compile(source, str(CHAPTER), "exec"), namespace)
    finally:
        torch.set_default_dtype(dtype)
        torch.set_num_threads(threads)
    return namespace


def assert_lower(claim: str, lower: list[float], higher: list[float]) -> None:
    """Assert ``lower`` ends below ``higher`` by more than 2 paired standard errors."""
    differences = [b - a for a, b in zip(lower, higher, strict=True)]
    mean, error = mean_sd(differences)[0], standard_error(differences)
    print(f"\nCLAIM {claim}: {mean:.4f} ± {error:.4f} (mean paired difference ± SE)")
    assert mean > MARGIN * error, f"{claim}: {mean:.4f} is not > {MARGIN} x {error:.4f}"


def best(chapter, setup: str, width: int) -> float:
    losses, rates = chapter["losses"], chapter["RATES"]
    return min(rates, key=lambda lr: statistics.mean(losses[setup, width, lr]))


def test_the_chapter_runs_the_settings_its_prose_states(chapter):
    assert chapter["WIDTHS"] == (32, 128, 512)
    assert chapter["RATES"] == (0.003, 0.01, 0.03, 0.1)
    assert list(chapter["SEEDS"]) == [0, 1, 2, 3]
    assert chapter["BASE_WIDTH"] == 32
    assert len(chapter["inputs"]) == 1438
    assert -(-len(chapter["inputs"]) // 64) * 3 == 69  # "3 epochs of batches of 64 (69 steps)"


def gap(chapter, setup: str, width: int) -> list[float]:
    """Per seed: how much lower 0.03 ends than 0.01 (positive: 0.03 is better)."""
    losses = chapter["losses"]
    pairs = zip(losses[setup, width, 0.01], losses[setup, width, 0.03], strict=True)
    return [at_001 - at_003 for at_001, at_003 in pairs]


def test_standard_lowest_mean_moves_left_as_the_width_grows(chapter):
    assert [best(chapter, "standard", w) for w in (32, 128, 512)] == [0.03, 0.01, 0.01]
    losses = chapter["losses"]
    assert_lower(
        "standard, width 32: 0.03 beats 0.01",
        losses["standard", 32, 0.03],
        losses["standard", 32, 0.01],
    )
    # "0.03 loses that edge": its gap over 0.01 shrinks from width 32 to width 512, beyond the seeds.
    assert_lower(
        "standard: 0.03's edge over 0.01, width 512 below width 32",
        gap(chapter, "standard", 512),
        gap(chapter, "standard", 32),
    )


def test_the_proxy_rate_is_not_the_wide_standard_networks_best(chapter):
    assert best(chapter, "standard", 32) == 0.03
    assert best(chapter, "standard", 512) != 0.03
    assert best(chapter, "µP", 512) == 0.03


def test_standard_wide_networks_train_far_worse_at_the_top_rate(chapter):
    losses = chapter["losses"]
    for width in (128, 512):
        assert_lower(
            f"standard at 0.1: width 32 beats width {width}",
            losses["standard", 32, 0.1],
            losses["standard", width, 0.1],
        )


def test_mup_best_rate_stays_put(chapter):
    assert [best(chapter, "µP", w) for w in (32, 128, 512)] == [0.03, 0.03, 0.03]
    losses = chapter["losses"]
    for width in (128, 512):
        assert_lower(
            f"µP, width {width}: 0.03 beats 0.01",
            losses["µP", width, 0.03],
            losses["µP", width, 0.01],
        )


def test_how_precisely_mup_stays_put_four_seeds_cannot_say(chapter):
    """ "At width 512, 0.03 and 0.1 are level within the seeds' spread, and at width 384 (not in
    the table) 0.1 has the slightly lower mean": the chapter does not claim more than its grid."""
    losses = chapter["losses"]
    at_003, at_01 = losses["µP", 512, 0.03], losses["µP", 512, 0.1]
    differences = [b - a for a, b in zip(at_003, at_01, strict=True)]
    mean, error = mean_sd(differences)[0], standard_error(differences)
    print(f"\nCLAIM µP 512, 0.1 minus 0.03 (level): {mean:.4f} ± {error:.4f}")
    assert abs(mean) <= MARGIN * error
    dtype = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        train, inputs, targets = chapter["train"], chapter["inputs"], chapter["targets"]
        at_384 = {
            lr: statistics.mean(train(inputs, targets, 384, lr, seed, True) for seed in range(4))
            for lr in (0.03, 0.1)
        }
    finally:
        torch.set_default_dtype(dtype)
    print(f"\nCLAIM µP 384: mean at 0.03 {at_384[0.03]:.4f}, at 0.1 {at_384[0.1]:.4f}")
    assert at_384[0.1] < at_384[0.03]


def test_mup_wide_networks_train_far_better_than_standard_at_the_top_rate(chapter):
    losses = chapter["losses"]
    for width in (128, 512):
        assert_lower(
            f"width {width} at 0.1: µP beats standard",
            losses["µP", width, 0.1],
            losses["standard", width, 0.1],
        )


def test_standard_at_its_own_best_ends_below_mup_at_the_proxy_rate_at_width_512(chapter):
    losses = chapter["losses"]
    assert_lower(
        "width 512: standard at 0.01 beats µP at 0.03",
        losses["standard", 512, 0.01],
        losses["µP", 512, 0.03],
    )


# ---- section 6: weight averaging (an EMA) beside a decay, on the same runs -------------------


def test_the_averaging_demo_runs_the_settings_its_prose_states(chapter):
    assert (chapter["EPOCHS"], chapter["BATCH"], chapter["PEAK"]) == (10, 64, 0.1)
    assert chapter["STEPS"] == 230
    assert chapter["EMA_DECAYS"] == (0.95, 0.99)
    assert chapter["SCHEDULES"] == ("constant", "cosine to 0")


def test_at_a_constant_rate_the_ema_ends_below_its_weights_with_a_far_smaller_spread(chapter):
    finals = chapter["finals"]
    ema, weights = finals("constant", "EMA 0.95"), finals("constant", "weights")
    assert_lower("constant: EMA 0.95 beats its weights", ema, weights)
    # "several times smaller": the seeds' spread at least 3x narrower
    assert statistics.stdev(weights) > 3 * statistics.stdev(ema)


def test_at_this_peak_the_constant_rates_ema_ends_below_the_cosines_weights(chapter):
    finals = chapter["finals"]
    assert_lower(
        "constant + EMA 0.95 beats cosine to 0",
        finals("constant", "EMA 0.95"),
        finals("cosine to 0", "weights"),
    )


def test_the_cosines_mean_is_below_the_constant_rates_but_level_over_the_seeds(chapter):
    finals = chapter["finals"]
    cosine, constant = finals("cosine to 0", "weights"), finals("constant", "weights")
    assert statistics.mean(cosine) < statistics.mean(constant)
    differences = [b - a for a, b in zip(cosine, constant, strict=True)]
    mean, error = mean_sd(differences)[0], standard_error(differences)
    print(f"\nCLAIM cosine vs constant (level): {mean:.4f} ± {error:.4f}")
    assert abs(mean) <= MARGIN * error


def test_on_top_of_the_decay_the_ema_adds_nothing_visible(chapter):
    finals = chapter["finals"]
    ema, weights = finals("cosine to 0", "EMA 0.95"), finals("cosine to 0", "weights")
    gap = statistics.mean(ema) - statistics.mean(weights)
    print(f"\nCLAIM cosine: EMA 0.95 minus weights: {gap:.5f}")
    assert abs(gap) < 0.002


@pytest.mark.parametrize("schedule", ["constant", "cosine to 0"])
def test_the_long_ema_lags_and_ends_above_the_weights(chapter, schedule):
    finals = chapter["finals"]
    assert_lower(
        f"{schedule}: weights beat EMA 0.99",
        finals(schedule, "weights"),
        finals(schedule, "EMA 0.99"),
    )


# ---- section 7: where the lowest validation loss falls --------------------------------------


def test_under_the_cosine_every_seeds_lowest_val_loss_is_in_the_last_three_epochs(chapter):
    averaging, best_epoch = chapter["averaging"], chapter["best_epoch"]
    epochs = [best_epoch(averaging["cosine to 0", seed]["weights"]) for seed in chapter["SEEDS"]]
    assert all(epoch >= chapter["EPOCHS"] - 2 for epoch in epochs), epochs


def test_at_a_constant_rate_some_seeds_lowest_val_loss_comes_before_epoch_8(chapter):
    averaging, best_epoch = chapter["averaging"], chapter["best_epoch"]
    epochs = [best_epoch(averaging["constant", seed]["weights"]) for seed in chapter["SEEDS"]]
    assert min(epochs) < 8, epochs


# ---- section 8: a rate above the edge, and what clipping does ---------------------------------


def test_above_the_edge_the_loss_grows_at_every_step(chapter):
    losses, _ = chapter["runs"]["lr 0.25 (above the edge)"]
    totals = [sum(parts) for parts in losses]
    assert all(later > earlier for earlier, later in itertools.pairwise(totals))
    assert totals[-1] > 1e6 * sum(chapter["valley_loss"](chapter["START"])).item()


def test_clip_grad_norm_returns_the_norm_before_clipping(chapter):
    _, returned = chapter["runs"]["lr 0.25, clipped at norm 1"]
    start_gradient = torch.tensor([10.0 * 1.0, 0.01 * 10.0])  # STEEP * across, SHALLOW * along
    assert returned[0] == pytest.approx(start_gradient.norm().item())
    assert returned[0] > 1.0


def test_clipping_bounds_the_loss_but_the_bounce_across_does_not_die(chapter):
    runs = chapter["runs"]
    clipped = [sum(parts) for parts in runs["lr 0.25, clipped at norm 1"][0]]
    below = runs["lr 0.15 (below the edge)"][0]
    start = sum(chapter["valley_loss"](chapter["START"])).item()
    assert max(clipped) < start  # bounded: never above where it started
    across_clipped, across_below = runs["lr 0.25, clipped at norm 1"][0][-1][0], below[-1][0]
    assert across_clipped > 1e-3 and across_below < 1e-12
    assert clipped[-1] > sum(below[-1])  # and it ends above the run below the edge


# ---- section 9: the river valley, over its 8 noise sequences ----------------------------------


def _paired_lower(claim: str, lower: torch.Tensor, higher: torch.Tensor) -> None:
    assert_lower(claim, lower.tolist(), higher.tolist())


def test_river_valley_settings_are_the_prose_s(chapter):
    assert (chapter["STEEP"], chapter["SHALLOW"], chapter["EDGE"]) == (10.0, 0.01, 0.2)
    assert (chapter["ROWS"], chapter["VALLEY_STEPS"], chapter["COOL_DOWN"]) == (8, 400, 80)


def test_before_the_cool_down_the_high_rate_is_further_along_and_higher_up_the_walls(chapter):
    valley, step = chapter["valley"], chapter["VALLEY_STEPS"] - chapter["COOL_DOWN"] - 1
    high, low = valley["constant 0.15"][step], valley["constant 0.015"][step]
    _paired_lower("before cool-down: along, high rate below low rate", high[1], low[1])
    _paired_lower("before cool-down: across, low rate below high rate", low[0], high[0])


def test_in_the_cool_down_wsd_falls_mostly_across_the_valley(chapter):
    wsd = chapter["valley"]["WSD, peak 0.15"]
    steps, cool_down = chapter["VALLEY_STEPS"], chapter["COOL_DOWN"]
    before, end = wsd[steps - cool_down - 1], wsd[steps - 1]
    drop_across, drop_along = before[0] - end[0], before[1] - end[1]
    _paired_lower("cool-down: the along drop is below the across drop", drop_along, drop_across)
    assert before[0].mean() > 10 * end[0].mean()  # "more than tenfold"
    # "its along part falls by about a tenth" (0.19 -> 0.17): less than a fifth
    assert before[1].mean() - end[1].mean() < 0.2 * before[1].mean()


@pytest.mark.parametrize("constant", ["constant 0.15", "constant 0.015"])
def test_wsd_ends_below_both_constant_rates(chapter, constant):
    valley, last = chapter["valley"], chapter["VALLEY_STEPS"] - 1
    wsd, other = valley["WSD, peak 0.15"][last], valley[constant][last]
    _paired_lower(f"end: WSD below {constant}", wsd[0] + wsd[1], other[0] + other[1])
