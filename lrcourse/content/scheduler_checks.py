"""Property checks a learner runs on a scheduler they wrote: does it behave like torch's own?

``check_scheduler(make_scheduler)`` builds the scheduler on real optimizers, steps it the way the
course teaches (``optimizer.step()`` then ``scheduler.step()``) and checks the properties a
``torch.optim.lr_scheduler`` scheduler is relied on for:

- ``runs``: it builds and steps without an error, every rate finite and >= 0;
- ``closed-form``: ``_get_closed_form_lr()`` (if defined) agrees with what ``step()`` produced;
- ``state-dict``: ``state_dict()`` survives ``torch.save``/``torch.load`` and ``load_state_dict``;
- ``resume``: stopping half-way, checkpointing and resuming gives the uninterrupted rates;
- ``param-groups``: each param group follows the schedule it would follow alone;
- ``reference``: (optional) the rates equal those of a reference scheduler;
- ``no-warnings``: torch emitted no warning while all of the above ran.

Every result says what was compared and, on failure, the first step where the rates differ.
"""

from __future__ import annotations

import io
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch

from lrcourse.content.scheduler_check_report import (
    CHECK_NAMES,
    DEFAULT_PARAM_GROUPS,
    CheckReport,
    Rates,
    SchedulerCheck,
    SchedulerCheckError,
)
from lrcourse.trace import SchedulerSpec, as_spec, build_optimizer, build_scheduler


class _LearnerCodeFailed(Exception):
    """Internal: the learner's scheduler raised; the message says where."""


