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
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import torch
from torch import nn
from torch.optim import lr_scheduler

from lrcourse.device import pick_device
from lrcourse.errors import LRCourseError, ScheduleRunError, TrainingConfigError
from lrcourse.tasks import Task, load_task
from lrcourse.trace import SchedulerSpec, as_spec, build_scheduler

StepPer = Literal["epoch", "batch"]
Monitor = Literal["val_loss", "train_loss", "val_accuracy"]
#: A schedule: a spec torch's class is built from, or a function ``optimizer -> scheduler``.
Schedule = SchedulerSpec | Callable[[torch.optim.Optimizer], Any]

#: Schedulers designed to move the rate every batch; they are stepped per batch by default.
PER_BATCH_SCHEDULERS = (lr_scheduler.OneCycleLR, lr_scheduler.CyclicLR)
MONITORS: tuple[str, ...] = ("val_loss", "train_loss", "val_accuracy")


@dataclass(frozen=True)
class RunHistory:
    """What one training run recorded: metrics once per epoch, the rate once per optimizer step.

    ``lrs[i]`` is the rate of param group 0 when optimizer step ``i`` ran; ``val_accuracy`` is
    ``None`` for a regression task.
    """

    label: str
    step_per: StepPer
    steps_per_epoch: int
    train_loss: tuple[float, ...]
    val_loss: tuple[float, ...]
    val_accuracy: tuple[float, ...] | None
    lrs: tuple[float, ...]
    final_lr: float

    @property
    def epochs(self) -> int:
        """Return the number of epochs trained."""
        return len(self.train_loss)


def make_optimizer(
    model: nn.Module,
    optimizer: str = "SGD",
    *,
    lr: float = 0.1,
    optimizer_params: Mapping[str, Any] | None = None,
) -> torch.optim.Optimizer:
    """Return ``torch.optim.<optimizer>`` over the model's parameters (SGD gets momentum=0.9)."""
    options = dict(optimizer_params or {})
    if optimizer == "SGD":
        options.setdefault("momentum", 0.9)
    optimizer_class = getattr(torch.optim, optimizer, None)
    if not (
        isinstance(optimizer_class, type) and issubclass(optimizer_class, torch.optim.Optimizer)
    ):
        raise TrainingConfigError(
            f"unknown optimizer {optimizer!r}: use a class of torch.optim such as 'SGD' or 'AdamW'"
        )
    try:
        return optimizer_class(model.parameters(), lr=lr, **options)
    except (TypeError, ValueError) as error:
        raise TrainingConfigError(f"optimizer {optimizer}(lr={lr}, ...): {error}") from None


def _fill_one_cycle(spec: SchedulerSpec, planned_steps: int | None) -> SchedulerSpec:
    """Return ``spec`` with ``total_steps`` filled in for a OneCycleLR that names no length."""
    if spec.name != "OneCycleLR" or planned_steps is None:
        return spec
    if any(key in spec.params for key in ("total_steps", "epochs", "steps_per_epoch")):
        return spec
    return SchedulerSpec(spec.name, {**spec.params, "total_steps": planned_steps})


def build_schedule(
    optimizer: torch.optim.Optimizer,
    schedule: Schedule | tuple[str, Mapping[str, Any]],
    *,
    label: str,
    planned_steps: int | None = None,
) -> Any:
    """Return the scheduler ``schedule`` builds on ``optimizer``, or raise an error naming ``label``.

    A ``OneCycleLR`` spec without ``total_steps``/``epochs`` gets ``total_steps=planned_steps``
    (the whole run, stepped per batch), the length the demo will train for.
    """
    if isinstance(schedule, SchedulerSpec | tuple | str):
        spec = _fill_one_cycle(as_spec(schedule), planned_steps)
        try:
            return build_scheduler(optimizer, spec)
        except LRCourseError as error:
            raise TrainingConfigError(f"schedule {label!r}: {error}") from None
    if not callable(schedule):
        raise TrainingConfigError(
            f"schedule {label!r} is {schedule!r}: give a SchedulerSpec or a function "
            "optimizer -> scheduler, e.g. lambda opt: StepLR(opt, step_size=5)"
        )
    try:
        scheduler = schedule(optimizer)
    except (TypeError, ValueError, ZeroDivisionError) as error:
        raise TrainingConfigError(
            f"schedule {label!r}: building the scheduler failed: {error}"
        ) from None
    if not isinstance(scheduler, lr_scheduler.LRScheduler | lr_scheduler.ReduceLROnPlateau):
        raise TrainingConfigError(
            f"schedule {label!r} returned {type(scheduler).__name__}, not a scheduler of "
            "torch.optim.lr_scheduler"
        )
    if scheduler.optimizer is not optimizer:
        raise TrainingConfigError(
            f"schedule {label!r} built its scheduler on another optimizer: use the optimizer "
            "it is given (lambda opt: StepLR(opt, ...))"
        )
    return scheduler


