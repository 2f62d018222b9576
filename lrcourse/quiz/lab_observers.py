"""The per-kind observers of a code lab: what the learner's scheduler does under real torch.

Each observer takes the learner's namespace (``lab_namespace.py``) and one check's public
settings (drawn by the grader for this run) and returns plain data: rates, warnings, a
``state_dict()`` before and after a reload, a value, the properties ``check_scheduler`` looks
at. Nothing here judges: the grader compares these observations with torch in its own process
(``judge.py``). :data:`OBSERVERS` maps a check's ``kind`` to its observer.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

from lrcourse.quiz.lab_namespace import _optimizer, _rates, describe_error


def _plain(value: Any) -> Any:
    """Return ``value`` as JSON data: tensors and numbers become floats, callables their names."""
    import torch

    if isinstance(value, torch.Tensor):
        return value.tolist()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    return f"<{type(value).__name__}>"


def observe_trace(ns: dict[str, Any], check: dict[str, Any]) -> dict[str, Any]:
    """Return the learner scheduler's rates over the check's loop (``lrcourse.trace_scheduler``)."""
    from lrcourse.trace import trace_scheduler

    trace = trace_scheduler(
        lambda opt: eval(check["build"], {**ns, "opt": opt}),
        epochs=check["epochs"],
        steps_per_epoch=check.get("steps_per_epoch", 1),
        step_per=check.get("step_per", "epoch"),
        lr=check.get("lr", 0.1),
        param_groups=check.get("param_groups"),
        optimizer=check.get("optimizer", "SGD"),
    )
    return {
        "lrs": [list(g) for g in trace.lrs],
        "final_lrs": list(trace.final_lrs),
        "warnings": trace.warning_messages(),
    }


def observe_state_dict(ns: dict[str, Any], check: dict[str, Any]) -> dict[str, Any]:
    """Return the scheduler's ``state_dict()`` and ``get_last_lr()`` before and after a reload."""
    build = check["build"]
    opt = _optimizer(check.get("lr", 0.1), check.get("param_groups"))
    scheduler = eval(build, {**ns, "opt": opt})
    for _ in range(check.get("steps", 3)):
        opt.step()
        scheduler.step()
    saved = scheduler.state_dict()
    fresh_opt = _optimizer(check.get("lr", 0.1), check.get("param_groups"))
    fresh = eval(build, {**ns, "opt": fresh_opt})
    fresh.load_state_dict(saved)
    return {
        "saved": _plain(saved),
        "reloaded": _plain(fresh.state_dict()),
        "last_lr": _plain(scheduler.get_last_lr()),
        "reloaded_last_lr": _plain(fresh.get_last_lr()),
    }


def observe_resume(ns: dict[str, Any], check: dict[str, Any]) -> dict[str, Any]:
    """Return the rates of one uninterrupted run and of a run saved, rebuilt and resumed."""
    build, lr, groups = check["build"], check.get("lr", 0.1), check.get("param_groups")
    stop, total = check["stop_after"], check["total"]

    def steps(opt: Any, scheduler: Any, count: int) -> list[list[float]]:
        seen = []
        for _ in range(count):
            seen.append(_rates(opt))
            opt.step()
            scheduler.step()
        return seen

    opt = _optimizer(lr, groups)
    straight = steps(opt, eval(build, {**ns, "opt": opt}), total)
    opt = _optimizer(lr, groups)
    scheduler = eval(build, {**ns, "opt": opt})
    first = steps(opt, scheduler, stop)
    opt_state, scheduler_state = opt.state_dict(), scheduler.state_dict()
    new_opt = _optimizer(lr, groups)
    new_scheduler = eval(build, {**ns, "opt": new_opt})
    new_opt.load_state_dict(opt_state)
    new_scheduler.load_state_dict(scheduler_state)
    resumed = first + steps(new_opt, new_scheduler, total - stop)
    return {"straight": straight, "resumed": resumed}


