"""Train several schedulers side by side on several seeds, and report mean and spread.

Each schedule is trained on the same seeds (``seed, seed + 1, ...``): seed ``k`` starts every
schedule from the same initial weights and shows it the same batches, so within a seed the only
difference between schedules is the learning rate, and across seeds we see how much of a
difference is luck. The seeds of one schedule are trained as one batched model with one
optimizer and one real torch scheduler (see :mod:`lrcourse.train.seeds`, which also says how
ReduceLROnPlateau gets each seed's own metric).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import torch
from matplotlib.figure import Figure

from lrcourse.display.figure import course_figure
from lrcourse.errors import TrainingConfigError
from lrcourse.train.device import pick_device
from lrcourse.train.live import LiveProgress
from lrcourse.train.loop import RunHistory, StepPer, check_epochs
from lrcourse.train.runs import RunSetup, Schedule, make_optimizer, schedule_label
from lrcourse.train.seeds import SeedRun, seed_list
from lrcourse.train.stats import format_mean_sd, mean_sd
from lrcourse.train.tasks import Task, load_task


@dataclass(frozen=True, repr=False)
class Comparison:
    """The result of :func:`compare_schedules`: one :class:`RunHistory` per schedule."""

    task: str
    epochs: int
    seed: int
    device: str
    runs: tuple[RunHistory, ...]
    #: What every run held equal besides the schedule: the optimizer as torch built it, and the
    #: batch size (e.g. ``"SGD(momentum=0.9) · batch 64"``). Printed in each table's title.
    setting: str = ""

    @property
    def seeds(self) -> tuple[int, ...]:
        """Return the seeds every schedule was trained on."""
        return self.runs[0].seeds if self.runs else (self.seed,)

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
        """Return the final-epoch table: mean ± sd over seeds of train loss, val loss, val accuracy.

        A seed that failed (its loss blew up, or it learned nothing) is left out of the means and
        counted in a ``seeds`` column (with the first step a loss blew up); a schedule whose every
        seed failed reads ``diverged`` (all blew up) or ``failed``. An erratic schedule (checked with
        ``check_erratic=True``: see :mod:`lrcourse.train.seeds`) reads ``erratic``: its numbers
        depend on the last bit of the arithmetic and would differ on another CPU.
        """
        has_accuracy = any(run.val_accuracy is not None for run in self.runs)
        any_notes = any(_seed_note(run) for run in self.runs)
        rows = [self._row(run, has_accuracy, any_notes) for run in self.runs]
        header = ["schedule", "step per", "train loss", "val loss"]
        header += ["val acc %"] if has_accuracy else []
        header += ["final lr"] + (["seeds"] if any_notes else [])
        widths = [max(len(cells[i]) for cells in [header, *rows]) for i in range(len(header))]

        def line(cells: list[str]) -> str:
            first = f"{cells[0]:<{widths[0]}}  {cells[1]:<{widths[1]}}"
            rest = "".join(
                f"  {cell:>{width}}" for cell, width in zip(cells[2:], widths[2:], strict=True)
            )
            return (first + rest).rstrip()

        seeds = self.seeds
        named = f"seed {seeds[0]}" if len(seeds) == 1 else f"{len(seeds)} seeds, mean ± sd"
        title = " · ".join(filter(None, [self.task, self.setting, f"{self.epochs} epochs", named]))
        text_lines = [title, line(header), "-" * len(line(header))]
        return "\n".join(text_lines + [line(cells) for cells in rows])

    def _row(self, run: RunHistory, has_accuracy: bool, any_notes: bool) -> list[str]:
        kept = run.kept()
        erratic = run.erratic()

        def final(curves: tuple[tuple[float, ...], ...] | None, scale: float = 1.0) -> str:
            if not kept:
                return _failed_word(run)
            if erratic:
                return "erratic"
            if curves is None:
                return "—"
            return format_mean_sd([curves[k][-1] for k in kept], scale=scale)

        cells = [run.label, run.step_per, final(run.seed_train_loss), final(run.seed_val_loss)]
        if has_accuracy:
            cells.append(final(run.seed_val_accuracy, scale=100.0))
        rates = run.seed_final_lr or (run.final_lr,)
        low, high = min(rates), max(rates)
        cells.append(f"{low:.4g}" if low == high else f"{low:.3g}–{high:.3g}")
        if any_notes:
            cells.append(_seed_note(run) or f"{len(run.seeds)} ok")
        return cells

    def best(self) -> Comparison:
        """Return a Comparison holding, per schedule, the peak rate with the lowest mean final
        validation loss (a peak at which every seed diverged never wins)."""
        chosen: dict[str, RunHistory] = {}
        for run in self.runs:
            name = run.schedule or run.label
            if name not in chosen or _final_val(run) < _final_val(chosen[name]):
                chosen[name] = run
        return replace(self, runs=tuple(chosen.values()))

    def sweep_table_text(self) -> str:
        """Return the peak sweep as text: one row per schedule, one column per peak rate, each
        cell the final validation loss (mean ± sd); ``*`` marks each schedule's best peak."""
        names = list(dict.fromkeys(run.schedule or run.label for run in self.runs))
        peaks = sorted({run.lr for run in self.runs})
        best = {run.label for run in self.best().runs}
        cells: dict[tuple[str, float], str] = {}
        for run in self.runs:
            kept = run.kept()
            if not kept:
                text = _failed_word(run)
            elif run.erratic():
                text = "erratic"
            else:
                text = format_mean_sd([run.seed_val_loss[k][-1] for k in kept])
                if len(kept) < len(run.seeds):
                    text += f" ({len(run.seeds) - len(kept)} failed)"
            cells[(run.schedule or run.label, run.lr)] = text + ("*" if run.label in best else " ")
        header = ["final val loss"] + [f"lr={peak:g}" for peak in peaks]
        rows = [[name] + [cells.get((name, peak), "") for peak in peaks] for name in names]
        widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
        lines = [
            "  ".join(
                f"{cell:<{width}}" if i == 0 else f"{cell:>{width}}"
                for i, (cell, width) in enumerate(zip(row, widths, strict=True))
            ).rstrip()
            for row in [header, *rows]
        ]
        seeds = self.seeds
        named = f"{len(seeds)} seeds, mean ± sd · * best peak"
        title = " · ".join(filter(None, [self.task, self.setting, f"{self.epochs} epochs", named]))
        return "\n".join([title, lines[0], "-" * len(lines[0]), *lines[1:]])

    def sweep_table(self) -> None:
        """Print the peak sweep (see :meth:`sweep_table_text`)."""
        print(self.sweep_table_text())

    def table(self) -> None:
        """Print the final-epoch table (mean ± sd over seeds; see :meth:`table_text`)."""
        print(self.table_text())

    def figure(self) -> Figure:
        """Return a figure: loss and validation accuracy per epoch (mean over seeds, with a band
        of ± one sd), and the rate per step."""
        has_accuracy = any(run.val_accuracy is not None for run in self.runs)
        figure = course_figure(12.0 if has_accuracy else 8.5, 3.4)
        axes = figure.subplots(1, 3 if has_accuracy else 2)
        loss_ax, lr_ax = axes[0], axes[-1]
        for index, run in enumerate(self.runs):
            color = f"C{index}"
            epochs = range(1, run.epochs + 1)
            loss_ax.plot(epochs, run.train_loss, color=color, linestyle="--", alpha=0.7)
            loss_ax.plot(epochs, run.val_loss, color=color, marker=".", label=run.label)
            _band(loss_ax, run, run.seed_val_loss, color)
            if has_accuracy and run.val_accuracy is not None:
                axes[1].plot(epochs, run.val_accuracy, color=color, marker=".", label=run.label)
                _band(axes[1], run, run.seed_val_accuracy, color)
            steps = [step / run.steps_per_epoch for step in range(len(run.lrs))]
            lr_ax.plot(steps, run.lrs, color=color, drawstyle="steps-post", label=run.label)
        loss_ax.set_yscale("log")
        loss_ax.set(xlabel="epoch", ylabel="loss", title="val loss (solid, ± sd), train (dashed)")
        if has_accuracy:
            axes[1].set(xlabel="epoch", ylabel="validation accuracy", title="accuracy (± sd)")
        rates = [rate for run in self.runs for rate in run.lrs]
        if _spans_a_decade(rates):  # 0.07 next to 2.07 on a linear axis is a line on the floor
            lr_ax.set_yscale("log")
        lr_ax.set(xlabel="epoch (one point per optimizer step)", ylabel="learning rate")
        lr_ax.set_title("learning rate per step")
        for ax in axes:
            ax.grid(True, alpha=0.3)
        lr_ax.legend(fontsize="small")
        return figure