def child_schedulers(scheduler: Any) -> list[Any]:
    """Return the schedulers a SequentialLR/ChainedScheduler wraps (empty for a plain one)."""
    return list(getattr(scheduler, "_schedulers", []))


def default_step_per(scheduler: Any) -> StepPer:
    """Return ``"batch"`` for OneCycleLR/CyclicLR (or a composition holding one), else ``"epoch"``."""
    schedulers = [scheduler, *child_schedulers(scheduler)]
    return "batch" if any(isinstance(s, PER_BATCH_SCHEDULERS) for s in schedulers) else "epoch"


def check_metric_use(scheduler: Any, *, label: str, step_per: StepPer, monitor: str | None) -> bool:
    """Return whether ``scheduler.step`` takes a metric; raise if it would be fed none."""
    # ReduceLROnPlateau inside SequentialLR/ChainedScheduler is refused by torch itself.
    if not isinstance(scheduler, lr_scheduler.ReduceLROnPlateau):
        return False
    if monitor is None:
        raise TrainingConfigError(
            f"schedule {label!r}: ReduceLROnPlateau needs a metric but monitor=None feeds it "
            f"nothing; use monitor= one of {', '.join(MONITORS)}."
        )
    if monitor not in MONITORS:
        raise TrainingConfigError(
            f"monitor={monitor!r} is not a metric the demo records; use one of {', '.join(MONITORS)}."
        )
    if step_per == "batch":
        raise TrainingConfigError(
            f"schedule {label!r}: ReduceLROnPlateau is stepped with the validation metric, once "
            "per epoch; step_per='batch' would feed it no metric. Use step_per='epoch'."
        )
    return True


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

    Build one with :func:`start_run`; call :meth:`train`; read :meth:`history`. Its state (model,
    optimizer, scheduler, epoch, history) is what :mod:`lrcourse.checkpoint` saves and restores.
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
        self.needs_metric = check_metric_use(
            scheduler, label=label, step_per=step_per, monitor=monitor
        )
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
        batch_losses = []  # stay on the device: no sync inside the loop
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
            batch_losses.append(loss.detach())

        metrics = self.evaluate(self._mean_loss(batch_losses))
        if self.needs_metric:
            self._step_scheduler(metrics[self.monitor])
        elif self.step_per == "epoch":
            self._step_scheduler()
        self.epoch += 1
        self.train_loss.append(metrics["train_loss"])
        self.val_loss.append(metrics["val_loss"])
        self.val_accuracy.append(metrics["val_accuracy"])
        return metrics

    def _mean_loss(self, batch_losses: list[torch.Tensor]) -> torch.Tensor:
        """Return the epoch's training loss, each batch weighted by its size (the last is smaller)."""
        task = self.task
        sizes = torch.full((len(batch_losses),), float(task.batch_size), device=task.device)
        sizes[-1] = task.train_size - task.batch_size * (len(batch_losses) - 1)
        return (torch.stack(batch_losses) * sizes).sum() / task.train_size

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
        try:
            if metric is None:
                self.scheduler.step()
            else:
                self.scheduler.step(metric)
        except (ValueError, ZeroDivisionError, IndexError, OverflowError) as error:
            raise ScheduleRunError(
                f"schedule {self.label!r}: scheduler.step() failed in epoch {self.epoch + 1}: "
                f"{error}"
            ) from None

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
        return RunHistory(
            label=self.label,
            step_per=self.step_per,
            steps_per_epoch=self.task.steps_per_epoch,
            train_loss=tuple(self.train_loss),
            val_loss=tuple(self.val_loss),
            val_accuracy=tuple(self.val_accuracy) if self.task.classification else None,
            lrs=tuple(self.lrs),
            final_lr=float(self.optimizer.param_groups[0]["lr"]),
        )


