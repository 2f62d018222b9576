"""The demo tasks, built from data that ships with the course's packages: nothing is downloaded.

``digits``: scikit-learn's 1,797 real 8x8 handwritten digits (the file ``load_digits`` reads),
a fixed train/validation split, a small MLP. ``noisy-digits``: the same, with a fixed 20 % of the
training labels replaced by random digits (the validation labels stay clean): the gradient noise
is large, so a constant rate settles at a floor that grows with the rate, and a schedule that
decays the rate visibly matters. ``regression``: generated linear regression with badly scaled features, where a rate
that is too high diverges and one too low crawls, within a few epochs.
"""

from __future__ import annotations

import difflib
import functools
import gzip
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch
from torch import nn

from lrcourse.errors import TrainingConfigError

#: The names :func:`load_task` accepts.
TASK_NAMES: tuple[str, ...] = ("digits", "noisy-digits", "regression")

#: The share of training labels ``noisy-digits`` replaces with a random digit, and the seed that
#: picks them (fixed: every run sees the same noisy labels).
LABEL_NOISE = 0.2
LABEL_NOISE_SEED = 1

#: The seed of the digits train/validation split: fixed, so every run sees the same split.
SPLIT_SEED = 0

LossFunction = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class Task:
    """A supervised problem held as tensors (on one device), with a recipe for its model."""

    name: str
    train_inputs: torch.Tensor
    train_targets: torch.Tensor
    val_inputs: torch.Tensor
    val_targets: torch.Tensor
    loss_function: LossFunction
    build_model: Callable[[], nn.Module]
    classification: bool
    batch_size: int

    @property
    def train_size(self) -> int:
        """Return the number of training examples."""
        return len(self.train_targets)

    @property
    def steps_per_epoch(self) -> int:
        """Return the optimizer steps in one epoch: ceil(train_size / batch_size)."""
        return -(-self.train_size // self.batch_size)

    @property
    def device(self) -> torch.device:
        """Return the device the tensors live on."""
        return self.train_inputs.device

    def to(self, device: torch.device) -> Task:
        """Return this task with its tensors copied to ``device`` once, up front."""
        return replace(
            self,
            train_inputs=self.train_inputs.to(device),
            train_targets=self.train_targets.to(device),
            val_inputs=self.val_inputs.to(device),
            val_targets=self.val_targets.to(device),
        )

    def make_model(self, seed: int) -> nn.Module:
        """Return a fresh model whose initial weights depend only on ``seed``, on the task's device.

        The global random state is forked, so building a model never changes other random draws.
        """
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = self.build_model()
        return model.to(self.device)


def _digits_mlp(hidden: int) -> Callable[[], nn.Module]:
    def build() -> nn.Module:
        return nn.Sequential(nn.Linear(64, hidden), nn.ReLU(), nn.Linear(hidden, 10))

    return build


def digits_file() -> Path:
    """Return the path of ``digits.csv.gz``, shipped in ``lrcourse/data`` (see its README.md).

    It is the file scikit-learn ships and ``load_digits`` reads, byte for byte: a test checks the
    file's hash and the arrays read from it against hashes of ``sklearn.datasets.load_digits()``.
    """
    path = Path(__file__).resolve().parents[1] / "data" / "digits.csv.gz"
    if not path.is_file():
        raise TrainingConfigError(f"the digits task's data is missing: {path}; reinstall lrcourse")
    return path


@functools.cache
def load_digits_tensors() -> tuple[torch.Tensor, torch.Tensor]:
    """Return the 1,797 digits as (images flattened to 64 floats in 0..16, labels 0..9)."""
    with gzip.open(digits_file(), "rt") as file:
        table = np.loadtxt(file, delimiter=",")
    return torch.tensor(table[:, :-1], dtype=torch.float64), torch.tensor(table[:, -1]).long()


@functools.cache
def _digits_tensors(val_fraction: float) -> tuple[torch.Tensor, ...]:
    images, labels = load_digits_tensors()
    inputs = (images / 16.0).float()
    order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(SPLIT_SEED))
    val_count = round(len(labels) * val_fraction)
    val_index, train_index = order[:val_count], order[val_count:]
    return inputs[train_index], labels[train_index], inputs[val_index], labels[val_index]


def digits_task(*, batch_size: int = 64, hidden: int = 64, val_fraction: float = 0.2) -> Task:
    """Return the digits task: 8x8 images scaled to [0, 1], labels 0-9, a fixed split, an MLP."""
    train_inputs, train_targets, val_inputs, val_targets = _digits_tensors(val_fraction)
    return Task(
        name="digits",
        train_inputs=train_inputs,
        train_targets=train_targets,
        val_inputs=val_inputs,
        val_targets=val_targets,
        loss_function=nn.functional.cross_entropy,
        build_model=_digits_mlp(hidden),
        classification=True,
        batch_size=batch_size,
    )


def noisy_digits_task(*, batch_size: int = 64, label_noise: float = LABEL_NOISE) -> Task:
    """Return the digits task with ``label_noise`` of the training labels replaced at random.

    Each chosen label is redrawn uniformly from 0-9 (so about a tenth keep their digit); the
    choice is fixed by :data:`LABEL_NOISE_SEED`. Validation labels are untouched: the score
    measures how well the model learned the digits, not the noise.
    """
    if not 0 <= label_noise <= 1:
        raise TrainingConfigError(f"label_noise must be in [0, 1], got {label_noise!r}")
    task = digits_task(batch_size=batch_size)
    generator = torch.Generator().manual_seed(LABEL_NOISE_SEED)
    labels = task.train_targets.clone()
    chosen = torch.rand(len(labels), generator=generator) < label_noise
    labels[chosen] = torch.randint(0, 10, (int(chosen.sum()),), generator=generator)
    return replace(task, name="noisy-digits", train_targets=labels)


def regression_task(*, batch_size: int = 32, samples: int = 512, features: int = 8) -> Task:
    """Return a generated linear regression whose features differ in scale by 10x (ill-conditioned)."""
    generator = torch.Generator().manual_seed(SPLIT_SEED)
    scales = torch.logspace(0, 1, features)
    inputs = torch.randn(samples, features, generator=generator) * scales
    true_weights = torch.randn(features, 1, generator=generator)
    targets = inputs @ true_weights + 0.1 * torch.randn(samples, 1, generator=generator)
    val_count = samples // 5
    return Task(
        name="regression",
        train_inputs=inputs[val_count:],
        train_targets=targets[val_count:],
        val_inputs=inputs[:val_count],
        val_targets=targets[:val_count],
        loss_function=nn.functional.mse_loss,
        build_model=lambda: nn.Linear(features, 1),
        classification=False,
        batch_size=batch_size,
    )


def load_task(
    name: str | Task = "digits",
    *,
    device: torch.device | None = None,
    batch_size: int | None = None,
) -> Task:
    """Return the task called ``name`` (or ``name`` itself if it is a Task), moved to ``device``."""
    if isinstance(name, Task):
        task = name
    elif name == "digits":
        task = digits_task()
    elif name == "noisy-digits":
        task = noisy_digits_task()
    elif name == "regression":
        task = regression_task()
    else:
        close = difflib.get_close_matches(str(name), TASK_NAMES, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise TrainingConfigError(
            f"unknown task {name!r}.{hint} Valid tasks: {', '.join(TASK_NAMES)}."
        )
    if batch_size is not None:
        if not isinstance(batch_size, int) or batch_size < 1:
            raise TrainingConfigError(f"batch_size must be a whole number >= 1, got {batch_size!r}")
        task = replace(task, batch_size=batch_size)
    return task.to(device) if device is not None else task