#: Rates whose largest is this many times their smallest get a log axis in a comparison figure.
LOG_RATE_RATIO = 10.0


def _spans_a_decade(rates: list[float]) -> bool:
    """Return True when every rate is positive and finite and the largest is 10x the smallest."""
    if not rates or not all(math.isfinite(rate) and rate > 0 for rate in rates):
        return False
    return max(rates) / min(rates) >= LOG_RATE_RATIO


def _failed_word(run: RunHistory) -> str:
    """Return "diverged" when every seed's loss blew up, else "failed"."""
    return "diverged" if all(step is not None for step in run.diverged_at) else "failed"


def _seed_note(run: RunHistory) -> str:
    """Return what went wrong with some seeds ("3 diverged (from step 5)", "1 did not learn",
    "erratic: ..."), or "" when nothing did."""
    notes = []
    failed = len(run.seeds) - len(run.kept())
    steps = [step for step in run.diverged_at if step is not None]
    if steps:
        notes.append(f"{len(steps)} diverged (from step {min(steps)})")
    # When the row prints no numbers, how the rest failed is not counted: whether a dying run
    # stalls just above or just below the line is as erratic as its numbers.
    if failed > len(steps) and run.kept():
        notes.append(f"{failed - len(steps)} did not learn")
    elif not run.kept() and len(steps) < len(run.seeds):
        notes.append("no majority trained" if steps else "none learned")
    if run.erratic():
        notes.append("erratic: nudged twins end elsewhere")
    return ", ".join(notes)


