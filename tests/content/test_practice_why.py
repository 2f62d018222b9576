"""Chapter 9's reasons, each checked against torch (the sweep's outcomes are in
tests/train/test_claims_practice.py)."""

from __future__ import annotations

import torch


def output_change(width: int, lr: float, seed: int = 0) -> float:
    """Mean size of the change of a layer's outputs after one Adam step on its own inputs."""
    generator = torch.Generator().manual_seed(seed)
    inputs = torch.randn(64, width, generator=generator, dtype=torch.float64).relu()
    targets = torch.randint(0, 10, (64,), generator=generator)
    layer = torch.nn.Linear(width, 10, dtype=torch.float64)
    with torch.no_grad():
        layer.weight.copy_(torch.randn(10, width, generator=generator) / width**0.5)
        layer.bias.zero_()
    optimizer = torch.optim.Adam([layer.weight], lr=lr)
    before = layer(inputs).detach()
    torch.nn.functional.cross_entropy(layer(inputs), targets).backward()
    optimizer.step()
    return (layer(inputs).detach() - before).abs().mean().item()


def mean_change(width: int, lr: float) -> float:
    """``output_change`` averaged over 8 draws of inputs, targets and weights."""
    return sum(output_change(width, lr, seed) for seed in range(8)) / 8


def test_a_units_change_grows_like_the_width_not_its_square_root():
    """ch9 section 1: the unit's change grows about like w·η, not like sqrt(w)·η (moves that
    cancelled); µP's η·b/w holds it level."""
    narrow, wide = mean_change(32, 1e-3), mean_change(512, 1e-3)
    assert 10 < wide / narrow < 20  # 16x wider: 14.6x the change here (cancelling moves: 4x)
    mup_wide = mean_change(512, 1e-3 * 32 / 512)
    assert 0.75 < mup_wide / narrow < 1.33
