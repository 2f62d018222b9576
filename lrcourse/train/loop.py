"""Train a model under one learning-rate scheduler, with the loop the course teaches.

The loop is deliberately plain::

    optimizer.zero_grad()
    loss = loss_function(model(inputs), targets)
    loss.backward()
    optimizer.step()
    scheduler.step()          # here for per-batch schedulers (OneCycleLR, CyclicLR) ...
    ...
    scheduler.step()          # ... or once per epoch, after validation (ReduceLROnPlateau gets the metric)

It is fast because of where the data lives, not because of tricks: the task's tensors sit on the
device, each epoch's batches are slices of one shuffled copy (a seeded permutation, no
DataLoader), and losses stay on the device until one ``.tolist()`` per epoch.
"""

from __future__ import annotations

import contextlib
import copy
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import torch
from torch import nn

from lrcourse.errors import ScheduleRunError, TrainingConfigError
from lrcourse.train.stats import visible_shift
from lrcourse.train.tasks import Task

StepPer = Literal["epoch", "batch"]


@dataclass
class RunSetup:
    """Everything :func:`start_run` needs besides the schedule; shared by all runs of a comparison."""

    task: Task
    seed: int = 0
    lr: float = 0.1
    optimizer: str = "SGD"
    optimizer_params: Mapping[str, Any] | None = None
    monitor: str | None = "val_loss"
    initial_model: nn.Module | None = field(default=None, repr=False)

    def model(self) -> nn.Module:
        """Return a copy of the shared initial model (built once from the seed)."""
        if self.initial_model is None:
            self.initial_model = self.task.make_model(self.seed)
        return copy.deepcopy(self.initial_model)


@dataclass(frozen=True)
class RunHistory:
    """What a training run recorded on one or more seeds: metrics once per epoch, the rate once
    per optimizer step.

    ``train_loss``, ``val_loss`` and ``val_accuracy`` are per-epoch means over the seeds that did
    not diverge (NaN when all did); ``seed_train_loss[k]`` etc. are seed ``seeds[k]``'s own curves.
    ``lrs[i]`` is the rate of the first seed when optimizer step ``i`` ran (every seed's, unless
    the scheduler is ReduceLROnPlateau: ``seed_lrs`` holds each seed's). ``diverged_at[k]`` is the
    optimizer step at which seed ``k``'s batch loss first was not finite or exceeded 3x its first
    batch loss, or None (empty for a single :class:`TrainingRun`, which does not track it).
    ``failed[k]``: seed ``k`` blew up or learned nothing (the means leave it out); ``twin_final[k]``:
    the final (train loss, val loss, val accuracy) of a twin of seed ``k`` whose initial weights
    were nudged by a few rounding steps, and ``twin_failed[k]`` whether it failed (both empty
    unless ``check_erratic``; see :meth:`erratic`). ``val_accuracy`` is ``None`` for a regression task. ``lr`` is the rate the optimizer was
    built with (the peak); ``schedule`` the schedule's label without the peak a sweep adds.
    """

    label: str
    step_per: StepPer
    steps_per_epoch: int
    train_loss: tuple[float, ...]
    val_loss: tuple[float, ...]
    val_accuracy: tuple[float, ...] | None
    lrs: tuple[float, ...]
    final_lr: float
    seeds: tuple[int, ...] = (0,)
    seed_train_loss: tuple[tuple[float, ...], ...] = ()
    seed_val_loss: tuple[tuple[float, ...], ...] = ()
    seed_val_accuracy: tuple[tuple[float, ...], ...] | None = None
    seed_lrs: tuple[tuple[float, ...], ...] = ()
    seed_final_lr: tuple[float, ...] = ()
    diverged_at: tuple[int | None, ...] = ()
    failed: tuple[bool, ...] = ()
    twin_final: tuple[tuple[float, float, float], ...] = ()
    twin_failed: tuple[bool, ...] = ()
    lr: float = math.nan
    schedule: str = ""

    def kept(self) -> list[int]:
        """Return the indices of the seeds that did not fail (those the means are taken over);
        none when half the seeds or more failed (the few survivors of a rate that kills most
        runs are luck, not a result)."""
        failed = self.failed or tuple(step is not None for step in self.diverged_at)
        kept = [k for k in range(len(self.seeds)) if not (failed and failed[k])]
        return kept if 2 * len(kept) > len(self.seeds) else []

    def erratic(self) -> bool:
        """Return whether the twins say the final validation loss would not reproduce elsewhere.

        The check is on the seeds that neither failed nor have a failed twin: the twins'
        disagreement shifts their mean by about sqrt(sum of squared seed-twin gaps) / seeds;
        it is erratic when that exceeds half the last digit that
        :func:`~lrcourse.train.stats.format_mean_sd` prints for the seeds' spread.
        """
        if not self.twin_final:
            return False
        both = [k for k in self.kept() if not self.twin_failed[k]]
        if len(both) < 2:
            return False
        values = [self.seed_val_loss[k][-1] for k in both]
        return visible_shift(values, [self.twin_final[k][1] for k in both])

    @property
    def epochs(self) -> int:
        """Return the number of epochs trained."""
        return len(self.train_loss)


