"""Build a training run before any training: model, optimizer, scheduler, stepping frequency.

Every check happens here, so a mistake (an unknown scheduler parameter, a ReduceLROnPlateau that
would get no metric, a OneCycleLR too short for the run) is reported before the first batch.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch
from torch import nn
from torch.optim import lr_scheduler

from lrcourse.errors import LRCourseError, TrainingConfigError
from lrcourse.trace import SchedulerSpec, as_spec, build_scheduler
from lrcourse.train.device import pick_device
from lrcourse.train.loop import RunSetup, StepPer, TrainingRun, check_epochs
from lrcourse.train.tasks import Task, load_task

#: A schedule: a spec torch's class is built from, or a function ``optimizer -> scheduler``.
Schedule = SchedulerSpec | Callable[[torch.optim.Optimizer], Any]

#: Schedulers designed to move the rate every batch; they are stepped per batch by default.
PER_BATCH_SCHEDULERS = (lr_scheduler.OneCycleLR, lr_scheduler.CyclicLR)
MONITORS: tuple[str, ...] = ("val_loss", "train_loss", "val_accuracy")


def make_optimizer(
    model: nn.Module | list[torch.Tensor],
    optimizer: str = "SGD",
    *,
    lr: float = 0.1,
    optimizer_params: Mapping[str, Any] | None = None,
) -> torch.optim.Optimizer:
    """Return ``torch.optim.<optimizer>`` over the model's parameters (SGD gets momentum=0.9).

    ``model`` is a module, or the list of tensors to optimize (the stacked seeds of a comparison).
    """
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
        params = model.parameters() if isinstance(model, nn.Module) else model
        build: Callable[..., torch.optim.Optimizer] = optimizer_class  # SGD(params, lr=...), ...
        return build(params, lr=lr, **options)
    except (TypeError, ValueError) as error:
        raise TrainingConfigError(f"optimizer {optimizer}(lr={lr}, ...): {error}") from None


def _fill_one_cycle(
    spec: SchedulerSpec, planned_steps: int | None, peak: float | None = None
) -> SchedulerSpec:
    """Return ``spec`` with ``total_steps`` filled in for a OneCycleLR that names no length, and
    ``max_lr`` set to the optimizer's ``lr`` when it names none (the same peak as the others)."""
    if spec.name != "OneCycleLR":
        return spec
    params = dict(spec.params)
    if "max_lr" not in params and peak is not None:
        params["max_lr"] = peak
    has_length = any(key in params for key in ("total_steps", "epochs", "steps_per_epoch"))
    if planned_steps is not None and not has_length:
        params["total_steps"] = planned_steps
    return SchedulerSpec(spec.name, params)


def build_schedule(
    optimizer: torch.optim.Optimizer,
    schedule: Schedule | tuple[str, Mapping[str, Any]],
    *,
    label: str,
    planned_steps: int | None = None,
) -> Any:
    """Return the scheduler ``schedule`` builds on ``optimizer``, or raise an error naming ``label``.

    A ``OneCycleLR`` spec without ``total_steps``/``epochs`` gets ``total_steps=planned_steps``
    (the whole run, stepped per batch), the length the demo will train for; one without
    ``max_lr`` peaks at the optimizer's ``lr``, like every other schedule of the comparison.
    """
    if isinstance(schedule, SchedulerSpec | tuple | str):
        peak = optimizer.param_groups[0].get("initial_lr", optimizer.param_groups[0]["lr"])
        spec = _fill_one_cycle(as_spec(schedule), planned_steps, peak)
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
    model = setup.model()
    optimizer = make_optimizer(
        model, setup.optimizer, lr=setup.lr, optimizer_params=setup.optimizer_params
    )
    scheduler, chosen, needs_metric = prepare_scheduler(
        optimizer, schedule, setup, label=label, step_per=step_per, epochs=epochs
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
        needs_metric=needs_metric,
        planned_epochs=epochs,
        setup=setup,
    )


def prepare_scheduler(
    optimizer: torch.optim.Optimizer,
    schedule: Schedule,
    setup: RunSetup,
    *,
    label: str,
    step_per: Any = None,
    epochs: int | None = None,
) -> tuple[Any, StepPer, bool]:
    """Return (scheduler, stepping frequency, whether it takes a metric), every check done."""
    if epochs is not None:
        check_epochs(epochs)
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
    needs_metric = check_metric_use(scheduler, label=label, step_per=chosen, monitor=setup.monitor)
    return scheduler, chosen, needs_metric
