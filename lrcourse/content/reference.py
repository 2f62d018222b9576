"""The cheat sheet's data: every torch scheduler with its key parameters, read from torch itself.

Which parameters count as *key*, how often a scheduler is usually stepped and the one-line use case
are curated here (they are advice, not facts torch can report). Each parameter's default is read
from ``inspect.signature`` of the real class when the sheet is built, so it cannot drift from the
installed torch; a curated name torch does not accept raises ``SchedulerConfigError``.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any

from torch.optim import lr_scheduler

from lrcourse.errors import SchedulerConfigError
from lrcourse.trace import SCHEDULER_NAMES


class _Required:
    """Marker for a parameter with no default: the caller must pass it."""

    def __repr__(self) -> str:
        return "REQUIRED"


#: The default of a parameter torch makes the caller pass.
REQUIRED: Any = _Required()


@dataclass(frozen=True)
class SchedulerParam:
    """One constructor parameter of a scheduler and its default as torch declares it."""

    name: str
    default: Any  # REQUIRED when torch declares no default

    @property
    def required(self) -> bool:
        """Return True when the caller must pass this parameter."""
        return self.default is REQUIRED

    def describe(self) -> str:
        """Return ``name`` for a required parameter, else ``name=default`` as the cheat sheet shows it."""
        if self.required:
            return self.name
        value = self.default
        shown = repr(value)
        if isinstance(value, float) and len(shown) > 8:  # 0.3333333333333333 -> 0.3333
            shown = f"{value:.4g}"
        return f"{self.name}={shown}"


@dataclass(frozen=True)
class SchedulerInfo:
    """A cheat-sheet row: a scheduler, its key parameters, when to call ``step()``, what it is for."""

    name: str
    key_params: tuple[SchedulerParam, ...]
    step_per: str
    use_case: str


@dataclass(frozen=True)
class _Curated:
    key_params: tuple[str, ...]
    step_per: str
    use_case: str


PER_BATCH = "batch (designed for it)"
EITHER = "epoch or batch"
WITH_METRIC = "epoch, with the metric"
AS_CHILDREN = "as its children"

_CURATED: dict[str, _Curated] = {
    "LambdaLR": _Curated(
        ("lr_lambda",),
        EITHER,
        "Any rule written as a factor of the initial rate: lr = initial · f(n).",
    ),
    "MultiplicativeLR": _Curated(
        ("lr_lambda",),
        EITHER,
        "Multiply the current rate by f(n) at every step (recursive rule).",
    ),
    "StepLR": _Curated(
        ("step_size", "gamma"),
        EITHER,
        "Classic decay: multiply by gamma every step_size steps (epochs, if stepped per epoch).",
    ),
    "MultiStepLR": _Curated(
        ("milestones", "gamma"), EITHER, "Multiply by gamma at hand-picked step counts (epochs)."
    ),
    "ConstantLR": _Curated(
        ("factor", "total_iters"),
        EITHER,
        "Hold a reduced rate for total_iters steps, then the full one.",
    ),
    "LinearLR": _Curated(
        ("start_factor", "end_factor", "total_iters"),
        EITHER,
        "Linear warm-up (or linear decay) between two factors of the rate.",
    ),
    "ExponentialLR": _Curated(("gamma",), EITHER, "Smooth decay: multiply by gamma every step."),
    "PolynomialLR": _Curated(
        ("total_iters", "power"), EITHER, "Decay to zero in total_iters steps along a polynomial."
    ),
    "CosineAnnealingLR": _Curated(
        ("T_max", "eta_min"),
        EITHER,
        "Smooth cosine decay from the rate down to eta_min over T_max steps.",
    ),
    "CosineAnnealingWarmRestarts": _Curated(
        ("T_0", "T_mult", "eta_min"),
        EITHER,
        "Cosine decay restarted after T_0 steps, each cycle T_mult times longer (SGDR).",
    ),
    "CyclicLR": _Curated(
        ("base_lr", "max_lr", "step_size_up", "mode", "cycle_momentum"),
        PER_BATCH,
        "Rate sweeps between base_lr and max_lr, momentum in opposite phase.",
    ),
    "OneCycleLR": _Curated(
        ("max_lr", "total_steps", "epochs", "steps_per_epoch", "pct_start", "div_factor"),
        PER_BATCH,
        "Warm up to max_lr, then anneal far below the start: a fixed-budget run.",
    ),
    "ReduceLROnPlateau": _Curated(
        ("mode", "factor", "patience", "threshold", "cooldown", "min_lr"),
        WITH_METRIC,
        "Cut the rate when a validation metric stops improving.",
    ),
    "SequentialLR": _Curated(
        ("schedulers", "milestones"),
        AS_CHILDREN,
        "One scheduler after another, switching at milestones (warm-up → decay).",
    ),
    "ChainedScheduler": _Curated(
        ("schedulers",),
        AS_CHILDREN,
        "Several schedulers at once, each on the rate the others left; the factors multiply"
        " when every child multiplies the rate it finds.",
    ),
}


def _torch_params(name: str) -> dict[str, inspect.Parameter]:
    return dict(inspect.signature(getattr(lr_scheduler, name)).parameters)


def scheduler_info(name: str) -> SchedulerInfo:
    """Return the cheat-sheet row of scheduler ``name`` with defaults read from torch's signature."""
    if name not in _CURATED:
        raise SchedulerConfigError(
            f"No cheat-sheet entry for scheduler {name!r}; valid names: {', '.join(SCHEDULER_NAMES)}."
        )
    curated = _CURATED[name]
    accepted = _torch_params(name)
    params = []
    for param_name in curated.key_params:
        if param_name not in accepted:
            raise SchedulerConfigError(
                f"The cheat sheet lists parameter {param_name!r} for {name}, but torch's {name} "
                f"accepts only: {', '.join(accepted)}."
            )
        default = accepted[param_name].default
        params.append(
            SchedulerParam(param_name, REQUIRED if default is inspect.Parameter.empty else default)
        )
    return SchedulerInfo(name, tuple(params), curated.step_per, curated.use_case)


def scheduler_reference() -> tuple[SchedulerInfo, ...]:
    """Return one cheat-sheet row per scheduler in ``SCHEDULER_NAMES``, in that order."""
    return tuple(scheduler_info(name) for name in SCHEDULER_NAMES)


def scheduler_reference_markdown() -> str:
    """Return the cheat sheet as a Markdown table (required parameters have no ``=default``)."""
    lines = [
        "| scheduler | key parameters (torch defaults) | `step()` per (its lengths count these) | use it for |",
        "| --- | --- | --- | --- |",
    ]
    for info in scheduler_reference():
        params = ", ".join(f"`{param.describe()}`" for param in info.key_params)
        lines.append(f"| `{info.name}` | {params} | {info.step_per} | {info.use_case} |")
    return "\n".join(lines) + "\n"