def _groups_of(param_groups: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [dict(group) for group in param_groups]


def _rates_now(optimizer: torch.optim.Optimizer) -> list[float]:
    return [float(group["lr"]) for group in optimizer.param_groups]


def _build(
    make_scheduler: Callable[[torch.optim.Optimizer], Any],
    optimizer: torch.optim.Optimizer,
) -> Any:
    try:
        scheduler = make_scheduler(optimizer)
    except Exception as error:
        raise _LearnerCodeFailed(
            f"building the scheduler raised {type(error).__name__}: {error}"
        ) from None
    if not callable(getattr(scheduler, "step", None)):
        raise _LearnerCodeFailed(
            f"make_scheduler returned {type(scheduler).__name__}, which has no step(); it must "
            "return a scheduler, e.g. lambda optimizer: MyScheduler(optimizer, ...)"
        )
    return scheduler


def _step(optimizer: torch.optim.Optimizer, scheduler: Any, number: int) -> None:
    optimizer.step()
    try:
        scheduler.step()
    except Exception as error:
        raise _LearnerCodeFailed(
            f"scheduler.step() number {number} raised {type(error).__name__}: {error}"
        ) from None


def _run(
    make_scheduler: Callable[[torch.optim.Optimizer], Any],
    param_groups: Sequence[Mapping[str, Any]],
    lr: float,
    steps: int,
) -> Rates:
    """Return the rates after construction and after each of ``steps`` scheduler steps."""
    optimizer = _fresh_optimizer(param_groups, lr)
    scheduler = _build(make_scheduler, optimizer)
    rates = [_rates_now(optimizer)]
    for number in range(1, steps + 1):
        _step(optimizer, scheduler, number)
        rates.append(_rates_now(optimizer))
    return rates


def _close(a: float, b: float, rel_tol: float) -> bool:
    return math.isclose(a, b, rel_tol=rel_tol, abs_tol=1e-12)


def _first_difference(
    ours: Rates, theirs: Rates, rel_tol: float, offset: int = 0
) -> tuple[int, int, float, float] | None:
    """Return (step, group, ours, theirs) where two rate tables first differ, or None."""
    for t, (row_ours, row_theirs) in enumerate(zip(ours, theirs, strict=True)):
        for g, (a, b) in enumerate(zip(row_ours, row_theirs, strict=True)):
            if not _close(a, b, rel_tol):
                return t + offset, g, a, b
    return None


def _round_trip(value: Any) -> Any:
    """Return ``value`` after ``torch.save`` and ``torch.load`` (torch's default, weights_only)."""
    buffer = io.BytesIO()
    torch.save(value, buffer)
    buffer.seek(0)
    return torch.load(buffer)


def _same_state(a: Any, b: Any, rel_tol: float) -> bool:
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(_same_state(a[k], b[k], rel_tol) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(
            _same_state(x, y, rel_tol) for x, y in zip(a, b, strict=True)
        )
    if isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor):
        return a.shape == b.shape and bool(torch.allclose(a, b, rtol=rel_tol))
    if isinstance(a, float | int) and isinstance(b, float | int):
        return _close(float(a), float(b), rel_tol)
    return bool(a == b)


def _check_runs(rates: Rates) -> SchedulerCheck:
    for t, row in enumerate(rates):
        for g, value in enumerate(row):
            if not math.isfinite(value) or value < 0:
                return SchedulerCheck(
                    "runs",
                    "failed",
                    f"after {t} step(s) group {g}'s rate is {value!r}; a rate must be finite "
                    "and >= 0",
                )
    return SchedulerCheck(
        "runs", "passed", f"built and stepped {len(rates) - 1} times; every rate finite and >= 0"
    )


def _check_closed_form(
    make_scheduler: Callable[[torch.optim.Optimizer], Any],
    param_groups: Sequence[Mapping[str, Any]],
    lr: float,
    rates: Rates,
    rel_tol: float,
) -> SchedulerCheck:
    optimizer = _fresh_optimizer(param_groups, lr)
    fresh = _build(make_scheduler, optimizer)
    name = type(fresh).__name__
    if not hasattr(fresh, "_get_closed_form_lr"):
        return SchedulerCheck(
            "closed-form",
            "not applicable",
            f"{name} defines no _get_closed_form_lr, so step() always uses get_lr",
        )
    # A closed form depends on base_lrs and last_epoch only: evaluate it on a fresh scheduler,
    # whose optimizer still holds the starting rates, by setting last_epoch directly.
    closed: Rates = []
    for t in range(len(rates)):
        fresh.last_epoch = t
        try:
            closed.append([float(value) for value in fresh._get_closed_form_lr()])
        except Exception as error:
            raise _LearnerCodeFailed(
                f"_get_closed_form_lr() at last_epoch={t} raised {type(error).__name__}: {error}"
            ) from None
        if len(closed[-1]) != len(rates[t]):
            return SchedulerCheck(
                "closed-form",
                "failed",
                f"_get_closed_form_lr() returned {len(closed[-1])} rate(s) for "
                f"{len(rates[t])} param group(s)",
            )
    difference = _first_difference(rates, closed, rel_tol)
    if difference is not None:
        t, g, ours, theirs = difference
        return SchedulerCheck(
            "closed-form",
            "failed",
            f"at last_epoch={t}, group {g}: step() gave {ours!r} but _get_closed_form_lr() "
            f"gives {theirs!r}",
        )
    return SchedulerCheck(
        "closed-form",
        "passed",
        f"_get_closed_form_lr() equals step()'s rate at last_epoch 0..{len(rates) - 1}",
    )


def _fresh_optimizer(param_groups: Sequence[Mapping[str, Any]], lr: float) -> torch.optim.Optimizer:
    return build_optimizer("SGD", lr=lr, param_groups=_groups_of(param_groups))


def _stepped(
    make_scheduler: Callable[[torch.optim.Optimizer], Any],
    param_groups: Sequence[Mapping[str, Any]],
    lr: float,
    steps: int,
) -> tuple[torch.optim.Optimizer, Any]:
    """Return a fresh optimizer and its scheduler after ``steps`` optimizer+scheduler steps."""
    optimizer = _fresh_optimizer(param_groups, lr)
    scheduler = _build(make_scheduler, optimizer)
    for number in range(1, steps + 1):
        _step(optimizer, scheduler, number)
    return optimizer, scheduler


def _check_state_dict(
    make_scheduler: Callable[[torch.optim.Optimizer], Any],
    param_groups: Sequence[Mapping[str, Any]],
    lr: float,
    stop_at: int,
    rel_tol: float,
) -> SchedulerCheck:
    _optimizer, scheduler = _stepped(make_scheduler, param_groups, lr, stop_at)
    state = scheduler.state_dict()
    try:
        loaded = _round_trip(state)
    except Exception as error:
        return SchedulerCheck(
            "state-dict",
            "failed",
            f"torch.save/torch.load of state_dict() failed ({type(error).__name__}: {error}); "
            "keep only numbers, strings, lists, dicts and tensors in the scheduler's state",
        )
    restored = _build(
        make_scheduler,
        _fresh_optimizer(param_groups, lr),
    )
    try:
        restored.load_state_dict(loaded)
    except Exception as error:
        return SchedulerCheck(
            "state-dict",
            "failed",
            f"load_state_dict() raised {type(error).__name__}: {error}",
        )
    if not _same_state(restored.state_dict(), state, rel_tol):
        return SchedulerCheck(
            "state-dict",
            "failed",
            f"after load_state_dict(), state_dict() differs from the saved one: "
            f"saved {state!r}, restored {restored.state_dict()!r}",
        )
    return SchedulerCheck(
        "state-dict",
        "passed",
        f"state_dict() after {stop_at} steps survives torch.save/torch.load and load_state_dict()",
    )


def _check_resume(
    make_scheduler: Callable[[torch.optim.Optimizer], Any],
    param_groups: Sequence[Mapping[str, Any]],
    lr: float,
    rates: Rates,
    stop_at: int,
    rel_tol: float,
) -> SchedulerCheck:
    optimizer, scheduler = _stepped(make_scheduler, param_groups, lr, stop_at)
    try:
        checkpoint = _round_trip(
            {"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict()}
        )
    except Exception as error:
        return SchedulerCheck(
            "resume",
            "failed",
            f"the checkpoint could not be saved and loaded ({type(error).__name__}: {error})",
        )
    # The documented order: build the new scheduler first, then load the optimizer's state
    # (which restores its rates), then the scheduler's.
    new_optimizer = _fresh_optimizer(param_groups, lr)
    resumed = _build(make_scheduler, new_optimizer)
    try:
        new_optimizer.load_state_dict(checkpoint["optimizer"])
        resumed.load_state_dict(checkpoint["scheduler"])
    except Exception as error:
        return SchedulerCheck(
            "resume",
            "failed",
            f"loading the checkpoint raised {type(error).__name__}: {error}",
        )
    resumed_rates = [_rates_now(new_optimizer)]
    for number in range(stop_at + 1, len(rates)):
        _step(new_optimizer, resumed, number)
        resumed_rates.append(_rates_now(new_optimizer))
    difference = _first_difference(rates[stop_at:], resumed_rates, rel_tol, offset=stop_at)
    if difference is not None:
        t, g, ours, theirs = difference
        return SchedulerCheck(
            "resume",
            "failed",
            f"resumed from a checkpoint taken after {stop_at} steps: after {t} steps group {g} "
            f"is {theirs!r}, the uninterrupted run had {ours!r}",
        )
    return SchedulerCheck(
        "resume",
        "passed",
        f"checkpoint after {stop_at} steps, resumed: same rates up to step {len(rates) - 1}",
    )


def _check_param_groups(
    make_scheduler: Callable[[torch.optim.Optimizer], Any],
    param_groups: Sequence[Mapping[str, Any]],
    lr: float,
    rates: Rates,
    rel_tol: float,
) -> SchedulerCheck:
    if len(param_groups) < 2:
        return SchedulerCheck(
            "param-groups", "not applicable", "only one param group was given (pass two or more)"
        )
    steps = len(rates) - 1
    for g, group in enumerate(param_groups):
        try:
            alone = _run(make_scheduler, [group], lr, steps)
        except _LearnerCodeFailed as error:
            return SchedulerCheck(
                "param-groups",
                "not applicable",
                f"it cannot be built on a one-group optimizer ({error}), so groups cannot be "
                "compared with runs of their own",
            )
        together = [[row[g]] for row in rates]
        difference = _first_difference(together, alone, rel_tol)
        if difference is not None:
            t, _, ours, theirs = difference
            return SchedulerCheck(
                "param-groups",
                "failed",
                f"group {g} (lr={group.get('lr', lr)!r}) after {t} steps is {ours!r}; alone in its "
                f"optimizer it would be {theirs!r}",
            )
    return SchedulerCheck(
        "param-groups",
        "passed",
        f"each of the {len(param_groups)} groups follows the schedule it follows alone",
    )


def _check_reference(
    reference: Callable[[torch.optim.Optimizer], Any] | SchedulerSpec | tuple | None,
    param_groups: Sequence[Mapping[str, Any]],
    lr: float,
    rates: Rates,
    rel_tol: float,
) -> SchedulerCheck:
    if reference is None:
        return SchedulerCheck("reference", "not applicable", "no reference scheduler was given")
    if callable(reference) and not isinstance(reference, SchedulerSpec):
        make_reference = reference
        label = "the reference"
    else:
        spec = as_spec(reference)
        label = spec.label()

        def make_reference(optimizer: torch.optim.Optimizer) -> Any:
            return build_scheduler(optimizer, spec)

    try:
        reference_rates = _run(make_reference, param_groups, lr, len(rates) - 1)
    except _LearnerCodeFailed as error:
        # The reference is the yardstick, not the scheduler under test: a broken one is a mistake
        # in the call, reported as such.
        raise SchedulerCheckError(
            f"reference={reference!r} does not run ({error}); pass a SchedulerSpec, a "
            "(name, params) pair or a function optimizer -> torch scheduler"
        ) from None
    difference = _first_difference(rates, reference_rates, rel_tol)
    if difference is not None:
        t, g, ours, theirs = difference
        return SchedulerCheck(
            "reference",
            "failed",
            f"after {t} steps group {g} is {ours!r}; {label} gives {theirs!r}",
        )
    return SchedulerCheck(
        "reference", "passed", f"same rates as {label} for {len(rates) - 1} steps"
    )


def _validate(make_scheduler: Any, epochs: int, param_groups: Sequence[Mapping[str, Any]]) -> None:
    if not callable(make_scheduler):
        raise SchedulerCheckError(
            f"make_scheduler must be a function taking an optimizer and returning a scheduler, "
            f"e.g. lambda optimizer: MyScheduler(optimizer, ...); got {make_scheduler!r}"
        )
    if not isinstance(epochs, int) or epochs < 2:
        raise SchedulerCheckError(f"epochs must be an int >= 2 (steps to check), got {epochs!r}")
    if not param_groups or not all(isinstance(group, Mapping) for group in param_groups):
        raise SchedulerCheckError(
            "param_groups must be a non-empty list of dicts of group options, "
            f"e.g. [{{'lr': 0.1}}, {{'lr': 0.02}}]; got {param_groups!r}"
        )


def check_scheduler(
    make_scheduler: Callable[[torch.optim.Optimizer], Any],
    *,
    reference: Callable[[torch.optim.Optimizer], Any] | SchedulerSpec | tuple | None = None,
    epochs: int = 20,
    param_groups: Sequence[Mapping[str, Any]] = DEFAULT_PARAM_GROUPS,
    lr: float = 0.1,
    rel_tol: float = 1e-9,
) -> CheckReport:
    """Return a :class:`CheckReport` of every property check on ``make_scheduler``'s scheduler.

    ``make_scheduler(optimizer)`` must build a fresh scheduler on the optimizer it is given (it is
    called several times). The scheduler is stepped ``epochs`` times on an SGD optimizer with
    ``param_groups`` (groups without ``"lr"`` use ``lr``). ``reference`` is an optional scheduler
    to compare with: a ``SchedulerSpec``, a ``(name, params)`` pair or a function like
    ``make_scheduler``. Rates are compared with ``math.isclose(rel_tol=rel_tol)``.

    Example::

        report = check_scheduler(lambda opt: MyWarmupCosine(opt, warmup=3, total=20))
        print(report)            # one line per check
        report.raise_if_failed()  # for graders
    """
    _validate(make_scheduler, epochs, param_groups)
    stop_at = epochs // 2
    checks: list[SchedulerCheck] = []
    name = getattr(make_scheduler, "__name__", "scheduler")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            rates = _run(make_scheduler, param_groups, lr, epochs)
            name = type(
                _build(
                    make_scheduler,
                    _fresh_optimizer(param_groups, lr),
                )
            ).__name__
        except _LearnerCodeFailed as error:
            checks.append(SchedulerCheck("runs", "failed", str(error)))
            checks.extend(
                SchedulerCheck(other, "not run", "the scheduler does not run (see 'runs')")
                for other in CHECK_NAMES[1:]
            )
            return CheckReport(name, tuple(checks))
        checks.append(_check_runs(rates))
        steps: list[tuple[str, Callable[[], SchedulerCheck]]] = [
            (
                "closed-form",
                lambda: _check_closed_form(make_scheduler, param_groups, lr, rates, rel_tol),
            ),
            (
                "state-dict",
                lambda: _check_state_dict(make_scheduler, param_groups, lr, stop_at, rel_tol),
            ),
            (
                "resume",
                lambda: _check_resume(make_scheduler, param_groups, lr, rates, stop_at, rel_tol),
            ),
            (
                "param-groups",
                lambda: _check_param_groups(make_scheduler, param_groups, lr, rates, rel_tol),
            ),
            (
                "reference",
                lambda: _check_reference(reference, param_groups, lr, rates, rel_tol),
            ),
        ]
        for check_name, run_check in steps:
            try:
                checks.append(run_check())
            except _LearnerCodeFailed as error:
                checks.append(SchedulerCheck(check_name, "failed", str(error)))
    messages = sorted({f"{w.category.__name__}: {w.message}" for w in caught})
    if messages:
        checks.append(SchedulerCheck("no-warnings", "failed", "; ".join(messages)))
    else:
        checks.append(SchedulerCheck("no-warnings", "passed", "torch emitted no warning"))
    return CheckReport(name, tuple(checks))
