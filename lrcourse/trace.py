"""Run real ``torch.optim.lr_scheduler`` schedulers and record the learning rates they produce.

This is the course's source of truth: every curve, printed value and quiz key about a schedule
comes from stepping a real optimizer and a real scheduler, in the order PyTorch >= 1.1 requires
(``optimizer.step()`` first, then ``scheduler.step()``). No scheduler formula is re-derived here.
"""

from __future__ import annotations

import difflib
import inspect
import math
import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import torch
from torch.optim import lr_scheduler

from lrcourse.errors import SchedulerConfigError, ScheduleRunError

#: The 15 schedulers of ``torch.optim.lr_scheduler``, spelled as torch spells the classes.
SCHEDULER_NAMES: tuple[str, ...] = (
    "LambdaLR",
    "MultiplicativeLR",
    "StepLR",
    "MultiStepLR",
    "ConstantLR",
    "LinearLR",
    "ExponentialLR",
    "PolynomialLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "CyclicLR",
    "OneCycleLR",
    "ReduceLROnPlateau",
    "SequentialLR",
    "ChainedScheduler",
)

#: Schedulers that wrap other schedulers; their ``schedulers`` parameter holds child specs.
COMPOSITE_SCHEDULERS = frozenset({"SequentialLR", "ChainedScheduler"})

#: Schedulers whose ``step()`` needs the metric being monitored.
METRIC_SCHEDULERS = frozenset({"ReduceLROnPlateau"})

StepPer = Literal["epoch", "batch"]
StepOrder = Literal["optimizer-first", "scheduler-first"]


@dataclass(frozen=True)
class SchedulerSpec:
    """A scheduler described by its torch class name and constructor parameters (minus the optimizer).

    For ``SequentialLR`` and ``ChainedScheduler`` the ``schedulers`` parameter is a list of child
    specs (``SchedulerSpec`` or ``(name, params)`` pairs); they are built on the same optimizer, in
    order, exactly as user code would build them.
    """

    name: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def label(self) -> str:
        """Return a short human-readable label such as ``StepLR(step_size=2, gamma=0.5)``."""
        shown = []
        for key, value in self.params.items():
            if key == "schedulers":
                value = "[" + ", ".join(as_spec(child).label() for child in value) + "]"
            elif callable(value):
                value = getattr(value, "__name__", "fn")
            shown.append(f"{key}={value}")
        return f"{self.name}({', '.join(shown)})"


@dataclass(frozen=True)
class CapturedWarning:
    """A warning torch emitted while the schedule ran, with its category name and exact text."""

    category: str
    message: str


@dataclass(frozen=True)
class ScheduleTrace:
    """The learning rates (and momentums) a real optimizer used, one value per ``optimizer.step()``.

    ``lrs[g][i]`` is the rate of param group ``g`` when optimizer step ``i`` ran; ``momentums`` holds
    SGD's ``momentum`` or Adam's ``betas[0]`` the same way. ``final_lrs`` is what ``get_last_lr()``
    returns after the last ``scheduler.step()``: the rate the next step would use.
    """

    label: str
    lrs: tuple[tuple[float, ...], ...]
    momentums: tuple[tuple[float, ...], ...] | None
    final_lrs: tuple[float, ...]
    steps_per_epoch: int
    step_per: StepPer
    warnings: tuple[CapturedWarning, ...] = ()

    @property
    def lr(self) -> tuple[float, ...]:
        """Return the rates of the first param group."""
        return self.lrs[0]

    @property
    def steps(self) -> range:
        """Return the optimizer step indices 0 .. n-1."""
        return range(len(self.lrs[0]))

    @property
    def epochs(self) -> tuple[float, ...]:
        """Return each optimizer step's position measured in epochs (step / steps_per_epoch)."""
        return tuple(step / self.steps_per_epoch for step in self.steps)

    def warning_messages(self) -> list[str]:
        """Return the text of every warning torch emitted during the run."""
        return [w.message for w in self.warnings]


