"""Train several schedulers side by side, from the same initial weights on the same batch order.

Each schedule gets a copy of one initial model (built from ``seed``), its own optimizer and its
own real torch scheduler. Every epoch shows all runs the same batches, so the only difference
between the curves is the learning rate.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from matplotlib.figure import Figure

from lrcourse.display.figure import course_figure
from lrcourse.errors import TrainingConfigError
from lrcourse.train.device import pick_device
from lrcourse.train.live import LiveProgress
from lrcourse.train.loop import RunHistory, StepPer, check_epochs
from lrcourse.train.runs import RunSetup, Schedule, schedule_label, setup_run
from lrcourse.train.tasks import Task, load_task


@dataclass(frozen=True, repr=False)
class Comparison:
    """The result of :func:`compare_schedules`: one :class:`RunHistory` per schedule."""

    task: str
    epochs: int
    seed: int
    device: str
    runs: tuple[RunHistory, ...]

    def __repr__(self) -> str:
        labels = ", ".join(repr(run.label) for run in self.runs)
        return f"Comparison(task={self.task!r}, epochs={self.epochs}, seed={self.seed}, runs=[{labels}])"

    def __getitem__(self, label: str) -> RunHistory:
        """Return the history of the schedule called ``label``."""
        for run in self.runs:
            if run.label == label:
                return run
        raise TrainingConfigError(
            f"no schedule {label!r}; schedules: {', '.join(r.label for r in self.runs)}"
        )

    def table_text(self) -> str:
        """Return the final-epoch table as text: train loss, val loss, val accuracy, final lr."""
        has_accuracy = any(run.val_accuracy is not None for run in self.runs)
        width = max(len("schedule"), *(len(run.label) for run in self.runs))
        header = f"{'schedule':<{width}}  step per  train loss  val loss"
        header += "  val acc" if has_accuracy else ""
        header += "  final lr"
        lines = [
            f"{self.task} · {self.epochs} epochs · seed {self.seed}",
            header,
            "-" * len(header),
        ]
        for run in self.runs:
            line = (
                f"{run.label:<{width}}  {run.step_per:<8}  {_number(run.train_loss[-1]):>10}"
                f"  {_number(run.val_loss[-1]):>8}"
            )
            if has_accuracy:
                accuracy = run.val_accuracy[-1] if run.val_accuracy else float("nan")
                line += f"  {accuracy:>7.1%}" if math.isfinite(accuracy) else f"  {'—':>7}"
            line += f"  {run.final_lr:>8.4g}"
            lines.append(line)
        return "\n".join(lines)

    def table(self) -> None:
        """Print the final-epoch table (deterministic: same seed, same numbers on CPU)."""
        print(self.table_text())

    def figure(self) -> Figure:
        """Return a figure: loss per epoch, validation accuracy per epoch, and the rate per step."""
        has_accuracy = any(run.val_accuracy is not None for run in self.runs)
        figure = course_figure(12.0 if has_accuracy else 8.5, 3.4)
        axes = figure.subplots(1, 3 if has_accuracy else 2)
        loss_ax, lr_ax = axes[0], axes[-1]
        for index, run in enumerate(self.runs):
            color = f"C{index}"
            epochs = range(1, run.epochs + 1)
            loss_ax.plot(epochs, run.train_loss, color=color, linestyle="--", alpha=0.7)
            loss_ax.plot(epochs, run.val_loss, color=color, marker=".", label=run.label)
            if has_accuracy and run.val_accuracy is not None:
                axes[1].plot(epochs, run.val_accuracy, color=color, marker=".", label=run.label)
            steps = [step / run.steps_per_epoch for step in range(len(run.lrs))]
            lr_ax.plot(steps, run.lrs, color=color, drawstyle="steps-post", label=run.label)
        loss_ax.set_yscale("log")
        loss_ax.set(xlabel="epoch", ylabel="loss", title="val loss (solid), train loss (dashed)")
        if has_accuracy:
            axes[1].set(xlabel="epoch", ylabel="validation accuracy", title="accuracy")
        lr_ax.set(xlabel="epoch (one point per optimizer step)", ylabel="learning rate")
        lr_ax.set_title("learning rate per step")
        for ax in axes:
            ax.grid(True, alpha=0.3)
        lr_ax.legend(fontsize="small")
        return figure


def _number(value: float) -> str:
    return f"{value:.4f}" if math.isfinite(value) else "diverged"


def _named_schedules(schedules: Any) -> list[tuple[str, Schedule]]:
    """Return ``(label, schedule)`` pairs from a mapping, or from a list labelled by spec."""
    if isinstance(schedules, Mapping):
        pairs = [(str(label), schedule) for label, schedule in schedules.items()]
    elif isinstance(schedules, Sequence) and not isinstance(schedules, str):
        pairs = [(schedule_label(schedule), schedule) for schedule in schedules]
    else:
        raise TrainingConfigError(
            "schedules must be a mapping {label: SchedulerSpec or function optimizer -> "
            f"scheduler}}, got {type(schedules).__name__}"
        )
    if not pairs:
        raise TrainingConfigError(
            "schedules is empty: give at least one, e.g. {'constant': SchedulerSpec('ConstantLR', "
            "{'factor': 1.0})}"
        )
    labels = [label for label, _ in pairs]
    duplicates = sorted({label for label in labels if labels.count(label) > 1})
    if duplicates:
        raise TrainingConfigError(f"schedule labels must differ; repeated: {', '.join(duplicates)}")
    return pairs


def compare_schedules(
    schedules: Mapping[str, Schedule] | Sequence[Schedule],
    *,
    task: str | Task = "digits",
    epochs: int = 10,
    seed: int = 0,
    device: str | torch.device | None = None,
    live: bool = True,
    step_per: StepPer | Mapping[str, StepPer] | None = None,
    lr: float = 0.1,
    optimizer: str = "SGD",
    optimizer_params: Mapping[str, Any] | None = None,
    batch_size: int | None = None,
    monitor: str | None = "val_loss",
) -> Comparison:
    """Return a :class:`Comparison` of ``schedules`` trained side by side on ``task``.

    ``schedules`` maps a label to a :class:`~lrcourse.SchedulerSpec` or a function
    ``optimizer -> scheduler``. All runs start from the same weights (from ``seed``) and see the
    same batches. ``step_per=None`` steps OneCycleLR/CyclicLR per batch and the rest per epoch
    (give "epoch"/"batch", or a mapping label -> value, to override). ``ReduceLROnPlateau`` is
    stepped once per epoch with ``monitor`` (the validation loss by default). A OneCycleLR spec
    without a length gets ``total_steps = epochs * steps_per_epoch``: the whole run when stepped
    per batch (stepped per epoch, it then never gets past its warm-up). Everything is checked,
    and every scheduler built, before the first batch; ``live=True`` shows progress in JupyterLab.
    """
    pairs = _named_schedules(schedules)
    check_epochs(epochs)
    chosen_device = pick_device(device)
    setup = RunSetup(
        task=load_task(task, device=chosen_device, batch_size=batch_size),
        seed=seed,
        lr=lr,
        optimizer=optimizer,
        optimizer_params=optimizer_params,
        monitor=monitor,
    )
    if isinstance(step_per, Mapping):
        unknown = sorted(set(step_per) - {label for label, _ in pairs})
        if unknown:
            raise TrainingConfigError(
                f"step_per names unknown schedule(s) {', '.join(unknown)}; schedules: "
                f"{', '.join(label for label, _ in pairs)}"
            )
    runs = [
        setup_run(setup, schedule, label=label, step_per=step_per, epochs=epochs)
        for label, schedule in pairs
    ]
    progress = LiveProgress(
        [run.label for run in runs],
        epochs=epochs,
        title=f"{len(runs)} schedules × {epochs} epochs on {setup.task.name}",
        enabled=live,
    )
    progress.start(str(chosen_device))
    for epoch in range(1, epochs + 1):
        for run in runs:
            metrics = run.train_epoch()
            progress.update(run.label, epoch, metrics)
    progress.finish()
    return Comparison(
        task=setup.task.name,
        epochs=epochs,
        seed=seed,
        device=str(chosen_device),
        runs=tuple(run.history() for run in runs),
    )
