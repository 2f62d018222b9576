"""Save a training run mid-way and resume it in fresh objects, exactly where it stopped.

A checkpoint is three ``state_dict()``s (model, optimizer, scheduler) plus what the loop needs to
carry on: the epoch count, the history so far and the run's settings. The batch order of epoch
``e`` depends only on (seed, e), so no random-generator state has to be saved. Functions can't be
saved, so :func:`resume_run` is given the schedule again and checks that it builds the same
kind of scheduler.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from lrcourse.errors import TrainingConfigError
from lrcourse.train.device import pick_device
from lrcourse.train.loop import TrainingRun
from lrcourse.train.runs import RunSetup, Schedule, setup_run
from lrcourse.train.tasks import TASK_NAMES, Task, load_task

#: Bumped when the checkpoint layout changes, so an old file gives a clear error.
CHECKPOINT_FORMAT = 1


def checkpoint_state(run: TrainingRun) -> dict[str, Any]:
    """Return everything needed to resume ``run``: its three state_dicts, epoch, history, settings."""
    return {
        "format": CHECKPOINT_FORMAT,
        "label": run.label,
        "task": run.task.name,
        "batch_size": run.task.batch_size,
        "seed": run.seed,
        "step_per": run.step_per,
        "monitor": run.monitor,
        "scheduler_class": type(run.scheduler).__name__,
        "optimizer_class": type(run.optimizer).__name__,
        "optimizer_settings": {
            "lr": run.setup.lr if run.setup else run.optimizer.defaults["lr"],
            "optimizer": type(run.optimizer).__name__,
            "optimizer_params": dict(run.setup.optimizer_params or {}) if run.setup else {},
        },
        "epoch": run.epoch,
        "planned_epochs": run.planned_epochs,
        "history": {
            "train_loss": list(run.train_loss),
            "val_loss": list(run.val_loss),
            "val_accuracy": list(run.val_accuracy),
            "lrs": list(run.lrs),
        },
        "model": run.model.state_dict(),
        "optimizer": run.optimizer.state_dict(),
        "scheduler": run.scheduler.state_dict(),
    }


def save_checkpoint(run: TrainingRun, path: str | Path) -> Path:
    """Write ``run``'s checkpoint to ``path`` with ``torch.save`` and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(checkpoint_state(run), path)
    return path


def _read(path: Path, device: torch.device) -> dict[str, Any]:
    if not path.is_file():
        raise TrainingConfigError(f"checkpoint {str(path)!r} does not exist")
    try:
        state = torch.load(path, map_location=device, weights_only=True)
    except Exception as error:  # torch raises several kinds for a file that isn't a checkpoint
        raise TrainingConfigError(
            f"checkpoint {str(path)!r} could not be read ({type(error).__name__}); "
            "was it written by lrcourse.save_checkpoint?"
        ) from None
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise TrainingConfigError(
            f"checkpoint {str(path)!r} is not an lrcourse checkpoint of format {CHECKPOINT_FORMAT}"
        )
    return state


def resume_run(
    path: str | Path,
    schedule: Schedule,
    *,
    task: Task | None = None,
    device: str | torch.device | None = None,
) -> TrainingRun:
    """Return a fresh :class:`TrainingRun` loaded from ``path``, ready to train the next epoch.

    ``schedule`` must build the same scheduler the run was started with (a function can't be
    saved in a file); the optimizer's class and settings are read from the checkpoint. ``task``
    is needed only for a custom :class:`Task`.
    """
    chosen_device = pick_device(device)
    path = Path(path)
    state = _read(path, chosen_device)
    if task is None:
        if state["task"] not in TASK_NAMES:
            raise TrainingConfigError(
                f"checkpoint {str(path)!r} was made on the custom task {state['task']!r}: pass task="
            )
        task = load_task(state["task"], batch_size=state["batch_size"])
    setup = RunSetup(
        task=task.to(chosen_device),
        seed=state["seed"],
        monitor=state["monitor"],
        **state["optimizer_settings"],
    )
    run = setup_run(
        setup,
        schedule,
        label=state["label"],
        step_per=state["step_per"],
        epochs=state["planned_epochs"],
    )
    for part, built in (("scheduler", run.scheduler), ("optimizer", run.optimizer)):
        if type(built).__name__ != state[f"{part}_class"]:
            raise TrainingConfigError(
                f"checkpoint {str(path)!r} holds a {state[f'{part}_class']} {part}, but the "
                f"schedule given builds {type(built).__name__}: resume with the same {part}"
            )
    run.model.load_state_dict(state["model"])
    run.optimizer.load_state_dict(state["optimizer"])
    run.scheduler.load_state_dict(state["scheduler"])
    run.epoch = state["epoch"]
    history = state["history"]
    run.train_loss = list(history["train_loss"])
    run.val_loss = list(history["val_loss"])
    run.val_accuracy = list(history["val_accuracy"])
    run.lrs = list(history["lrs"])
    return run