def observe_warnings(ns: dict[str, Any], check: dict[str, Any]) -> dict[str, Any]:
    """Return every warning emitted while building and stepping the learner's scheduler."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        opt = _optimizer(0.1, None)
        scheduler = eval(check["build"], {**ns, "opt": opt})
        for _ in range(check.get("epochs", 5)):
            opt.step()
            scheduler.step()
    return {"warnings": [f"{w.category.__name__}: {w.message}" for w in caught]}


def observe_value(ns: dict[str, Any], check: dict[str, Any]) -> dict[str, Any]:
    """Return the value of the learner expression, on the inputs the grader drew for this run."""
    seen = {"value": _plain(eval(check["expression"], {**ns, **check.get("values", {})}))}
    if "more_values" in check:  # graded work draws several inputs
        seen["more"] = [
            _plain(eval(check["expression"], {**ns, **values})) for values in check["more_values"]
        ]
    return seen


def _round_trip(value: Any) -> Any:
    """Return ``value`` after ``torch.save`` and ``torch.load`` (torch's default, weights_only)."""
    import io

    import torch

    buffer = io.BytesIO()
    torch.save(value, buffer)
    buffer.seek(0)
    return torch.load(buffer)


def _attempt(record: Callable[[], Any]) -> Any:
    """Return what ``record()`` returns, or ``{"error": ...}`` when the learner's code raised."""
    try:
        return record()
    except Exception as error:
        return {"error": describe_error(error)}


def observe_properties(ns: dict[str, Any], check: dict[str, Any]) -> dict[str, Any]:
    """Record what ``lrcourse.check_scheduler`` looks at; the grader decides each property.

    The scheduler is stepped ``epochs`` times (``optimizer.step()`` then ``scheduler.step()``);
    recorded: the rates after construction and each step, ``_get_closed_form_lr()`` at every
    ``last_epoch`` of a fresh one (None when it has none), its ``state_dict()`` before and after
    a ``torch.save``/``torch.load`` and ``load_state_dict`` round trip, the rates of a run
    checkpointed after ``stop_after`` steps and resumed, each group's rates alone in its own
    optimizer, and every warning torch emitted meanwhile.
    """
    build, lr, epochs = check["build"], check.get("lr", 0.1), int(check["epochs"])
    groups = check.get("param_groups") or [{"lr": 0.1}, {"lr": 0.02}]
    stop = int(check.get("stop_after", epochs // 2))

    def make(param_groups: list[dict[str, float]]) -> tuple[Any, Any]:
        opt = _optimizer(lr, [dict(g) for g in param_groups])
        return opt, eval(build, {**ns, "opt": opt})

    def run(param_groups: list[dict[str, float]], steps: int) -> tuple[Any, Any, list[Any]]:
        opt, scheduler = make(param_groups)
        seen = [_rates(opt)]
        for _ in range(steps):
            opt.step()
            scheduler.step()
            seen.append(_rates(opt))
        return opt, scheduler, seen

    def closed_form() -> Any:
        _, fresh = make(groups)
        if not hasattr(fresh, "_get_closed_form_lr"):
            return None
        out = []
        for t in range(epochs + 1):
            fresh.last_epoch = t
            out.append([float(v) for v in fresh._get_closed_form_lr()])
        return out

    def state_dict() -> Any:
        _, scheduler, _ = run(groups, stop)
        saved = scheduler.state_dict()
        try:
            loaded = _round_trip(saved)
        except Exception as error:
            return {"save_error": f"{type(error).__name__}: {error}"[:300]}
        _, restored = make(groups)
        restored.load_state_dict(loaded)
        return {"saved": _plain(saved), "restored": _plain(restored.state_dict())}

    def resume() -> Any:
        opt, scheduler, _ = run(groups, stop)
        try:
            checkpoint = _round_trip(
                {"optimizer": opt.state_dict(), "scheduler": scheduler.state_dict()}
            )
        except Exception as error:
            return {"save_error": f"{type(error).__name__}: {error}"[:300]}
        new_opt, resumed = make(groups)
        new_opt.load_state_dict(checkpoint["optimizer"])
        resumed.load_state_dict(checkpoint["scheduler"])
        seen = [_rates(new_opt)]
        for _ in range(stop + 1, epochs + 1):
            new_opt.step()
            resumed.step()
            seen.append(_rates(new_opt))
        return seen

    def alone() -> Any:
        return [run([group], epochs)[2] for group in groups]

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rates = run(groups, epochs)[2]  # raises: the scheduler does not run at all
        found = {
            "rates": rates,
            "stop_after": stop,
            "closed_form": _attempt(closed_form),
            "state_dict": _attempt(state_dict),
            "resume": _attempt(resume),
            "alone": _attempt(alone) if len(groups) > 1 else None,
        }
    found["warnings"] = sorted({f"{w.category.__name__}: {w.message}" for w in caught})
    return found


OBSERVERS: dict[str, Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]] = {
    "trace": observe_trace,
    "state_dict": observe_state_dict,
    "resume": observe_resume,
    "no_warnings": observe_warnings,
    "value": observe_value,
    "properties": observe_properties,
}


def built_classes(ns: dict[str, Any], build: str) -> list[str]:
    """Return ``module.qualname`` of every class of what ``build`` makes, most derived first."""
    opt = _optimizer(0.1, None)
    made = eval(build, {**ns, "opt": opt})
    return [f"{cls.__module__}.{cls.__qualname__}" for cls in type(made).__mro__]
