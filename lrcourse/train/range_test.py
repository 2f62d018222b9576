"""The learning-rate range test: raise the rate exponentially over one short run and watch the loss.

The rising rate is driven by a real ``torch.optim.lr_scheduler.ExponentialLR`` stepped once per
batch, with ``gamma = (end_lr / start_lr) ** (1 / (steps - 1))`` so that step ``i`` uses
``start_lr * gamma**i``. The loss is smoothed with a bias-corrected exponential moving average
(the curve is noisy batch to batch), and a rate is suggested from the smoothed curve.

**The suggestion is a heuristic, not a measurement of the best rate.** It is the rate where the
smoothed loss falls fastest per decade of rate (steepest descent on the log-rate axis), looked for
only before the loss starts to blow up. Its limits: it depends on the batch size, the optimizer
and its momentum, the model's initial weights, the number of steps and the smoothing; a short run
measures how the loss behaves in the first few hundred steps, not over a whole training run; on a
noisy curve the steepest point can jump by a factor of a few between seeds. Use it to pick the
order of magnitude of ``lr`` (or OneCycleLR's ``max_lr``), then check with a real run.

The test runs on ``seeds`` seeds at once (a batched model, one optimizer, one ExponentialLR: see
:mod:`lrcourse.train.seeds`); the curve read is the mean over seeds of the batch loss, so the
suggestion does not hang on one seed's noise. Each seed's own losses are kept in ``seed_losses``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from matplotlib.figure import Figure
from torch.optim import lr_scheduler

from lrcourse.display.figure import course_figure
from lrcourse.errors import TrainingConfigError
from lrcourse.train.device import pick_device
from lrcourse.train.loop import epoch_order, one_cpu_thread
from lrcourse.train.runs import make_optimizer
from lrcourse.train.seeds import SeedBatch, as_compute, seed_list
from lrcourse.train.stats import mean_sd
from lrcourse.train.tasks import Task, load_task


@dataclass(frozen=True)
class RangeTestResult:
    """The loss at each rate of a range test, smoothed, with a suggested rate (see module notes).

    ``lrs[i]`` is the rate optimizer step ``i`` used and ``losses[i]`` its batch loss, averaged
    over the seeds (``seed_losses[k][i]`` is seed ``seeds[k]``'s own).
    ``diverged_at`` is the first step whose smoothed loss exceeded ``diverge_factor`` times the
    lowest so far (or was not finite), or ``None`` if the loss never blew up.
    """

    task: str
    lrs: tuple[float, ...]
    losses: tuple[float, ...]
    smoothed: tuple[float, ...]
    suggestion: float
    lr_at_min_loss: float
    diverged_at: int | None
    seeds: tuple[int, ...] = (0,)
    seed_losses: tuple[tuple[float, ...], ...] = ()
    smoothing: float = 0.9

    @property
    def diverged_lr(self) -> float | None:
        """Return the rate at which the loss blew up, or None."""
        return None if self.diverged_at is None else self.lrs[self.diverged_at]

    def summary(self) -> str:
        """Return three lines: the suggestion, the rate of lowest loss, where the loss blew up."""
        lines = [
            f"suggested lr ≈ {self.suggestion:.3g} (steepest fall of the smoothed loss, "
            f"mean of {len(self.seeds)} seed{'s' if len(self.seeds) > 1 else ''})",
            f"smoothed loss lowest at lr ≈ {self.lr_at_min_loss:.3g}",
        ]
        if self.diverged_lr is None:
            lines.append(f"the loss did not blow up before lr = {self.lrs[-1]:.3g}")
        else:
            lines.append(f"the loss blew up from lr ≈ {self.diverged_lr:.3g}")
        return "\n".join(lines)

    def figure(self) -> Figure:
        """Return the loss (raw and smoothed) against the rate on a log axis, the suggestion marked."""
        figure = course_figure(6.4, 3.4)
        ax = figure.subplots()
        end = len(self.lrs) if self.diverged_at is None else self.diverged_at + 1
        ax.plot(self.lrs[:end], self.losses[:end], color="C0", alpha=0.3, label="batch loss")
        ax.plot(self.lrs[:end], self.smoothed[:end], color="C0", label="smoothed loss")
        if len(self.seed_losses) > 1:  # the band: each seed's smoothed curve, mean ± sd
            curves = [smooth(list(losses[:end]), self.smoothing) for losses in self.seed_losses]
            spread = [mean_sd([curve[i] for curve in curves]) for i in range(end)]
            ax.fill_between(
                self.lrs[:end],
                [m - sd for m, sd in spread],
                [m + sd for m, sd in spread],
                color="C0",
                alpha=0.2,
                linewidth=0,
                label=f"± sd over {len(self.seed_losses)} seeds",
            )
        ax.axvline(self.suggestion, color="C1", linestyle="--")
        ax.annotate(
            f"suggestion {self.suggestion:.2g}",
            (self.suggestion, 0.95),
            xycoords=("data", "axes fraction"),
            color="C1",
            ha="right",
            va="top",
            rotation=90,
        )
        ax.set_xscale("log")
        finite = [v for v in self.smoothed[:end] + self.losses[:end] if math.isfinite(v)]
        if finite:  # from just below the lowest loss to a little above the starting loss
            ax.set_ylim(min(finite) * 0.9, max(self.smoothed[0], min(finite)) * 1.6)
        ax.set(xlabel="learning rate (log scale)", ylabel="training loss")
        ax.set_title(f"learning-rate range test on {self.task}")
        ax.grid(True, alpha=0.3, which="both")
        ax.legend(fontsize="small")
        return figure


def smooth(values: list[float], beta: float) -> list[float]:
    """Return the bias-corrected exponential moving average of ``values`` (weight ``beta`` on the past)."""
    average, out = 0.0, []
    for index, value in enumerate(values, start=1):
        average = beta * average + (1 - beta) * value
        out.append(average / (1 - beta**index))
    return out


def find_divergence(smoothed: list[float], factor: float) -> int | None:
    """Return the first index where the smoothed loss is not finite or > factor x its minimum so far."""
    lowest = math.inf
    for index, value in enumerate(smoothed):
        if not math.isfinite(value) or value > factor * lowest:
            return index
        lowest = min(lowest, value)
    return None


def steepest_descent_index(
    lrs: list[float], smoothed: list[float], *, end: int, skip: int, window: int
) -> int:
    """Return the index in [skip, end) where the smoothed loss falls fastest per unit of log(lr).

    The slope at ``i`` is read across ``i - window .. i + window`` so one noisy batch can't win.
    """
    best, best_slope = skip, math.inf
    for index in range(max(skip, window), min(end, len(lrs) - window)):
        before, after = index - window, index + window
        slope = (smoothed[after] - smoothed[before]) / math.log(lrs[after] / lrs[before])
        if slope < best_slope:
            best, best_slope = index, slope
    return best


def lr_range_test(
    task: str | Task = "digits",
    *,
    start_lr: float = 1e-5,
    end_lr: float = 1.0,
    steps: int = 100,
    seed: int = 0,
    device: str | torch.device | None = None,
    optimizer: str = "SGD",
    optimizer_params: Mapping[str, Any] | None = None,
    batch_size: int | None = None,
    smoothing: float = 0.9,
    diverge_factor: float = 4.0,
    seeds: int | Sequence[int] = 8,
) -> RangeTestResult:
    """Return a :class:`RangeTestResult`: one run whose rate rises from ``start_lr`` to ``end_lr``.

    ``steps`` optimizer steps (batches, wrapping into new epochs as needed) from fresh models
    built from ``seeds`` seeds (``seed, seed + 1, ...``, or a list), trained as one batched model
    with one optimizer, in float64; the curve is their mean batch loss; the rate is raised by ``ExponentialLR`` after every step. The suggestion's
    heuristic and its limits are described in this module's docstring.
    """
    if not (isinstance(steps, int) and steps >= 3):
        raise TrainingConfigError(f"steps must be a whole number >= 3, got {steps!r}")
    if not (0 < start_lr < end_lr and math.isfinite(end_lr)):
        raise TrainingConfigError(
            f"need 0 < start_lr < end_lr, got start_lr={start_lr!r}, end_lr={end_lr!r}"
        )
    if not 0 <= smoothing < 1:
        raise TrainingConfigError(f"smoothing must be in [0, 1), got {smoothing!r}")
    seed_values = seed_list(seeds, seed)
    chosen_device = pick_device(device)
    data = load_task(task, device=chosen_device, batch_size=batch_size)
    models = SeedBatch(data, seed_values)
    opt = make_optimizer(
        models.parameters(), optimizer, lr=start_lr, optimizer_params=optimizer_params
    )
    gamma = (end_lr / start_lr) ** (1 / (steps - 1))
    scheduler = lr_scheduler.ExponentialLR(opt, gamma=gamma)

    lrs: list[float] = []
    losses: list[torch.Tensor] = []
    epoch = 0
    with one_cpu_thread(chosen_device):
        while len(losses) < steps:
            orders = torch.stack([epoch_order(data.train_size, s, epoch) for s in seed_values])
            orders = orders.to(chosen_device)
            inputs = as_compute(data.train_inputs[orders])
            targets = as_compute(data.train_targets[orders])
            for start in range(0, data.train_size, data.batch_size):
                if len(losses) == steps:
                    break
                lrs.append(opt.param_groups[0]["lr"])
                opt.zero_grad()
                step_losses = models.losses(
                    models.forward(inputs[:, start : start + data.batch_size]),
                    targets[:, start : start + data.batch_size],
                )
                step_losses.sum().backward()  # each seed's gradient is its own loss's
                opt.step()
                scheduler.step()
                losses.append(step_losses.detach())
            epoch += 1
        table = torch.stack(losses).T.tolist()  # (seeds, steps): the run's one device -> host copy
    loss_values = [sum(column) / len(column) for column in zip(*table, strict=True)]

    smoothed = smooth(loss_values, smoothing)
    diverged_at = find_divergence(smoothed, diverge_factor)
    end = len(smoothed) if diverged_at is None else diverged_at
    if end < 3:
        raise TrainingConfigError(
            f"the loss blew up within {end} steps of start_lr={start_lr:g}: lower start_lr"
        )
    lowest = min(range(end), key=lambda i: smoothed[i])
    # The average needs a few steps to settle; don't read a slope from its first 10%.
    best = steepest_descent_index(
        lrs, smoothed, end=lowest + 1, skip=max(1, steps // 10), window=max(1, steps // 20)
    )
    return RangeTestResult(
        task=data.name,
        lrs=tuple(lrs),
        losses=tuple(loss_values),
        smoothed=tuple(smoothed),
        suggestion=lrs[best],
        lr_at_min_loss=lrs[lowest],
        diverged_at=diverged_at,
        seeds=seed_values,
        seed_losses=tuple(tuple(row) for row in table),
        smoothing=smoothing,
    )