def as_spec(spec: SchedulerSpec | tuple[str, Mapping[str, Any]] | str) -> SchedulerSpec:
    """Return ``spec`` as a :class:`SchedulerSpec` (accepts a spec, a ``(name, params)`` pair or a name)."""
    if isinstance(spec, SchedulerSpec):
        return spec
    if isinstance(spec, str):
        return SchedulerSpec(spec)
    if isinstance(spec, tuple) and len(spec) == 2 and isinstance(spec[0], str):
        return SchedulerSpec(spec[0], dict(spec[1]))
    raise SchedulerConfigError(
        f"cannot read {spec!r} as a scheduler: use SchedulerSpec(name, params) or a (name, params) pair"
    )


def scheduler_class(name: str) -> type:
    """Return the torch scheduler class called ``name``, or raise an error listing valid names."""
    if name not in SCHEDULER_NAMES:
        close = difflib.get_close_matches(name, SCHEDULER_NAMES, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise SchedulerConfigError(
            f"unknown scheduler {name!r}.{hint} Valid names: {', '.join(SCHEDULER_NAMES)}."
        )
    return getattr(lr_scheduler, name)


def scheduler_parameters(name: str) -> dict[str, inspect.Parameter]:
    """Return the constructor parameters of scheduler ``name``, without ``self`` and ``optimizer``."""
    signature = inspect.signature(scheduler_class(name))
    return {
        key: parameter
        for key, parameter in signature.parameters.items()
        if key not in ("self", "optimizer")
        and parameter.kind not in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD)
    }


def _check_parameter_names(spec: SchedulerSpec) -> None:
    known = scheduler_parameters(spec.name)
    for key in spec.params:
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise SchedulerConfigError(
                f"{spec.name} has no parameter {key!r}.{hint} "
                f"Its parameters are: {', '.join(known)}."
            )
    missing = [
        key
        for key, parameter in known.items()
        if parameter.default is inspect.Parameter.empty and key not in spec.params
    ]
    if missing:
        raise SchedulerConfigError(
            f"{spec.name} needs the parameter(s) {', '.join(missing)}: "
            f"e.g. {spec.name}(optimizer, {', '.join(f'{m}=...' for m in missing)})."
        )


def _named_parameter(spec: SchedulerSpec, message: str) -> str:
    """Return the parameter name a torch error message is about (best effort)."""
    for key in sorted(spec.params, key=len, reverse=True):
        if re.search(rf"\b{re.escape(key)}\b", message):
            return key
    for key in sorted(scheduler_parameters(spec.name), key=len, reverse=True):
        if re.search(rf"\b{re.escape(key)}\b", message):
            return key
    return ", ".join(spec.params) or "(defaults)"


def build_scheduler(optimizer: torch.optim.Optimizer, spec: SchedulerSpec) -> Any:
    """Build the real torch scheduler ``spec`` describes on ``optimizer``.

    Torch's own ``TypeError``/``ValueError`` is re-raised as :class:`SchedulerConfigError` naming
    the parameter, so the learner never sees a traceback from inside torch.
    """
    spec = as_spec(spec)
    cls = scheduler_class(spec.name)
    _check_parameter_names(spec)
    params = dict(spec.params)
    if spec.name in COMPOSITE_SCHEDULERS:
        children = params.get("schedulers")
        if not isinstance(children, Sequence) or isinstance(children, str) or not children:
            raise SchedulerConfigError(
                f"{spec.name} needs 'schedulers': a non-empty list of child schedulers"
            )
        params["schedulers"] = [build_scheduler(optimizer, as_spec(child)) for child in children]
        if spec.name == "ChainedScheduler":
            params.setdefault("optimizer", optimizer)
            try:
                return cls(**params)
            except (TypeError, ValueError, ZeroDivisionError) as error:
                raise SchedulerConfigError(
                    f"{spec.label()}: invalid 'schedulers': {error}"
                ) from None
    try:
        return cls(optimizer, **params)
    except (TypeError, ValueError, ZeroDivisionError, IndexError, KeyError) as error:
        parameter = _named_parameter(spec, str(error))
        raise SchedulerConfigError(f"{spec.label()}: invalid {parameter!r}: {error}") from None


