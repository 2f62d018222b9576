"""Explorer models for every scheduler, comparisons, compositions, ReduceLROnPlateau and plain SGD.

Each builder returns an :class:`~lrcourse.explorers.model.ExplorerModel` whose ``compute`` runs
real torch (through :func:`lrcourse.trace.trace_schedule` or torch's own SGD). No formula of a
schedule is written here; this module only turns control settings into scheduler parameters.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

import torch
from torch.optim import lr_scheduler

from lrcourse.errors import SchedulerConfigError
from lrcourse.explorers.controls import (
    EPOCHS,
    LR,
    STEP_PER,
    STEPS_PER_EPOCH,
    Control,
    Horizon,
    Settings,
    controls_for,
    with_defaults,
)
from lrcourse.explorers.formulas import FORMULAS
from lrcourse.explorers.model import ExplorerModel, Frame, Panel, Series
from lrcourse.explorers.quadratic import run_gradient_descent
from lrcourse.trace import COMPOSITE_SCHEDULERS, SchedulerSpec, as_spec, trace_schedule

LR_PANEL = Panel("learning rate")
MOMENTUM_PANEL = Panel("momentum")


def loop_controls(
    step_per: str, options: Mapping[str, Any], *, uses_lr: bool = True
) -> tuple[Control, ...]:
    """Return the loop controls (epochs, scheduler.step() per epoch/batch, steps per epoch, lr)."""
    loop = [
        replace(EPOCHS, default=options.get("epochs", EPOCHS.default)),
        replace(STEP_PER, default=options.get("step_per", step_per)),
        replace(STEPS_PER_EPOCH, default=options.get("steps_per_epoch", STEPS_PER_EPOCH.default)),
    ]
    if uses_lr:
        loop.append(replace(LR, default=options.get("lr", LR.default)))
    return with_defaults(loop, {k: v for k, v in options.items() if k != "step_per"})


def _check_options(options: Mapping[str, Any], allowed: Sequence[str], where: str) -> None:
    unknown = [key for key in options if key not in allowed]
    if unknown:
        raise SchedulerConfigError(
            f"{where} has no option {', '.join(map(repr, unknown))}; "
            f"its options are: {', '.join(allowed)}"
        )


LOOP_OPTIONS = ("epochs", "step_per", "steps_per_epoch", "lr")


def _trace(spec: SchedulerSpec, settings: Settings, **extra: Any):
    horizon = settings.horizon()
    return trace_schedule(
        spec,
        epochs=horizon.epochs,
        steps_per_epoch=horizon.steps_per_epoch,
        step_per=horizon.step_per,
        lr=settings.get("lr", LR.default),
        **extra,
    )


def scheduler_model(
    scheduler_name: str, params: Mapping[str, Any] | None = None, **options: Any
) -> ExplorerModel:
    """Return the explorer model of one built-in scheduler, its controls read from the table.

    ``params`` set starting values (a control's range stretches to include them; parameters
    without a control are passed to torch unchanged). ``options`` set the loop: ``epochs``,
    ``step_per`` ("epoch"/"batch"), ``steps_per_epoch`` and ``lr``.
    """
    params = dict(params or {})
    if scheduler_name == "ReduceLROnPlateau":
        return plateau_model(params, **options)
    if scheduler_name in COMPOSITE_SCHEDULERS:
        if "schedulers" in params:
            return fixed_spec_model(SchedulerSpec(scheduler_name, params), **options)
        return compose_model(combiner=scheduler_name, **params, **options)
    _check_options(options, LOOP_OPTIONS, f"explore({scheduler_name!r})")
    row = controls_for(scheduler_name)
    own = with_defaults(row.controls, params)
    names = [control.name for control in own]
    fixed = {key: value for key, value in params.items() if key not in names}
    controls = own + loop_controls(row.step_per, options, uses_lr=row.uses_lr)

    def scheduler_params(settings: Settings) -> dict[str, Any]:
        chosen = {name: settings[name] for name in names}
        chosen.update(fixed)
        if row.derived is not None:
            chosen.update(row.derived(settings.horizon()))
        return chosen

    def compute(settings: Settings) -> Frame:
        spec = SchedulerSpec(scheduler_name, scheduler_params(settings))
        trace = _trace(spec, settings)
        divisor = trace.steps_per_epoch
        series = [Series("lr", trace.lr, x_divisor=divisor)]
        if row.momentum and trace.momentums is not None:
            series.append(Series("momentum", trace.momentums[0], panel=1, x_divisor=divisor))
        return Frame(tuple(series), caption=_caption(spec, settings, trace.warning_messages()))

    panels = (LR_PANEL, MOMENTUM_PANEL) if row.momentum else (LR_PANEL,)
    formula = FORMULAS.get(scheduler_name)
    return ExplorerModel(scheduler_name, controls, panels, compute, formula=formula)


def fixed_spec_model(spec: SchedulerSpec, **options: Any) -> ExplorerModel:
    """Return a model of one fully specified scheduler (e.g. a SequentialLR with its children).

    Only the loop moves (epochs, per epoch/batch, steps per epoch, lr): the learner's own
    composition is shown exactly as written.
    """
    _check_options(options, LOOP_OPTIONS, f"explore({spec.name!r})")
    controls = loop_controls("epoch", options)

    def compute(settings: Settings) -> Frame:
        trace = _trace(spec, settings)
        return Frame(
            (Series("lr", trace.lr, x_divisor=trace.steps_per_epoch),),
            caption=_caption(spec, settings, trace.warning_messages()),
        )

    return ExplorerModel(spec.name, controls, (LR_PANEL,), compute)


def _caption(spec: SchedulerSpec, settings: Settings, warnings: Sequence[str] = ()) -> str:
    horizon = settings.horizon()
    text = (
        f"{spec.label().replace('(', '(optimizer, ', 1) if spec.params else spec.name + '(optimizer)'}"
        f" · scheduler.step() once per {horizon.step_per}, {horizon.scheduler_steps} times"
    )
    for message in warnings:
        text += f" · torch warns: {message}"
    return text


def spec_with_defaults(item: str | SchedulerSpec | tuple, horizon: Horizon) -> SchedulerSpec:
    """Return ``item`` as a spec; a bare name gets its table defaults, fitted to ``horizon``."""
    spec = as_spec(item)
    row = controls_for(spec.name)
    if isinstance(item, str):
        params = {control.name: control.default for control in row.controls}
        for name in row.horizon_params:
            params[name] = max(horizon.scheduler_steps, 1)
        if spec.name in COMPOSITE_SCHEDULERS or spec.name == "ReduceLROnPlateau":
            raise SchedulerConfigError(
                f"compare {spec.name} with its parameters, e.g. SchedulerSpec({spec.name!r}, {{...}}),"
                " or use compose_explorer() / plateau_explorer()"
            )
        spec = SchedulerSpec(spec.name, params)
    if row.derived is not None:
        spec = SchedulerSpec(spec.name, {**spec.params, **row.derived(horizon)})
    return spec


def _compare_epochs(control: Control) -> Control:
    """Return the compare explorer's epochs slider: 10 to 40 by 10, on a finer grid when the
    chapter starts it elsewhere (``epochs=12`` gets 10, 12, ... 40), so the slider, the code and
    the text agree instead of the slider snapping 12 to 10."""
    default = int(control.default)
    step = math.gcd(default, 10) or 10
    return replace(control, static=True, low=min(10, default), high=max(40, default), step=step)


def compare_model(schedules: Sequence[Any], **options: Any) -> ExplorerModel:
    """Return a model overlaying 2-4 schedules (names or specs) on one axes, sharing the loop."""
    _check_options(options, LOOP_OPTIONS, "compare_explorer")
    items = list(schedules)
    if not 2 <= len(items) <= 4:
        raise SchedulerConfigError(
            f"compare_explorer needs 2 to 4 schedules, got {len(items)}: "
            "e.g. compare_explorer(['StepLR', 'CosineAnnealingLR'])"
        )
    for item in items:
        controls_for(as_spec(item).name)  # fail early on an unknown name
    controls = loop_controls("epoch", options)
    controls = tuple(
        _compare_epochs(c)
        if c.name == "epochs" and c.low == EPOCHS.low
        else replace(c, static=True, low=-2, high=0, step=0.5)
        if c.name == "lr" and c.low == LR.low
        else c
        for c in controls
    )

    def compute(settings: Settings) -> Frame:
        horizon = settings.horizon()
        series = []
        for item in items:
            spec = spec_with_defaults(item, horizon)
            label = item if isinstance(item, str) else spec.label()
            trace = _trace(spec, settings, label=label)
            series.append(Series(label, trace.lr, x_divisor=trace.steps_per_epoch))
        return Frame(
            tuple(series),
            caption=f"scheduler.step() once per {horizon.step_per}, {horizon.scheduler_steps} times",
            table=tuple(range(len(series))),
        )

    return ExplorerModel("compare", controls, (LR_PANEL,), compute)


# What follows the warm-up in the composer: each builds a child spec for the remaining steps.
THEN_CHOICES: tuple[tuple[str, str], ...] = (
    ("CosineAnnealingLR", "CosineAnnealingLR"),
    ("ExponentialLR(gamma=0.9)", "ExponentialLR"),
    ("StepLR(step_size=5, gamma=0.5)", "StepLR"),
)


def _then_spec(name: str, steps: int, eta_min: float) -> SchedulerSpec:
    if name == "CosineAnnealingLR":
        return SchedulerSpec(name, {"T_max": steps, "eta_min": eta_min})
    if name == "ExponentialLR":
        return SchedulerSpec(name, {"gamma": 0.9})
    return SchedulerSpec(name, {"step_size": 5, "gamma": 0.5})


def compose_model(combiner: str = "SequentialLR", **options: Any) -> ExplorerModel:
    """Return a model of LinearLR warm-up followed (SequentialLR) or multiplied (ChainedScheduler) by a decay.

    Controls: ``combiner``, ``then`` (the decay), LinearLR's ``start_factor``, ``warmup_iters``
    (LinearLR's ``total_iters`` and SequentialLR's milestone) and the cosine's ``eta_min``.
    """
    own_names = ("start_factor", "warmup_iters", "eta_min", "then")
    _check_options(options, (*own_names, *LOOP_OPTIONS), "compose_explorer")
    if combiner not in COMPOSITE_SCHEDULERS:
        raise SchedulerConfigError(
            f"combiner must be 'SequentialLR' or 'ChainedScheduler', not {combiner!r}"
        )
    row = controls_for(combiner)
    combine = Control(
        "combiner",
        "choice",
        combiner,
        options=(("SequentialLR", "SequentialLR"), ("ChainedScheduler", "ChainedScheduler")),
    )
    then = Control("then", "choice", "CosineAnnealingLR", options=THEN_CHOICES)
    own = with_defaults((combine, then, *row.controls), options)
    loop = loop_controls("epoch", {k: v for k, v in options.items() if k in LOOP_OPTIONS})

    def compute(settings: Settings) -> Frame:
        horizon = settings.horizon()
        steps = horizon.scheduler_steps
        warm = settings["warmup_iters"]
        sequential = settings["combiner"] == "SequentialLR"
        warmup = SchedulerSpec(
            "LinearLR", {"start_factor": settings["start_factor"], "total_iters": warm}
        )
        decay = _then_spec(
            settings["then"], steps - warm if sequential else steps, settings["eta_min"]
        )
        params: dict[str, Any] = {"schedulers": [warmup, decay]}
        if sequential:
            params["milestones"] = [warm]
        spec = SchedulerSpec(settings["combiner"], params)
        trace = _trace(spec, settings)
        divisor = trace.steps_per_epoch
        series = [Series(settings["combiner"], trace.lr, x_divisor=divisor)]
        for child in (warmup, decay):
            alone = _trace(child, settings)
            series.append(Series(f"{child.name} alone", alone.lr, style="line", x_divisor=divisor))
        return Frame(tuple(series), caption=_caption(spec, settings, trace.warning_messages()))

    return ExplorerModel(combiner, own + loop, (LR_PANEL,), compute)


# Metric curves for ReduceLROnPlateau: generated data standing in for a validation loss.
def _improving(epochs: int) -> list[float]:
    generator = torch.Generator().manual_seed(0)
    noise = torch.rand(epochs, generator=generator, dtype=torch.float64) * 0.04
    return [1.0 / (1 + 0.3 * e) + 0.3 + float(noise[e]) for e in range(epochs)]


def _plateau(epochs: int) -> list[float]:
    return [max(1.0, 2.0 - 0.1 * e) for e in range(epochs)]


def _overfitting(epochs: int) -> list[float]:
    return [0.5 + 0.002 * (e - 12) ** 2 for e in range(epochs)]


METRIC_CHOICES: tuple[tuple[str, Callable[[int], list[float]]], ...] = (
    ("noisy improving loss", _improving),
    ("loss that flattens at 1.0", _plateau),
    ("loss that worsens after epoch 12", _overfitting),
)


def plateau_history(
    params: Mapping[str, Any], metrics: Sequence[float], lr: float
) -> tuple[list[float], list[int], list[bool]]:
    """Return ReduceLROnPlateau's ``best``, ``num_bad_epochs`` and "improved" after each ``step(metric)``.

    All three are read from a real torch scheduler: "improved" means torch replaced ``best``
    with the metric, i.e. the metric beat the best by more than ``threshold``.
    """
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr, momentum=0.9)
    scheduler = lr_scheduler.ReduceLROnPlateau(optimizer, **params)
    best, bad, improved = [], [], []
    for metric in metrics:
        before = scheduler.best
        optimizer.step()
        scheduler.step(metric)
        best.append(float(scheduler.best))
        bad.append(int(scheduler.num_bad_epochs))
        improved.append(scheduler.best != before)
    return best, bad, improved


def plateau_model(params: Mapping[str, Any] | None = None, **options: Any) -> ExplorerModel:
    """Return a ReduceLROnPlateau model driven by a visible metric curve, its patience counter shown.

    ``options`` may set ``metric`` (a label of :data:`METRIC_CHOICES` or a list of values),
    ``epochs`` and ``lr``.
    """
    params = dict(params or {})
    _check_options(options, ("metric", "epochs", "lr"), "plateau_explorer")
    row = controls_for("ReduceLROnPlateau")
    own = with_defaults(row.controls, params)
    names = [control.name for control in own]
    fixed = {key: value for key, value in params.items() if key not in names}
    metric_default = options.get("metric", METRIC_CHOICES[0][1])
    choices = METRIC_CHOICES
    if isinstance(metric_default, str):
        lookup = dict(METRIC_CHOICES)
        if metric_default not in lookup:
            raise SchedulerConfigError(
                f"metric={metric_default!r} is not a known curve; use one of {list(lookup)} "
                "or pass your own list of values"
            )
        metric_default = lookup[metric_default]
    elif not callable(metric_default):
        values = [float(v) for v in metric_default]
        metric_default = _fixed_metric(values)
        choices = (("your metric", metric_default), *METRIC_CHOICES)
    metric = Control("metric", "choice", metric_default, options=choices)
    epochs = replace(EPOCHS, default=options.get("epochs", 40), low=5)
    lr = replace(LR, default=options.get("lr", LR.default))
    controls = (metric, *own, epochs, lr)

    def compute(settings: Settings) -> Frame:
        count = settings["epochs"]
        metrics = list(settings["metric"](count))[:count]
        if len(metrics) < count:
            raise SchedulerConfigError(
                f"the metric has {len(metrics)} values but epochs={count}: give one per epoch"
            )
        chosen = {name: settings[name] for name in names} | fixed
        spec = SchedulerSpec("ReduceLROnPlateau", chosen)
        trace = _trace(spec, settings, metrics=metrics)
        best, bad, improved = plateau_history(chosen, metrics, settings["lr"])
        ends = tuple(float(e + 1) for e in range(count))
        patience = float(chosen.get("patience", 10))
        better = [i for i, flag in enumerate(improved) if flag]
        series = (
            Series("lr", trace.lr),
            Series("metric", tuple(metrics), panel=1, style="points", x=ends),
            Series("best so far", tuple(best), panel=1, style="steps", x=ends),
            Series(
                "metric: beat best by > threshold",
                tuple(metrics[i] for i in better),
                panel=1,
                style="points",
                x=tuple(ends[i] for i in better),
            ),
            Series("num_bad_epochs", tuple(float(b) for b in bad), panel=2, x=ends),
            Series("patience", (patience, patience), panel=2, style="line", x=(0.0, float(count))),
        )
        reductions = sum(1 for a, b in zip(trace.lr, trace.lr[1:], strict=False) if b < a)
        caption = (
            f"{_caption(spec, settings)} · metric passed to scheduler.step(metric) after each "
            f"epoch · the rate was cut {reductions} time(s)"
        )
        return Frame(series, caption=caption, table=(0, 1, 4))

    panels = (
        LR_PANEL,
        Panel("metric", xlabel="end of epoch"),
        Panel("bad epochs", xlabel="end of epoch"),
    )
    formula = FORMULAS["ReduceLROnPlateau"]
    return ExplorerModel("ReduceLROnPlateau", controls, panels, compute, formula=formula)


def _fixed_metric(values: list[float]) -> Callable[[int], list[float]]:
    def your_metric(epochs: int) -> list[float]:
        return values[:epochs]

    return your_metric


def descent_model(
    lr: float = 0.05, *, steps: int = 30, reference_lr: float | None = None
) -> ExplorerModel:
    """Return a model of torch's SGD on the quadratic bowl with a log-scale slider on ``lr``."""
    control = Control("lr", "log", lr, -3, -0.6, 0.05)
    if not -3 <= math.log10(lr) <= -0.6:
        control = with_defaults((control,), {"lr": lr})[0]

    def compute(settings: Settings) -> Frame:
        runs = [run_gradient_descent(settings["lr"], steps=steps)]
        if reference_lr is not None:
            runs.append(run_gradient_descent(reference_lr, steps=steps))
        series = []
        for run in runs:
            label = f"lr={run.lr:.3g}"
            series.append(Series(label, run.losses, style="line"))
            xs = tuple(w[0] for w in run.weights)
            ys = tuple(w[1] for w in run.weights)
            series.append(Series(label, ys, panel=1, style="xy", x=xs))
        run = runs[0]
        caption = (
            f"lr = {run.lr:.3f}: after {steps} steps the loss is {run.final_loss:.3g} → "
            f"{run.verdict()}"
        )
        return Frame(tuple(series), caption=caption)

    panels = (Panel("loss", xlabel="step", log=True), Panel("w[1]", xlabel="w[0]", title="path"))
    return ExplorerModel(
        "SGD on the quadratic bowl", (control,), panels, compute, "loss", side_by_side=True
    )
