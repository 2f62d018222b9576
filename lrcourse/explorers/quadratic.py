"""Gradient descent on a small quadratic bowl, run by torch's own SGD, to show what the rate does.

The bowl is ``loss(w) = 0.5 * sum(curvature_i * w_i**2)``: its gradient is ``curvature_i * w_i``,
so plain SGD multiplies each coordinate by ``(1 - lr * curvature_i)`` per step. Rates above
``1 / max(curvature)`` make that factor negative for the steepest coordinate (it flips sign every
step: the run zig-zags); rates above ``2 / max(curvature)`` make its size exceed 1 and the run
diverges. The code below does not use those formulas: it runs ``torch.optim.SGD``, records what
happens, and :meth:`DescentRun.verdict` reads the verdict off the recorded path.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from lrcourse.errors import SchedulerConfigError

#: Every verdict :meth:`DescentRun.verdict` can return, from the smallest rates to the largest.
VERDICTS = ("crawls", "converges", "zig-zags but converges", "stalls at the edge", "diverges")

#: A zig-zagging coordinate that keeps more than this share of its size per step has stalled.
STALL_FACTOR = 0.99

#: Growth per step smaller than this is float rounding, not divergence (lr = 2 / curvature exactly).
ROUNDING = 1e-12


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

    def zigzagging_coordinates(self) -> tuple[int, ...]:
        """Return the coordinates whose sign flipped at every step (ignoring steps at exactly 0)."""
        zigzagging = []
        for index in range(len(self.weights[0])):
            path = [weights[index] for weights in self.weights]
            pairs = [(a, b) for a, b in itertools.pairwise(path) if a != 0 and b != 0]
            if pairs and all(a * b < 0 for a, b in pairs):
                zigzagging.append(index)
        return tuple(zigzagging)

    def shrink_per_step(self, index: int) -> float:
        """Return the average factor by which coordinate ``index``'s size changed per step.

        Below 1 it shrank, 1 means it kept its size, above 1 it grew. A coordinate that started at
        0 or reached exactly 0 counts as shrunk (factor 0).
        """
        first, last = abs(self.weights[0][index]), abs(self.weights[-1][index])
        if first == 0 or last == 0:
            return 0.0
        return (last / first) ** (1 / (len(self.weights) - 1))

    def verdict(self) -> str:
        """Return what the recorded run did, one of :data:`VERDICTS`.

        - ``"diverges"``: the loss ended non-finite or above where it began, or a coordinate grew.
        - ``"stalls at the edge"``: a coordinate zig-zags and its size shrinks by less than 1 % per
          step: the run sits at the edge of stability and makes no real progress.
        - ``"zig-zags but converges"``: a coordinate flips sign every step, yet shrinks.
        - ``"crawls"``: no zig-zag, but the loss fell by less than 10x over the run.
        - ``"converges"``: no zig-zag, and the loss fell by 10x or more.
        """
        start, end = self.losses[0], self.losses[-1]
        sizes = [self.shrink_per_step(index) for index in range(len(self.weights[0]))]
        if not math.isfinite(end) or end > start or max(sizes) > 1 + ROUNDING:
            return "diverges"
        zigzagging = self.zigzagging_coordinates()
        if zigzagging:
            if max(sizes[index] for index in zigzagging) > STALL_FACTOR:
                return "stalls at the edge"
            return "zig-zags but converges"
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
