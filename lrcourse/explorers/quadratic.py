"""Gradient descent on a small quadratic bowl, run by torch's own SGD, to show what the rate does.

The bowl is ``loss(w) = 0.5 * sum(curvature_i * w_i**2)``: its gradient is ``curvature_i * w_i``,
so plain SGD multiplies each coordinate by ``(1 - lr * curvature_i)`` per step. Rates above
``2 / max(curvature)`` make that factor's size exceed 1 and the run diverges. The code below does
not use that formula: it runs ``torch.optim.SGD`` and records what happens.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from lrcourse.errors import SchedulerConfigError


@dataclass(frozen=True)
class DescentRun:
    """Where SGD went: the weights before each step (and after the last) and the loss at each."""

    lr: float
    weights: tuple[tuple[float, ...], ...]
    losses: tuple[float, ...]

    @property
    def final_loss(self) -> float:
        """Return the loss after the last step."""
        return self.losses[-1]

    def verdict(self) -> str:
        """Return 'diverges', 'crawls' or 'converges': how the loss ended compared with how it began."""
        start, end = self.losses[0], self.losses[-1]
        if not torch.isfinite(torch.tensor(end)) or end > start:
            return "diverges"
        if end > 0.1 * start:
            return "crawls"
        return "converges"


def bowl_loss(weights: torch.Tensor, curvatures: torch.Tensor) -> torch.Tensor:
    """Return ``0.5 * sum(curvatures * weights**2)``, the loss of the quadratic bowl."""
    return 0.5 * (curvatures * weights**2).sum()


def run_gradient_descent(
    lr: float,
    *,
    steps: int = 30,
    curvatures: Sequence[float] = (1.0, 10.0),
    start: Sequence[float] = (2.0, 1.0),
) -> DescentRun:
    """Return the path of ``steps`` steps of ``torch.optim.SGD(lr=lr)`` down the quadratic bowl."""
    if lr <= 0:
        raise SchedulerConfigError(f"lr must be > 0, got lr={lr}")
    if len(curvatures) != len(start):
        raise SchedulerConfigError(
            f"curvatures and start need the same length, got {len(curvatures)} and {len(start)}"
        )
    weights = torch.nn.Parameter(torch.tensor(start, dtype=torch.float64))
    curvature = torch.tensor(curvatures, dtype=torch.float64)
    optimizer = torch.optim.SGD([weights], lr=lr)
    path = [tuple(weights.detach().tolist())]
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = bowl_loss(weights, curvature)
        losses.append(float(loss.detach()))
        loss.backward()
        optimizer.step()
        path.append(tuple(weights.detach().tolist()))
    losses.append(float(bowl_loss(weights.detach(), curvature)))
    return DescentRun(lr=lr, weights=tuple(path), losses=tuple(losses))