def build_optimizer(
    optimizer: str = "SGD",
    *,
    lr: float = 0.1,
    param_groups: Sequence[Mapping[str, Any]] | None = None,
    optimizer_params: Mapping[str, Any] | None = None,
) -> torch.optim.Optimizer:
    """Return a real optimizer over throwaway parameters, one parameter per param group.

    ``param_groups`` are dicts of per-group options (e.g. ``[{"lr": 0.1}, {"lr": 0.01}]``);
    groups without an ``lr`` use ``lr``.
    """
    groups = [dict(group) for group in (param_groups or [{}])]
    for group in groups:
        group["params"] = [torch.nn.Parameter(torch.zeros(1))]
    options = dict(optimizer_params or {})
    if optimizer == "SGD":
        options.setdefault("momentum", 0.9)
    try:
        optimizer_class = getattr(torch.optim, optimizer)
    except AttributeError:
        raise SchedulerConfigError(
            f"unknown optimizer {optimizer!r}: use a class of torch.optim such as 'SGD' or 'AdamW'"
        ) from None
    try:
        return optimizer_class(groups, lr=lr, **options)
    except (TypeError, ValueError) as error:
        raise SchedulerConfigError(f"{optimizer}(lr={lr}, ...): {error}") from None


def current_momentums(optimizer: torch.optim.Optimizer) -> tuple[float, ...] | None:
    """Return each group's momentum (SGD ``momentum``, Adam-style ``betas[0]``), or None if it has none."""
    values = []
    for group in optimizer.param_groups:
        if "betas" in group:
            values.append(float(group["betas"][0]))
        elif "momentum" in group:
            values.append(float(group["momentum"]))
        else:
            return None
    return tuple(values)


