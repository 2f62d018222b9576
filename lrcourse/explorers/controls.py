"""The controls of every scheduler explorer, as data: parameter name, kind, range and default.

One table row per scheduler lists the constructor parameters a learner moves, spelled as torch
spells them. Both faces of an explorer read this table: the ipywidgets sliders in JupyterLab and
the kernel-free twin in the book (which precomputes torch traces over each control's values).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from lrcourse.errors import SchedulerConfigError
from lrcourse.trace import SCHEDULER_NAMES

ControlKind = Literal["int", "float", "log", "choice", "bool"]


@dataclass(frozen=True)
class Control:
    """One control: a parameter name, its kind, its discrete range and its default value.

    ``int``/``float`` controls run from ``low`` to ``high`` by ``step``; ``log`` controls take
    ``10 ** e`` for ``e`` from ``low`` to ``high`` by ``step``; ``choice`` controls offer
    ``options`` as ``(label, value)`` pairs (the value may be a function, e.g. an ``lr_lambda``).
    ``static=False`` keeps a control out of the book's precomputed twin (the kernel still has it).
    """

    name: str
    kind: ControlKind
    default: Any
    low: float = 0.0
    high: float = 1.0
    step: float = 1.0
    options: tuple[tuple[str, Any], ...] = ()
    static: bool = True
    description: str = ""

    def values(self) -> tuple[Any, ...]:
        """Return every value the control can take, in slider order."""
        if self.kind == "choice":
            return tuple(value for _label, value in self.options)
        if self.kind == "bool":
            return (False, True)
        count = round((self.high - self.low) / self.step) + 1
        grid = [self.low + i * self.step for i in range(count)]
        if self.kind == "int":
            return tuple(round(v) for v in grid)
        if self.kind == "log":
            return tuple(float(f"{10**e:.12g}") for e in grid)
        return tuple(float(f"{v:.12g}") for v in grid)

    def labels(self) -> tuple[str, ...]:
        """Return how each value is shown next to the control."""
        if self.kind == "choice":
            return tuple(label for label, _value in self.options)
        return tuple(format_value(v) for v in self.values())

    def index_of(self, value: Any) -> int:
        """Return the index of the value nearest to ``value`` (exact match for choices)."""
        values = self.values()
        if self.kind in ("choice", "bool"):
            for index, candidate in enumerate(values):
                if candidate is value or candidate == value:
                    return index
            raise SchedulerConfigError(
                f"{self.name}={value!r} is not one of the choices: {', '.join(self.labels())}"
            )
        if self.kind == "log":
            value = math.log10(value) if value > 0 else -math.inf
            values = tuple(math.log10(v) for v in values)
        return min(range(len(values)), key=lambda i: abs(values[i] - value))

    def label_of(self, value: Any) -> str:
        """Return how ``value`` is shown (a choice's label, or a number formatted briefly)."""
        if self.kind == "choice":
            for label, candidate in self.options:
                if candidate is value or candidate == value:
                    return label
        return format_value(value)


def format_value(value: Any) -> str:
    """Return a short, exact-enough text for a control value (``0.1``, ``5``, ``True``)."""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


@dataclass(frozen=True)
class Horizon:
    """How long the loop runs: ``epochs`` of ``steps_per_epoch`` batches, stepping per epoch or batch."""

    epochs: int
    steps_per_epoch: int
    step_per: str

    @property
    def scheduler_steps(self) -> int:
        """Return how many times ``scheduler.step()`` is called."""
        return self.epochs * (self.steps_per_epoch if self.step_per == "batch" else 1)


@dataclass(frozen=True)
class SchedulerControls:
    """A table row: the controls of one scheduler and how its explorer starts.

    ``derived`` fills parameters that must follow the loop (OneCycleLR's ``total_steps``);
    ``horizon_params`` are parameters set to the number of scheduler steps when the scheduler is
    compared with others by name; ``uses_lr`` is False when the scheduler overwrites the
    optimizer's ``lr`` itself (CyclicLR, OneCycleLR); ``momentum`` adds the momentum panel.
    """

    name: str
    controls: tuple[Control, ...]
    step_per: str = "epoch"
    uses_lr: bool = True
    momentum: bool = False
    derived: Callable[[Horizon], dict[str, Any]] | None = None
    horizon_params: tuple[str, ...] = ()

    def control(self, name: str) -> Control:
        """Return the control called ``name``."""
        for control in self.controls:
            if control.name == name:
                return control
        raise KeyError(name)


def _gamma(default: float, low: float = 0.1, high: float = 0.9, step: float = 0.1) -> Control:
    return Control("gamma", "float", default, low, high, step, description="factor per decay")


# Lambdas are the lesson for LambdaLR/MultiplicativeLR: their labels are the code a learner writes.
LAMBDA_CHOICES: tuple[tuple[str, Callable[[int], float]], ...] = (
    ("lambda epoch: 0.9 ** epoch", lambda epoch: 0.9**epoch),
    ("lambda epoch: min(1.0, (epoch + 1) / 5)", lambda epoch: min(1.0, (epoch + 1) / 5)),
    ("lambda epoch: 1 / (1 + epoch) ** 0.5", lambda epoch: 1 / (1 + epoch) ** 0.5),
    ("lambda epoch: 0.5 ** (epoch // 5)", lambda epoch: 0.5 ** (epoch // 5)),
)
MULTIPLICATIVE_CHOICES: tuple[tuple[str, Callable[[int], float]], ...] = (
    ("lambda epoch: 0.95", lambda epoch: 0.95),
    ("lambda epoch: 0.8", lambda epoch: 0.8),
    ("lambda epoch: 1.0 if epoch < 5 else 0.9", lambda epoch: 1.0 if epoch < 5 else 0.9),
    ("lambda epoch: 1.1", lambda epoch: 1.1),
)
MILESTONE_CHOICES: tuple[tuple[str, list[int]], ...] = tuple(
    (str(m), m) for m in ([5, 10], [5, 10, 15], [10, 15], [3, 6, 9, 12], [8])
)

_MOMENTUM_CONTROLS = (
    Control("cycle_momentum", "bool", True, static=False),
    Control("base_momentum", "float", 0.85, 0.5, 0.9, 0.05, static=False),
    Control("max_momentum", "float", 0.95, 0.9, 0.99, 0.01, static=False),
)

SCHEDULER_CONTROLS: Mapping[str, SchedulerControls] = {
    row.name: row
    for row in (
        SchedulerControls(
            "LambdaLR",
            (Control("lr_lambda", "choice", LAMBDA_CHOICES[0][1], options=LAMBDA_CHOICES),),
        ),
        SchedulerControls(
            "MultiplicativeLR",
            (
                Control(
                    "lr_lambda",
                    "choice",
                    MULTIPLICATIVE_CHOICES[0][1],
                    options=MULTIPLICATIVE_CHOICES,
                ),
            ),
        ),
        SchedulerControls("StepLR", (Control("step_size", "int", 5, 1, 10, 1), _gamma(0.5))),
        SchedulerControls(
            "MultiStepLR",
            (
                Control("milestones", "choice", MILESTONE_CHOICES[0][1], options=MILESTONE_CHOICES),
                _gamma(0.5),
            ),
        ),
        SchedulerControls(
            "ConstantLR",
            (
                Control("factor", "float", 0.3, 0.1, 1.0, 0.1),
                Control("total_iters", "int", 5, 0, 15, 1),
            ),
        ),
        SchedulerControls(
            "LinearLR",
            (
                Control("start_factor", "float", 0.3, 0.1, 1.0, 0.1),
                Control("end_factor", "float", 1.0, 0.1, 1.0, 0.1, static=False),
                Control("total_iters", "int", 5, 1, 15, 1),
            ),
        ),
        SchedulerControls("ExponentialLR", (_gamma(0.9, 0.5, 0.95, 0.05),)),
        SchedulerControls(
            "PolynomialLR",
            (
                Control("total_iters", "int", 15, 1, 20, 1),
                Control("power", "float", 1.0, 0.5, 3.0, 0.5),
            ),
            horizon_params=("total_iters",),
        ),
        SchedulerControls(
            "CosineAnnealingLR",
            (
                Control("T_max", "int", 20, 2, 40, 2),
                Control("eta_min", "float", 0.0, 0.0, 0.04, 0.01),
            ),
            horizon_params=("T_max",),
        ),
        SchedulerControls(
            "CosineAnnealingWarmRestarts",
            (
                Control("T_0", "int", 5, 1, 12, 1),
                Control("T_mult", "choice", 1, options=(("1", 1), ("2", 2), ("3", 3))),
                Control("eta_min", "float", 0.0, 0.0, 0.04, 0.01, static=False),
            ),
        ),
        SchedulerControls(
            "CyclicLR",
            (
                Control("base_lr", "log", 0.01, -3, -1.5, 0.5, static=False),
                Control("max_lr", "float", 0.1, 0.05, 0.3, 0.05),
                Control("step_size_up", "int", 5, 1, 10, 1),
                Control(
                    "mode",
                    "choice",
                    "triangular",
                    options=tuple((m, m) for m in ("triangular", "triangular2", "exp_range")),
                ),
                Control("gamma", "float", 0.9, 0.8, 1.0, 0.05, static=False),
                Control("cycle_momentum", "bool", True, static=False),
                Control("base_momentum", "float", 0.8, 0.5, 0.9, 0.05, static=False),
                Control("max_momentum", "float", 0.9, 0.9, 0.99, 0.01, static=False),
            ),
            step_per="batch",
            uses_lr=False,
            momentum=True,
        ),
        SchedulerControls(
            "OneCycleLR",
            (
                Control("max_lr", "log", 0.1, -2, 0, 0.5),
                Control("pct_start", "float", 0.3, 0.1, 0.9, 0.1),
                Control(
                    "anneal_strategy",
                    "choice",
                    "cos",
                    options=(("cos", "cos"), ("linear", "linear")),
                ),
                Control("div_factor", "float", 25.0, 5.0, 50.0, 5.0, static=False),
                Control("final_div_factor", "log", 1e4, 1, 5, 1, static=False),
                Control("three_phase", "bool", False, static=False),
                *_MOMENTUM_CONTROLS,
            ),
            step_per="batch",
            uses_lr=False,
            momentum=True,
            derived=lambda horizon: {"total_steps": horizon.scheduler_steps},
        ),
        SchedulerControls(
            "ReduceLROnPlateau",
            (
                Control("factor", "float", 0.5, 0.1, 0.9, 0.1),
                Control("patience", "int", 3, 0, 8, 1),
                Control("threshold", "log", 1e-4, -4, -1, 1),
                Control("cooldown", "int", 0, 0, 5, 1, static=False),
            ),
        ),
        SchedulerControls(
            "SequentialLR",
            (
                Control("start_factor", "float", 0.1, 0.1, 0.9, 0.2),
                Control("warmup_iters", "int", 5, 1, 10, 1, description="LinearLR total_iters"),
                Control("eta_min", "float", 0.0, 0.0, 0.04, 0.01, static=False),
            ),
        ),
        SchedulerControls(
            "ChainedScheduler",
            (
                Control("start_factor", "float", 0.1, 0.1, 0.9, 0.2),
                Control("warmup_iters", "int", 5, 1, 10, 1, description="LinearLR total_iters"),
                Control("eta_min", "float", 0.0, 0.0, 0.04, 0.01, static=False),
            ),
        ),
    )
}

# The loop around the scheduler: how long it runs and how often scheduler.step() is called.
EPOCHS = Control("epochs", "int", 20, 0, 60, 1, static=False)
STEPS_PER_EPOCH = Control("steps_per_epoch", "int", 4, 1, 20, 1, static=False)
STEP_PER = Control(
    "step_per",
    "choice",
    "epoch",
    options=(("per epoch", "epoch"), ("per batch", "batch")),
    description="scheduler.step()",
)
LR = Control("lr", "log", 0.1, -3, 0, 0.5, description="optimizer lr", static=False)

assert set(SCHEDULER_CONTROLS) == set(SCHEDULER_NAMES), "every scheduler needs a table row"


@dataclass
class Settings:
    """The current value of every control of one explorer, by control name."""

    values: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    def get(self, name: str, default: Any = None) -> Any:
        """Return the value of control ``name``, or ``default`` when the explorer has no such control."""
        return self.values.get(name, default)

    def horizon(self) -> Horizon:
        """Return the loop these settings describe."""
        return Horizon(
            int(self.values.get("epochs", EPOCHS.default)),
            int(self.values.get("steps_per_epoch", 1)),
            str(self.values.get("step_per", STEP_PER.default)),
        )


def controls_for(name: str) -> SchedulerControls:
    """Return the table row of scheduler ``name``, or raise an error listing the valid names."""
    if name not in SCHEDULER_CONTROLS:
        from lrcourse.trace import scheduler_class

        scheduler_class(name)  # raises with a did-you-mean hint
    return SCHEDULER_CONTROLS[name]


def widen(control: Control, value: Any) -> Control:
    """Return ``control`` with its range stretched to include ``value`` (a learner's own setting)."""
    if control.kind in ("choice", "bool") or not isinstance(value, int | float):
        return control
    from dataclasses import replace

    if control.kind == "log":
        if value <= 0:
            return control
        exponent = math.log10(value)
        return replace(control, low=min(control.low, exponent), high=max(control.high, exponent))
    low, high = min(control.low, value), max(control.high, value)
    # keep the grid: move the ends out by whole steps
    low = control.low - math.ceil((control.low - low) / control.step) * control.step
    high = control.high + math.ceil((high - control.high) / control.step) * control.step
    return replace(control, low=low, high=high, default=value)


def with_defaults(controls: Sequence[Control], params: Mapping[str, Any]) -> tuple[Control, ...]:
    """Return ``controls`` whose defaults are taken from ``params`` where given (ranges widened)."""
    from dataclasses import replace

    out = []
    for control in controls:
        if control.name in params:
            value = params[control.name]
            if control.kind == "choice" and not any(
                v is value or v == value for v in control.values()
            ):
                label = getattr(value, "__name__", None) or repr(value)
                control = replace(control, options=(*control.options, (label, value)))
            control = replace(widen(control, value), default=value)
        out.append(control)
    return tuple(out)
