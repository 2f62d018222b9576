"""Train one schedule on several seeds at once: the seeds' models stacked into one batched model.

A result from one seed is an anecdote: at the rates worth comparing, training is sensitive enough
that the last bit of a dot product changes the final loss. So every demo trains ``seeds`` copies
of the task's model, seed ``k`` with the initial weights of ``task.make_model(k)`` and the batch
order ``epoch_order(size, k, epoch)`` (the same ones a single run with ``seed=k`` uses, and the
same for every schedule), and reports their mean and spread.

How it stays cheap: the seeds' parameters are stacked (``torch.func.stack_module_state``) so that
parameter ``W`` of shape ``(out, in)`` becomes one tensor of shape ``(seeds, out, in)``. A forward
pass is one batched matmul per layer (``torch.baddbmm`` for a stack of ``Linear``/``ReLU``,
``torch.func.vmap`` over ``functional_call`` for any other model). The loss is the sum of the
seeds' own mean losses, so the gradient that reaches seed ``k``'s slice is exactly seed ``k``'s
gradient. **One optimizer and one real torch scheduler drive all seeds**: SGD, Adam, AdamW and the
other optimizers in :data:`ELEMENTWISE_OPTIMIZERS` update each number from its own gradient and
state only, so one optimizer over the stacked tensors does, number for number, what one optimizer
per seed would do; and a scheduler that depends only on the step count gives every seed the same
rate.

**ReduceLROnPlateau is the exception, handled honestly**: its rate depends on the metric it is
fed, and each seed has its own validation loss. Feeding it the mean over seeds would cut every
seed's rate on a plateau that no single seed had. So a plateau schedule runs each seed as its own
group (its own model, optimizer and ``ReduceLROnPlateau``, stepped with that seed's own metric);
seeds then reach their cuts at different epochs, and the history records every seed's rates.
An optimizer outside :data:`ELEMENTWISE_OPTIMIZERS` is run the same way, one seed per group.

**The seeds train in float64.** In float32 the last bits of a result depend on the CPU's kernels
(AVX2 or AVX-512 paths, MKL's or oneDNN's blocking), and a few hundred steps of SGD amplify
them into the second or third printed digit: a table executed on one machine would not match on
the next. In float64 the same differences start ~1e9 times smaller and stay far below the
printed digits; the tiny models cost little more. (A single :class:`TrainingRun`, the loop the
chapters teach, stays in float32 like the learner's own code.)

**Failed and erratic seeds are categories, not numbers.** A seed *failed* if its loss blew up
(``diverged_at``: the first step whose batch loss is not finite or exceeds 3x its first) or it
learned nothing (its last epoch's train loss is at least 0.9x its first batch loss). With
``check_erratic=True`` each seed also trains a *twin* whose initial weights differ by a few
rounding steps (:data:`TWIN_NUDGE`); when the twins end far enough from their seeds to move
a printed mean (see :meth:`RunHistory.erratic`), the run is *erratic*: at that rate, the last
bit of a dot product (another CPU, another kernel) decides where it ends, so its numbers would
not reproduce and a table must not print them.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.func import functional_call, stack_module_state, vmap

from lrcourse.errors import TrainingConfigError
from lrcourse.train.loop import (
    RunHistory,
    RunSetup,
    epoch_order,
    one_cpu_thread,
    step_scheduler,
)
from lrcourse.train.runs import Schedule, make_optimizer, prepare_scheduler
from lrcourse.train.tasks import Task

#: Optimizers whose update of each number reads only that number's gradient and state: one of
#: them over stacked seeds equals one per seed.
ELEMENTWISE_OPTIMIZERS = frozenset(
    {"SGD", "Adam", "AdamW", "Adamax", "NAdam", "RAdam", "RMSprop", "Adagrad", "Adadelta"}
)

#: The seeds train in float64 (see the module notes).
COMPUTE_DTYPE = torch.float64


def as_compute(tensor: torch.Tensor) -> torch.Tensor:
    """Return ``tensor`` in :data:`COMPUTE_DTYPE` if it holds floats (labels stay integers)."""
    return tensor.to(COMPUTE_DTYPE) if tensor.is_floating_point() else tensor


#: A seed that did not blow up still failed if its last epoch's train loss is not below this
#: share of its first batch loss: it learned nothing (a rate so high the network died, or so low
#: it never moved).
STALL_FRACTION = 0.9

#: A twin starts from its seed's weights scaled by (1 + TWIN_NUDGE): a change of a few float32
#: rounding steps, like the one another CPU's kernels make. Where training is chaotic the twin
#: ends elsewhere; where it is not, it ends within a hair of its seed.
TWIN_NUDGE = 1e-6

#: A seed counts as diverged at the first step whose batch loss is not finite or exceeds this
#: many times its first batch loss.
DIVERGE_FACTOR = 3.0


def _linear_stack(model: nn.Module) -> list[nn.Module] | None:
    """Return the layers of a plain ``Linear``/``ReLU`` stack (the fast path), or None."""
    layers = list(model) if isinstance(model, nn.Sequential) else [model]
    if layers and all(isinstance(layer, nn.Linear | nn.ReLU) for layer in layers):
        return layers
    return None


class SeedBatch:
    """The models of several seeds as stacked parameters, with one batched forward pass."""

    def __init__(self, task: Task, seeds: Sequence[int], nudges: Sequence[float] = ()) -> None:
        # float64: see the module notes (why a demo's digits hold on any CPU).
        models = [task.make_model(seed).to(COMPUTE_DTYPE) for seed in seeds]
        for model, nudge in zip(models, nudges, strict=False):
            if nudge:  # a twin: the same seed, every initial weight scaled by (1 + nudge)
                with torch.no_grad():
                    for parameter in model.parameters():
                        parameter.mul_(1 + nudge)
        params, buffers = stack_module_state(models)
        self.seeds = tuple(seeds)
        self.params: dict[str, torch.Tensor] = params
        self.buffers: dict[str, torch.Tensor] = buffers
        self.task = task
        # The fast path: (weight name, bias name) per Linear, None per ReLU.
        self._layers: list[tuple[str, str] | None] | None = None
        if _linear_stack(models[0]) is not None and not buffers:
            named = (
                [(f"{name}.", layer) for name, layer in models[0].named_children()]
                if isinstance(models[0], nn.Sequential)
                else [("", models[0])]
            )
            self._layers = [
                (f"{prefix}weight", f"{prefix}bias") if isinstance(layer, nn.Linear) else None
                for prefix, layer in named
            ]
            # Each stacked weight is held as its transpose, (seeds, in, out), made contiguous:
            # ``hidden @ weight`` then hands back a gradient in the weight's own layout, so the
            # optimizer gets it without a copy per step (a transposed view's gradient needs one).
            for names in self._layers:
                if names is not None:
                    self.params[names[0]] = (
                        self.params[names[0]].detach().transpose(1, 2).contiguous().requires_grad_()
                    )
        self._template = copy.deepcopy(models[0]).to("meta")

    def parameters(self) -> list[torch.Tensor]:
        """Return the stacked parameters (leaves of shape ``(seeds, ...)``) an optimizer updates."""
        return list(self.params.values())

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """Return the outputs for ``inputs`` of shape ``(seeds, batch, ...)``, seed by seed."""
        if self._layers is not None:
            hidden = inputs
            for names in self._layers:
                if names is None:
                    hidden = hidden.relu()
                else:
                    weight, bias = self.params[names[0]], self.params.get(names[1])
                    if bias is None:
                        hidden = torch.bmm(hidden, weight)
                    else:
                        hidden = torch.baddbmm(bias.unsqueeze(1), hidden, weight)
            return hidden

        def one(params: dict[str, torch.Tensor], buffers: dict[str, torch.Tensor], x: Any) -> Any:
            return functional_call(self._template, (params, buffers), (x,))

        return vmap(one)(self.params, self.buffers, inputs)

    def losses(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Return each seed's mean loss, shape ``(seeds,)``."""
        function = self.task.loss_function
        if function is nn.functional.cross_entropy:
            per_example = function(outputs.transpose(1, 2), targets, reduction="none")
            return per_example.mean(dim=1)
        if function is nn.functional.mse_loss:
            return function(outputs, targets, reduction="none").flatten(1).mean(dim=1)
        return vmap(function)(outputs, targets)