def _final_val(run: RunHistory) -> float:
    """Return the mean final validation loss over kept seeds; infinity when every seed failed
    or one is erratic (a number that would not reproduce never wins)."""
    if run.erratic():
        return math.inf
    value = run.val_loss[-1] if run.val_loss else math.nan
    return value if math.isfinite(value) else math.inf


def _band(ax: Any, run: RunHistory, curves: Any, color: str) -> None:
    """Shade mean ± sd over the seeds that did not diverge (nothing for one seed)."""
    live = [curves[k] for k in run.kept()] if curves else []
    if len(live) < 2:
        return
    spread = [mean_sd([curve[e] for curve in live]) for e in range(run.epochs)]
    low = [mean - sd for mean, sd in spread]
    high = [mean + sd for mean, sd in spread]
    ax.fill_between(range(1, run.epochs + 1), low, high, color=color, alpha=0.2, linewidth=0)


def _peaks(lr: Any) -> list[float]:
    """Return the peak rates to train at: ``[lr]`` for one number, the list for a sweep."""
    values = list(lr) if isinstance(lr, Sequence) and not isinstance(lr, str) else [lr]
    good = all(
        isinstance(v, int | float) and not isinstance(v, bool) and 0 < v < math.inf for v in values
    )
    if not values or not good or len(set(values)) != len(values):
        raise TrainingConfigError(
            f"lr must be a rate > 0 or a list of different rates to sweep, got {lr!r}"
        )
    return [float(v) for v in values]


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
    lr: float | Sequence[float] = 0.1,
    optimizer: str = "SGD",
    optimizer_params: Mapping[str, Any] | None = None,
    batch_size: int | None = None,
    monitor: str | None = "val_loss",
    seeds: int | Sequence[int] = 8,
    check_erratic: bool = False,
) -> Comparison:
    """Return a :class:`Comparison` of ``schedules`` trained side by side on ``task``.

    ``schedules`` maps a label to a :class:`~lrcourse.SchedulerSpec` or a function
    ``optimizer -> scheduler``. Each schedule is trained on ``seeds`` seeds (a count: ``seed,
    seed + 1, ...``; or a list); seed ``k`` starts every schedule from the same weights and shows
    it the same batches. The seeds of a schedule train as one batched model with one optimizer
    and one torch scheduler; ReduceLROnPlateau gets one optimizer and scheduler per seed, each
    fed that seed's own ``monitor`` (see :mod:`lrcourse.train.seeds`). ``step_per=None`` steps OneCycleLR/CyclicLR per batch and the rest per epoch
    (give "epoch"/"batch", or a mapping label -> value, to override). ``ReduceLROnPlateau`` is
    stepped once per epoch with ``monitor`` (the validation loss by default). A OneCycleLR spec
    without a length gets ``total_steps = epochs * steps_per_epoch``: the whole run when stepped
    per batch (stepped per epoch, it then never gets past its warm-up). Everything is checked,
    and every scheduler built, before the first batch; ``live=True`` shows progress in JupyterLab.

    ``lr`` is the peak rate every schedule starts from (a OneCycleLR spec without ``max_lr``
    peaks there too), so no schedule wins by a higher peak. Give a list of rates to sweep the
    peak: each schedule is trained at each rate (labels ``"<label> · lr=<rate>"``);
    :meth:`Comparison.sweep_table` shows the sweep and :meth:`Comparison.best` keeps each
    schedule's best peak.

    ``check_erratic=True`` trains a twin of every seed, nudged by a few rounding steps, and
    reports a schedule whose seeds and twins part ways as ``erratic`` instead of printing
    numbers another CPU would not reproduce (twice the training; see :mod:`lrcourse.train.seeds`).
    """
    pairs = _named_schedules(schedules)
    check_epochs(epochs)
    peaks = _peaks(lr)
    chosen_device = pick_device(device)
    loaded = load_task(task, device=chosen_device, batch_size=batch_size)
    setups = [
        RunSetup(
            task=loaded,
            seed=seed,
            lr=peak,
            optimizer=optimizer,
            optimizer_params=optimizer_params,
            monitor=monitor,
        )
        for peak in peaks
    ]
    setup = setups[0]
    if isinstance(step_per, Mapping):
        unknown = sorted(set(step_per) - {label for label, _ in pairs})
        if unknown:
            raise TrainingConfigError(
                f"step_per names unknown schedule(s) {', '.join(unknown)}; schedules: "
                f"{', '.join(label for label, _ in pairs)}"
            )
    seed_values = seed_list(seeds, seed)
    runs = [
        SeedRun(
            peak_setup,
            schedule,
            label=label if len(peaks) == 1 else f"{label} · lr={peak_setup.lr:g}",
            seeds=seed_values,
            step_per=step_per.get(label) if isinstance(step_per, Mapping) else step_per,
            epochs=epochs,
            schedule_label=label,
            check_erratic=check_erratic,
        )
        for label, schedule in pairs
        for peak_setup in setups
    ]
    swept = f" × {len(peaks)} peaks" if len(peaks) > 1 else ""
    progress = LiveProgress(
        [run.label for run in runs],
        epochs=epochs,
        title=f"{len(pairs)} schedules{swept} × {epochs} epochs × {len(seed_values)} seeds on {setup.task.name}",
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
        setting=f"{optimizer_setting(setup)} · batch {setup.task.batch_size}",
    )


#: Optimizer options a table title names when torch's value differs from "off".
_NAMED_OPTIONS = ("momentum", "nesterov", "betas", "weight_decay")


def optimizer_setting(setup: RunSetup) -> str:
    """Return the optimizer as torch builds it for ``setup``, e.g. ``"SGD(momentum=0.9)"``.

    Read back from a real optimizer's param group (so library defaults such as the demos' SGD
    momentum show): momentum, nesterov, Adam's betas and weight decay, each when it is on.
    """
    built = make_optimizer(
        [torch.zeros(1, requires_grad=True)],
        setup.optimizer,
        lr=setup.lr,
        optimizer_params=setup.optimizer_params,
    )
    group = built.param_groups[0]
    named = [
        f"{name}={tuple(group[name]) if name == 'betas' else group[name]}"
        for name in _NAMED_OPTIONS
        if group.get(name) not in (None, 0, 0.0, False)
    ]
    return f"{type(built).__name__}({', '.join(named)})"
