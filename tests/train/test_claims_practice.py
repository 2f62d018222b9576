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
