"""SGD with gradient noise on chapter 1's quadratic bowl, over many seeds at once: why schedules work.

A mini-batch gradient is the true gradient plus noise. Here the noise is explicit: each step's loss
is ``0.5 * sum(curvature * w**2) + sum(noise * w)`` with fresh Gaussian ``noise``, so autograd
gives ``curvature * w + noise``. All seeds live in one ``(seeds, dims)`` parameter tensor driven by
one ``torch.optim.SGD`` and (optionally) one real ``torch.optim.lr_scheduler`` scheduler: the seeds
share every rate and differ only in their noise. Seed ``i`` draws the same noise whatever the
schedule, so two schedules are compared on the same gradients (a paired comparison).

What the loss does is measured, never assumed: a constant rate settles at a noise floor that grows
with the rate, and lowering the rate lowers the floor. Everything runs in float64 on the CPU and
is elementwise, so the printed aggregates do not depend on the CPU's vector kernels.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from lrcourse.errors import SchedulerConfigError
from lrcourse.explorers.quadratic import bowl_loss
from lrcourse.trace import METRIC_SCHEDULERS, SchedulerSpec, as_spec, build_scheduler


@dataclass(frozen=True, eq=False)
class NoisyDescent:
    """Many seeds of noisy SGD under one rate schedule: the rate per step and each seed's loss."""

    label: str
    #: The rate ``optimizer.step()`` used at each step, read from the optimizer's param group.
    lrs: tuple[float, ...]
    #: Shape ``(steps + 1, seeds)``: each seed's noise-free loss before the first step and after each.
    losses: torch.Tensor

    @property
    def steps(self) -> int:
        """Return the number of optimizer steps run."""
        return len(self.lrs)

    @property
    def seeds(self) -> int:
        """Return the number of seeds (independent noise streams) run together."""
        return self.losses.shape[1]

    def loss_at(self, step: int) -> torch.Tensor:
        """Return each seed's loss after ``step`` optimizer steps (``-1``: after the last)."""
        return self.losses[step]

    def mean(self) -> torch.Tensor:
        """Return the loss per step, averaged over seeds."""
        return self.losses.mean(dim=1)

    def quantile(self, q: float) -> torch.Tensor:
        """Return the ``q`` quantile of the loss over seeds, per step (0.25 and 0.75 draw the band)."""
        return self.losses.quantile(q, dim=1)

    def summary(self, step: int = -1) -> str:
        """Return ``"mean ± sd"`` of the loss at ``step`` over seeds, to two significant digits.

        Two digits is what the spread justifies: with tens of seeds the standard error of the mean
        is a few percent of it, so a third digit would be noise (and would differ between CPUs).
        """
        values = self.loss_at(step)
        return f"{_two_digits(values.mean().item())} ± {_two_digits(values.std().item())}"


def _two_digits(value: float) -> str:
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    if not 1e-4 <= abs(value) < 100:
        return f"{value:.1e}"
    return f"{value:#.2g}".rstrip(".")  # '#' keeps the 0 of 0.90, the strip drops the '.' of 10.


def noise_tensor(steps: int, seeds: int, dims: int, *, seed: int) -> torch.Tensor:
    """Return the standard Gaussian gradient noise of every step and seed, shape ``(steps, seeds, dims)``.

    One ``torch.Generator`` draws it up front, so a seed's noise is the same for every schedule.
    """
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(steps, seeds, dims, generator=generator, dtype=torch.float64)


def run_noisy_descent(
    lr: float,
    scheduler: SchedulerSpec | tuple[str, Mapping[str, Any]] | str | None = None,
    *,
    steps: int = 300,
    seeds: int = 64,
    gradient_noise: float = 1.0,
    curvatures: Sequence[float] = (1.0, 10.0),
    start: Sequence[float] = (2.0, 1.0),
    seed: int = 0,
    label: str | None = None,
) -> NoisyDescent:
    """Return ``seeds`` runs of ``torch.optim.SGD(lr=lr)`` down the bowl with noisy gradients.

    ``scheduler`` (a :class:`SchedulerSpec`, a ``(name, params)`` pair or a name) builds a real
    ``torch.optim.lr_scheduler`` class on the one optimizer; it is stepped once per optimizer step.
    ``gradient_noise`` is the standard deviation of the noise added to each gradient coordinate.
    """
    _check_settings(lr, steps, seeds, gradient_noise, curvatures, start)
    spec = None if scheduler is None else as_spec(scheduler)
    if spec is not None and spec.name in METRIC_SCHEDULERS:
        raise SchedulerConfigError(
            f"run_noisy_descent steps the scheduler without a metric; {spec.name} needs one: "
            "use a scheduler that decays on its own (StepLR, ExponentialLR, CosineAnnealingLR, ...)"
        )
    curvature = torch.tensor(curvatures, dtype=torch.float64)
    weights = torch.nn.Parameter(torch.tensor(start, dtype=torch.float64).repeat(seeds, 1))
    noise = gradient_noise * noise_tensor(steps, seeds, len(curvatures), seed=seed)
    optimizer = torch.optim.SGD([weights], lr=lr)
    schedule = None if spec is None else build_scheduler(optimizer, spec)
    rates = []
    losses = [_per_seed_loss(weights, curvature)]
    for step in range(steps):
        optimizer.zero_grad()
        # Summing over seeds keeps them independent: each seed's gradient is its own term's.
        loss = bowl_loss(weights, curvature) + (noise[step] * weights).sum()
        loss.backward()
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        if schedule is not None:
            schedule.step()
        losses.append(_per_seed_loss(weights, curvature))
    if label is None:
        label = f"constant lr={lr:g}" if spec is None else f"{spec.label()} from lr={lr:g}"
    return NoisyDescent(label=label, lrs=tuple(rates), losses=torch.stack(losses))


def _per_seed_loss(weights: torch.Tensor, curvature: torch.Tensor) -> torch.Tensor:
    return 0.5 * (curvature * weights.detach() ** 2).sum(dim=1)


def _check_settings(
    lr: float,
    steps: int,
    seeds: int,
    gradient_noise: float,
    curvatures: Sequence[float],
    start: Sequence[float],
) -> None:
    if lr <= 0:
        raise SchedulerConfigError(f"lr must be > 0, got lr={lr}")
    if steps < 1 or seeds < 2:
        raise SchedulerConfigError(
            f"run_noisy_descent needs steps >= 1 and seeds >= 2 (a spread needs two seeds), "
            f"got steps={steps}, seeds={seeds}"
        )
    if gradient_noise < 0:
        raise SchedulerConfigError(f"gradient_noise must be >= 0, got {gradient_noise}")
    if len(curvatures) != len(start):
        raise SchedulerConfigError(
            f"curvatures and start need the same length, got {len(curvatures)} and {len(start)}"
        )