def check_epochs(epochs: Any) -> None:
    """Raise unless ``epochs`` is a whole number >= 1."""
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise TrainingConfigError(f"epochs must be a whole number >= 1, got {epochs!r}")


def resolve_step_per(step_per: Any, label: str, scheduler: Any) -> StepPer:
    """Return the stepping frequency for one schedule: given (str or per-label mapping) or default."""
    if isinstance(step_per, Mapping):
        step_per = step_per.get(label)
    if step_per is None:
        return default_step_per(scheduler)
    if step_per not in ("epoch", "batch"):
        raise TrainingConfigError(
            f"step_per for {label!r} must be 'epoch', 'batch' or None (automatic), not {step_per!r}"
        )
    return step_per


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


def start_run(
    schedule: Schedule,
    *,
    task: str | Task = "digits",
    seed: int = 0,
    device: str | torch.device | None = None,
    lr: float = 0.1,
    optimizer: str = "SGD",
    optimizer_params: Mapping[str, Any] | None = None,
    step_per: StepPer | None = None,
    monitor: str | None = "val_loss",
    epochs: int | None = None,
    label: str | None = None,
    batch_size: int | None = None,
) -> TrainingRun:
    """Return a ready-to-train :class:`TrainingRun`: model from ``seed``, optimizer, scheduler.

    ``epochs`` is the planned length, used only to size a OneCycleLR spec that names none.
    Every check (device, task, scheduler, metric) happens here, before any training.
    """
    setup = RunSetup(
        task=load_task(task, device=pick_device(device), batch_size=batch_size),
        seed=seed,
        lr=lr,
        optimizer=optimizer,
        optimizer_params=optimizer_params,
        monitor=monitor,
    )
    return setup_run(
        setup, schedule, label=label or schedule_label(schedule), step_per=step_per, epochs=epochs
    )


def schedule_label(schedule: Any) -> str:
    """Return a readable label for a schedule: the spec's label or the function's name."""
    if isinstance(schedule, SchedulerSpec | tuple):
        return as_spec(schedule).label()
    return getattr(schedule, "__name__", type(schedule).__name__)


def setup_run(
    setup: RunSetup,
    schedule: Schedule,
    *,
    label: str,
    step_per: Any = None,
    epochs: int | None = None,
) -> TrainingRun:
    """Return a :class:`TrainingRun` for ``schedule`` on a fresh copy of the setup's initial model."""
    if epochs is not None:
        check_epochs(epochs)
    model = setup.model()
    optimizer = make_optimizer(
        model, setup.optimizer, lr=setup.lr, optimizer_params=setup.optimizer_params
    )
    planned = epochs * setup.task.steps_per_epoch if epochs is not None else None
    scheduler = build_schedule(optimizer, schedule, label=label, planned_steps=planned)
    chosen = resolve_step_per(step_per, label, scheduler)
    if epochs is not None and isinstance(scheduler, lr_scheduler.OneCycleLR):
        needed = epochs * (setup.task.steps_per_epoch if chosen == "batch" else 1)
        if scheduler.total_steps < needed:
            raise TrainingConfigError(
                f"schedule {label!r}: OneCycleLR has total_steps={scheduler.total_steps} but "
                f"{epochs} epochs stepped per {chosen} need {needed}; torch would stop with an "
                "error part-way. Give total_steps >= that, or leave it out to have it filled in."
            )
    return TrainingRun(
        label=label,
        task=setup.task,
        model=model,
        optimizer=optimizer,
        scheduler=scheduler,
        step_per=chosen,
        monitor=setup.monitor,
        seed=setup.seed,
        planned_epochs=epochs,
        setup=setup,
    )