@dataclass
class _Group:
    """Seeds trained by one optimizer and one scheduler."""

    batch: SeedBatch
    optimizer: torch.optim.Optimizer
    scheduler: Any
    lrs: list[float]


class SeedRun:
    """One schedule trained on several seeds: groups of stacked seeds, each with its optimizer and
    scheduler (one group for all seeds, or one per seed for ReduceLROnPlateau; see module notes)."""

    def __init__(
        self,
        setup: RunSetup,
        schedule: Schedule,
        *,
        label: str,
        seeds: Sequence[int],
        step_per: Any = None,
        epochs: int | None = None,
        schedule_label: str | None = None,
        check_erratic: bool = False,
    ) -> None:
        self.label = label
        self.schedule_label = schedule_label or label
        self.lr = setup.lr
        self.task = setup.task
        self.seeds = tuple(seeds)
        self.monitor = setup.monitor
        self.groups: list[_Group] = []
        self._make_group(setup, schedule, self.seeds, step_per, epochs)
        per_seed = self.needs_metric or setup.optimizer not in ELEMENTWISE_OPTIMIZERS
        # Slots: the seeds, then (to check for erratic training) a twin of each seed.
        self.twins = check_erratic and not per_seed
        self.slots = self.seeds + (self.seeds if self.twins else ())
        if per_seed and len(self.seeds) > 1:  # see the module notes: one group per seed
            self.groups = []
            for seed in self.seeds:
                self._make_group(setup, schedule, (seed,), step_per, epochs)
        elif self.twins:
            self.groups = []
            nudges = (0.0,) * len(self.seeds) + (TWIN_NUDGE,) * len(self.seeds)
            self._make_group(setup, schedule, self.slots, step_per, epochs, nudges)
        self.epoch = 0
        count = len(self.slots)
        self.train_loss: list[list[float]] = [[] for _ in range(count)]
        self.val_loss: list[list[float]] = [[] for _ in range(count)]
        self.val_accuracy: list[list[float]] = [[] for _ in range(count)]
        self.diverged_at: list[int | None] = [None] * count
        self.first_loss: dict[int, float] = {}  # each slot's first batch loss

    def _make_group(
        self,
        setup: RunSetup,
        schedule: Schedule,
        seeds: tuple[int, ...],
        step_per: Any,
        epochs: int | None,
        nudges: Sequence[float] = (),
    ) -> _Group:
        batch = SeedBatch(setup.task, seeds, nudges)
        optimizer = make_optimizer(
            batch.parameters(),
            setup.optimizer,
            lr=setup.lr,
            optimizer_params=setup.optimizer_params,
        )
        scheduler, self.step_per, self.needs_metric = prepare_scheduler(
            optimizer, schedule, setup, label=self.label, step_per=step_per, epochs=epochs
        )
        group = _Group(batch, optimizer, scheduler, [])
        self.groups.append(group)
        return group

    def train_epoch(self) -> dict[str, float]:
        """Train every seed one epoch, step the schedulers; return the epoch's means over seeds."""
        with one_cpu_thread(self.task.device):
            offset = 0
            for group in self.groups:
                self._train_group(group, offset)
                offset += len(group.batch.seeds)
        self.epoch += 1
        return self.latest_means()

    def _train_group(self, group: _Group, offset: int) -> None:
        task, batch, optimizer = self.task, group.batch, group.optimizer
        orders = torch.stack([epoch_order(task.train_size, s, self.epoch) for s in batch.seeds])
        orders = orders.to(task.device)
        inputs, targets = (
            as_compute(task.train_inputs[orders]),
            as_compute(task.train_targets[orders]),
        )
        step_losses = []  # (seeds,) per step, on the device: one copy to the host per epoch
        for start in range(0, task.train_size, task.batch_size):
            batch_inputs = inputs[:, start : start + task.batch_size]
            batch_targets = targets[:, start : start + task.batch_size]
            group.lrs.append(optimizer.param_groups[0]["lr"])
            optimizer.zero_grad()
            losses = batch.losses(batch.forward(batch_inputs), batch_targets)
            # Each seed's loss depends only on its own slice: the sum's gradient is per seed.
            losses.sum().backward()
            optimizer.step()
            if self.step_per == "batch":
                self._step(group)
            step_losses.append(losses.detach())
        step_table = torch.stack(step_losses)  # (steps, seeds)
        sizes = torch.tensor(
            [
                min(task.batch_size, task.train_size - s)
                for s in range(0, task.train_size, task.batch_size)
            ],
            dtype=step_table.dtype,
            device=step_table.device,
        )
        train_loss = (step_table * sizes[:, None]).sum(dim=0) / task.train_size
        val_loss, accuracy = self._evaluate(batch)
        table = torch.cat([train_loss[None], val_loss[None], accuracy[None], step_table]).tolist()
        train_values, val_values, accuracy_values, step_rows = (
            table[0],
            table[1],
            table[2],
            table[3:],
        )
        if self.epoch == 0:
            for k in range(len(batch.seeds)):
                self.first_loss[offset + k] = step_rows[0][k]
        steps_before = self.epoch * task.steps_per_epoch
        for k in range(len(batch.seeds)):
            index = offset + k
            self.train_loss[index].append(train_values[k])
            self.val_loss[index].append(val_values[k])
            self.val_accuracy[index].append(accuracy_values[k])
            if self.diverged_at[index] is None:
                limit = DIVERGE_FACTOR * self.first_loss[index]
                for step, row in enumerate(step_rows):
                    if not math.isfinite(row[k]) or row[k] > limit:
                        self.diverged_at[index] = steps_before + step
                        break
        if self.needs_metric:
            metric = {"train_loss": train_values, "val_loss": val_values}.get(
                self.monitor or "", accuracy_values
            )
            self._step(group, metric[0])
        elif self.step_per == "epoch":
            self._step(group)

    def _evaluate(self, batch: SeedBatch) -> tuple[torch.Tensor, torch.Tensor]:
        task = self.task
        count = len(batch.seeds)
        with torch.no_grad():
            val_inputs, val_targets = as_compute(task.val_inputs), as_compute(task.val_targets)
            inputs = val_inputs.expand(count, *val_inputs.shape)
            targets = val_targets.expand(count, *val_targets.shape)
            outputs = batch.forward(inputs)
            val_loss = batch.losses(outputs, targets)
            if task.classification:
                accuracy = (outputs.argmax(dim=-1) == targets).float().mean(dim=1)
            else:
                accuracy = torch.full_like(val_loss, float("nan"))
        return val_loss, accuracy

    def _step(self, group: _Group, metric: float | None = None) -> None:
        step_scheduler(group.scheduler, metric, label=self.label, epoch=self.epoch)

    def failed(self) -> list[bool]:
        """Return, per seed, whether it blew up (``diverged_at``) or did not learn: its last
        epoch's train loss is at least ``STALL_FRACTION`` of its first batch loss."""
        return [
            self.diverged_at[k] is not None
            or not self.train_loss[k][-1] < STALL_FRACTION * self.first_loss[k]
            for k in range(len(self.seeds))
        ]

    def _failed_slots(self) -> list[bool]:
        return [
            self.diverged_at[k] is not None
            or not self.train_loss[k][-1] < STALL_FRACTION * self.first_loss[k]
            for k in range(len(self.slots))
        ]

    def latest_means(self) -> dict[str, float]:
        """Return the last epoch's train loss, val loss and accuracy, averaged over the seeds that
        have not diverged so far, and ``diverged``: how many have.

        Mid-run, only a blow-up counts against a seed. "Did not learn" (:meth:`failed`) judges a
        finished run: after one epoch at a modest rate no seed is yet below ``STALL_FRACTION`` of
        its first loss, and applying that test here would drop every seed (a ``nan`` that reads
        as divergence) or skew the mean towards the seeds that happened to start fast.
        """
        live = [k for k in range(len(self.seeds)) if self.diverged_at[k] is None]
        result: dict[str, float] = {"diverged": float(len(self.seeds) - len(live))}
        for name, curves in (
            ("train_loss", self.train_loss),
            ("val_loss", self.val_loss),
            ("val_accuracy", self.val_accuracy),
        ):
            values = [curves[k][-1] for k in live]
            result[name] = sum(values) / len(values) if values else float("nan")
        return result

    def history(self) -> RunHistory:
        """Return the run as a :class:`RunHistory`: curves averaged over the seeds that did not
        diverge, every seed's own curves, and where each seed diverged."""
        count = len(self.seeds)
        live = [k for k, failed in enumerate(self.failed()) if not failed]

        def mean_curve(curves: list[list[float]]) -> tuple[float, ...]:
            return tuple(_mean([curves[k][epoch] for k in live]) for epoch in range(self.epoch))

        seed_lrs = tuple(tuple(group.lrs) for group in self.groups for _ in group.batch.seeds)
        final_lrs = tuple(
            float(group.optimizer.param_groups[0]["lr"])
            for group in self.groups
            for _ in group.batch.seeds
        )
        seed_lrs, final_lrs = seed_lrs[:count], final_lrs[:count]
        return RunHistory(
            label=self.label,
            step_per=self.step_per,
            steps_per_epoch=self.task.steps_per_epoch,
            train_loss=mean_curve(self.train_loss),
            val_loss=mean_curve(self.val_loss),
            val_accuracy=mean_curve(self.val_accuracy) if self.task.classification else None,
            lrs=seed_lrs[0],
            final_lr=final_lrs[0],
            seeds=self.seeds,
            seed_train_loss=tuple(tuple(curve) for curve in self.train_loss[:count]),
            seed_val_loss=tuple(tuple(curve) for curve in self.val_loss[:count]),
            seed_val_accuracy=tuple(tuple(curve) for curve in self.val_accuracy[:count])
            if self.task.classification
            else None,
            seed_lrs=seed_lrs,
            seed_final_lr=final_lrs,
            diverged_at=tuple(self.diverged_at[:count]),
            failed=tuple(self.failed()),
            twin_final=tuple(
                (self.train_loss[k][-1], self.val_loss[k][-1], self.val_accuracy[k][-1])
                for k in range(count, len(self.slots))
            ),
            twin_failed=tuple(self._failed_slots()[count:]),
            lr=self.lr,
            schedule=self.schedule_label,
        )


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else float("nan")


def seed_list(seeds: int | Sequence[int], first: int) -> tuple[int, ...]:
    """Return the seeds to train: ``first, first + 1, ...`` for a count, or the sequence given."""
    if isinstance(seeds, bool):
        raise TrainingConfigError(f"seeds must be a count >= 1 or a list of seeds, got {seeds!r}")
    if isinstance(seeds, int):
        if seeds < 1:
            raise TrainingConfigError(
                f"seeds must be a count >= 1 or a list of seeds, got {seeds!r}"
            )
        return tuple(range(first, first + seeds))
    values = tuple(seeds) if isinstance(seeds, Sequence) and not isinstance(seeds, str) else ()
    if not values or not all(isinstance(s, int) and not isinstance(s, bool) for s in values):
        raise TrainingConfigError(f"seeds must be a count >= 1 or a list of seeds, got {seeds!r}")
    if len(set(values)) != len(values):
        raise TrainingConfigError(f"seeds must differ, got {list(values)}")
    return values