@contextlib.contextmanager
def one_cpu_thread(device: torch.device) -> Iterator[None]:
    """Run the block with torch on one CPU thread (on a CPU device), then restore the count.

    The demo models are tiny: splitting a 64x64 matmul across threads costs more than it saves,
    and on a busy machine waiting threads make it 10x slower or worse. One thread also gives the
    same numbers on any machine, whatever its core count.
    """
    if device.type != "cpu":
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def epoch_order(size: int, seed: int, epoch: int) -> torch.Tensor:
    """Return the batch order of ``epoch``: a permutation that depends only on ``seed`` and ``epoch``.

    Deriving it from (seed, epoch) instead of a running generator is what lets a resumed run see
    the very batches the uninterrupted run saw.
    """
    generator = torch.Generator().manual_seed(seed * 1_000_003 + epoch)
    return torch.randperm(size, generator=generator)


class TrainingRun:
    """One model, its optimizer and its scheduler, trained epoch by epoch on a task.

    Build one with :func:`lrcourse.train.runs.start_run`; call :meth:`train`; read :meth:`history`.
    Its state (model, optimizer, scheduler, epoch, history) is what :mod:`lrcourse.train.checkpoint`
    saves and restores.
    """

    def __init__(
        self,
        *,
        label: str,
        task: Task,
        model: nn.Module,
        optimizer: torch.optim.Optimizer,
        scheduler: Any,
        step_per: StepPer,
        monitor: str | None,
        seed: int,
        needs_metric: bool = False,
        planned_epochs: int | None = None,
        setup: RunSetup | None = None,
    ) -> None:
        self.label = label
        self.planned_epochs = planned_epochs
        self.setup = setup
        self.task = task
        self.model = model
        self.optimizer = optimizer
        self.scheduler = scheduler
        self.step_per = step_per
        self.seed = seed
        self.needs_metric = needs_metric
        self.monitor = monitor
        self.epoch = 0
        self.train_loss: list[float] = []
        self.val_loss: list[float] = []
        self.val_accuracy: list[float] = []
        self.lrs: list[float] = []

    def train_epoch(self) -> dict[str, float]:
        """Train one epoch, step the scheduler, and return this epoch's metrics."""
        with one_cpu_thread(self.task.device):
            return self._train_epoch()

    def _train_epoch(self) -> dict[str, float]:
        task, model, optimizer = self.task, self.model, self.optimizer
        order = epoch_order(task.train_size, self.seed, self.epoch).to(task.device)
        inputs, targets = task.train_inputs[order], task.train_targets[order]
        loss_sums = []  # each batch's mean loss times its size; on the device: no sync in the loop
        model.train()
        for start in range(0, task.train_size, task.batch_size):
            batch_inputs = inputs[start : start + task.batch_size]
            batch_targets = targets[start : start + task.batch_size]
            self.lrs.append(optimizer.param_groups[0]["lr"])  # the rate this step uses
            optimizer.zero_grad()
            loss = task.loss_function(model(batch_inputs), batch_targets)
            loss.backward()
            optimizer.step()
            if self.step_per == "batch":
                self._step_scheduler()
            loss_sums.append(loss.detach() * len(batch_targets))

        metrics = self.evaluate(torch.stack(loss_sums).sum() / task.train_size)
        if self.needs_metric:
            assert self.monitor is not None  # runs.check_metric_use refuses monitor=None
            self._step_scheduler(metrics[self.monitor])
        elif self.step_per == "epoch":
            self._step_scheduler()
        self.epoch += 1
        self.train_loss.append(metrics["train_loss"])
        self.val_loss.append(metrics["val_loss"])
        self.val_accuracy.append(metrics["val_accuracy"])
        return metrics

    def evaluate(self, train_loss: torch.Tensor) -> dict[str, float]:
        """Return train loss, validation loss and accuracy as floats (the epoch's one sync)."""
        task = self.task
        self.model.eval()
        with torch.no_grad():
            outputs = self.model(task.val_inputs)
            val_loss = task.loss_function(outputs, task.val_targets)
            if task.classification:
                correct = (outputs.argmax(dim=1) == task.val_targets).float().mean()
            else:
                correct = torch.full((), float("nan"), device=task.device)
            train, val, accuracy = torch.stack([train_loss, val_loss, correct]).tolist()
        return {"train_loss": train, "val_loss": val, "val_accuracy": accuracy}

    def _step_scheduler(self, metric: float | None = None) -> None:
        step_scheduler(self.scheduler, metric, label=self.label, epoch=self.epoch)

    def train(
        self, epochs: int, on_epoch: Callable[[TrainingRun], None] | None = None
    ) -> TrainingRun:
        """Train ``epochs`` more epochs (calling ``on_epoch(self)`` after each) and return self."""
        check_epochs(epochs)
        for _ in range(epochs):
            self.train_epoch()
            if on_epoch is not None:
                on_epoch(self)
        return self

    def history(self) -> RunHistory:
        """Return what the run has recorded so far, as an immutable :class:`RunHistory`."""
        accuracy = tuple(self.val_accuracy) if self.task.classification else None
        final_lr = float(self.optimizer.param_groups[0]["lr"])
        return RunHistory(
            label=self.label,
            step_per=self.step_per,
            steps_per_epoch=self.task.steps_per_epoch,
            train_loss=tuple(self.train_loss),
            val_loss=tuple(self.val_loss),
            val_accuracy=accuracy,
            lrs=tuple(self.lrs),
            final_lr=final_lr,
            seeds=(self.seed,),
            seed_train_loss=(tuple(self.train_loss),),
            seed_val_loss=(tuple(self.val_loss),),
            seed_val_accuracy=None if accuracy is None else (accuracy,),
            seed_lrs=(tuple(self.lrs),),
            seed_final_lr=(final_lr,),
            lr=self.setup.lr if self.setup else math.nan,
            schedule=self.label,
        )


def step_scheduler(scheduler: Any, metric: float | None, *, label: str, epoch: int) -> None:
    """Call ``scheduler.step()`` (with ``metric`` for ReduceLROnPlateau); torch's errors become
    a :class:`ScheduleRunError` naming the schedule and the (0-based) ``epoch`` it failed in."""
    try:
        if metric is None:
            scheduler.step()
        else:
            scheduler.step(metric)
    except (ValueError, ZeroDivisionError, IndexError, OverflowError) as error:
        raise ScheduleRunError(
            f"schedule {label!r}: scheduler.step() failed in epoch {epoch + 1}: {error}"
        ) from None


def check_epochs(epochs: Any) -> None:
    """Raise unless ``epochs`` is a whole number >= 1."""
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise TrainingConfigError(f"epochs must be a whole number >= 1, got {epochs!r}")