def trace_scheduler(
    make_scheduler: Callable[[torch.optim.Optimizer], Any],
    *,
    epochs: int,
    steps_per_epoch: int = 1,
    step_per: StepPer = "epoch",
    lr: float = 0.1,
    param_groups: Sequence[Mapping[str, Any]] | None = None,
    optimizer: str = "SGD",
    optimizer_params: Mapping[str, Any] | None = None,
    metrics: Sequence[float] | None = None,
    order: StepOrder = "optimizer-first",
    label: str | None = None,
) -> ScheduleTrace:
    """Return the rates a real optimizer uses when ``make_scheduler(optimizer)`` drives it.

    The loop is the one the course teaches: ``epochs`` epochs of ``steps_per_epoch`` batches, an
    ``optimizer.step()`` per batch, and ``scheduler.step()`` after it once per batch
    (``step_per="batch"``) or once per epoch (``step_per="epoch"``). ``order="scheduler-first"``
    reproduces the pre-1.1 mistake so its effect and torch's warning can be shown. ``metrics``
    feeds ``ReduceLROnPlateau``: one value per ``scheduler.step()``.
    """
    if epochs < 0 or steps_per_epoch < 1:
        raise SchedulerConfigError(
            f"need epochs >= 0 and steps_per_epoch >= 1, got epochs={epochs}, "
            f"steps_per_epoch={steps_per_epoch}"
        )
    if step_per not in ("epoch", "batch"):
        raise SchedulerConfigError(f"step_per must be 'epoch' or 'batch', not {step_per!r}")
    if order not in ("optimizer-first", "scheduler-first"):
        raise SchedulerConfigError(
            f"order must be 'optimizer-first' or 'scheduler-first', not {order!r}"
        )
    opt = build_optimizer(
        optimizer, lr=lr, param_groups=param_groups, optimizer_params=optimizer_params
    )
    group_count = len(opt.param_groups)
    lrs: list[list[float]] = [[] for _ in range(group_count)]
    momentums: list[tuple[float, ...]] = []
    scheduler_steps = epochs * (steps_per_epoch if step_per == "batch" else 1)
    metric_values = list(metrics) if metrics is not None else None

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scheduler = make_scheduler(opt)
        needs_metric = isinstance(scheduler, lr_scheduler.ReduceLROnPlateau)
        if needs_metric and (metric_values is None or len(metric_values) < scheduler_steps):
            have = 0 if metric_values is None else len(metric_values)
            raise SchedulerConfigError(
                f"ReduceLROnPlateau.step(metric) needs one metric value per scheduler step: "
                f"{scheduler_steps} needed, {have} given (pass metrics=[...])"
            )
        if not needs_metric and metric_values is not None:
            raise SchedulerConfigError(
                f"metrics were given but {type(scheduler).__name__} does not take a metric; "
                "only ReduceLROnPlateau does"
            )
        taken = 0

        def step_scheduler() -> None:
            nonlocal taken
            try:
                if needs_metric:
                    assert metric_values is not None  # checked above: one value per step
                    scheduler.step(metric_values[taken])
                else:
                    scheduler.step()
            except (ValueError, ZeroDivisionError, IndexError, OverflowError) as error:
                raise ScheduleRunError(
                    f"{label or type(scheduler).__name__}: scheduler.step() number {taken + 1} "
                    f"failed: {error}"
                ) from None
            taken += 1

        for _epoch in range(epochs):
            for batch in range(steps_per_epoch):
                last_batch = batch == steps_per_epoch - 1
                steps_now = step_per == "batch" or last_batch
                if order == "scheduler-first" and steps_now:
                    step_scheduler()
                for group_index, group in enumerate(opt.param_groups):
                    lrs[group_index].append(float(group["lr"]))
                momentum = current_momentums(opt)
                if momentum is not None:
                    momentums.append(momentum)
                opt.step()
                if order == "optimizer-first" and steps_now:
                    step_scheduler()
        final_lrs = tuple(float(group["lr"]) for group in opt.param_groups)

    for group_index, values in enumerate(lrs):
        bad = next((i for i, v in enumerate(values) if v < 0 or not math.isfinite(v)), None)
        if bad is not None:
            raise ScheduleRunError(
                f"{label or type(scheduler).__name__}: the learning rate of group {group_index} "
                f"became {values[bad]!r} at step {bad}; a rate must stay finite and >= 0 "
                "(check gamma, factors and bounds)"
            )

    momentum_trace = None
    if momentums:
        momentum_trace = tuple(tuple(m[g] for m in momentums) for g in range(group_count))
    return ScheduleTrace(
        label=label or type(scheduler).__name__,
        lrs=tuple(tuple(values) for values in lrs),
        momentums=momentum_trace,
        final_lrs=final_lrs,
        steps_per_epoch=steps_per_epoch,
        step_per=step_per,
        warnings=tuple(CapturedWarning(w.category.__name__, str(w.message)) for w in caught),
    )


def trace_schedule(
    scheduler_name: str | SchedulerSpec,
    params: Mapping[str, Any] | None = None,
    **options: Any,
) -> ScheduleTrace:
    """Return the trace of the built-in scheduler ``scheduler_name`` built with ``params``.

    ``options`` are those of :func:`trace_scheduler` (``epochs`` is required). Example::

        trace_schedule("StepLR", {"step_size": 2, "gamma": 0.5}, epochs=4).lr
        # (0.1, 0.1, 0.05, 0.05)
    """
    if isinstance(scheduler_name, SchedulerSpec):
        if params:
            raise SchedulerConfigError("pass params inside the SchedulerSpec, not beside it")
        spec = scheduler_name
    else:
        spec = SchedulerSpec(scheduler_name, dict(params or {}))
    build_scheduler_check = scheduler_class(spec.name)  # fail on a bad name before anything runs
    del build_scheduler_check
    options.setdefault("label", spec.label())
    return trace_scheduler(lambda opt: build_scheduler(opt, spec), **options)
