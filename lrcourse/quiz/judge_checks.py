"""Judge one check's observation against torch run in this process: trace, value, resume and more.

Every number a run reports is validated first: a non-finite or absurd value (inf, nan, a
400-digit integer, a string where a rate belongs) fails its check with a reason that says so; a
reply of the wrong shape raises :class:`ObservationError`. A ``trace`` check is compared with
torch's own trace of the check's ``reference``, a ``value`` check with torch's value of its
``expected`` expression on the run's drawn inputs (each of them, for graded work), a ``resume``
with the uninterrupted run and, when a trace check builds the same scheduler, with torch's trace;
``properties`` checks decide ``lrcourse.check_scheduler``'s properties from what the run
recorded (:func:`judge_properties`): nothing that judges runs inside the run. ``reveal=False``
(graded work) keeps this run's inputs, torch's values and the reference's name out of the
feedback. How the verdicts add up to a grade is ``judge.py``'s job.
"""

from __future__ import annotations

from typing import Any

from lrcourse.quiz.errors import QuizAnswerError
from lrcourse.quiz.loops import finite


class ObservationError(QuizAnswerError):
    """A run's observations are not of the shape its job asks for (it wrote its own reply)."""


def _show(value: Any) -> str:
    number = finite(value)
    if number is not None:
        return f"{number:.6g}"
    if (
        isinstance(value, list)
        and 0 < len(value) <= 4
        and all(finite(v) is not None for v in value)
    ):
        return "[" + ", ".join(f"{float(v):.6g}" for v in value) + "]"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _close(a: object, b: object, rel: float = 1e-9) -> bool:
    """Return True when both are equally long lists of finite numbers within ``rel`` of each other.

    Either side may come from a run (``last_lr`` against ``reloaded_last_lr``), so neither is
    trusted to be a list: a number or ``None`` there is simply not close.
    """
    if not isinstance(a, list | tuple) or not isinstance(b, list | tuple) or len(a) != len(b):
        return False
    for x, y in zip(a, b, strict=True):
        fx, fy = finite(x), finite(y)
        if fx is None or fy is None:
            return False
        if fx != fy and abs(fx - fy) > rel * max(abs(fx), abs(fy)):
            return False
    return True


def _rates(value: Any, what: str) -> list[list[Any]]:
    if not isinstance(value, list) or not all(isinstance(group, list) for group in value):
        raise ObservationError(f"the run's {what} are not lists of rates per group")
    return value


def _torch_reference(expression: str, **names: Any) -> Any:
    from lrcourse.quiz.labs import torch_names

    return eval(expression, {**torch_names(), **names})


def _rate_table(value: Any, what: str) -> list[list[Any]]:
    if not isinstance(value, list) or not all(isinstance(row, list) for row in value):
        raise ObservationError(f"the run's {what} are not a table of rates")
    return value


def _failed_step(ours: list[list[Any]], theirs: list[list[Any]], offset: int = 0) -> str | None:
    for t, (a, b) in enumerate(zip(ours, theirs, strict=False)):
        if not _close(a, b):
            return f"after {t + offset} steps: {_show(a)} against {_show(b)}"
    if len(ours) != len(theirs):
        return f"{len(theirs)} steps recorded where {len(ours)} were expected"
    return None


def judge_properties(seen: dict[str, Any], epochs: int) -> list[tuple[str, bool, str]]:
    """Return ``(property, passed, what was seen)`` for each ``check_scheduler`` property.

    Decided here, in the grader, from what the run recorded (``labs.observe_properties``): the
    same properties ``lrcourse.check_scheduler`` reports (runs, closed-form, state-dict, resume,
    param-groups, no-warnings), each "not applicable" case passing as it does there.
    """
    rates = _rate_table(seen.get("rates"), "rates")
    out: list[tuple[str, bool, str]] = []
    bad = [
        (t, g, v)
        for t, row in enumerate(rates)
        for g, v in enumerate(row)
        if finite(v) is None or float(v) < 0
    ]
    if len(rates) != epochs + 1:
        out.append(("runs", False, f"{len(rates) - 1} steps recorded, {epochs} asked for"))
    elif bad:
        t, g, v = bad[0]
        out.append(("runs", False, f"after {t} step(s) group {g}'s rate is {_show(v)}"))
    else:
        out.append(("runs", True, f"stepped {epochs} times; every rate finite and >= 0"))
    closed = seen.get("closed_form")
    if closed is None:
        out.append(("closed-form", True, "not applicable: no _get_closed_form_lr"))
    elif isinstance(closed, dict):
        out.append(("closed-form", False, f"_get_closed_form_lr() raised {closed.get('error')}"))
    else:
        differs = _failed_step(rates, _rate_table(closed, "closed-form rates"))
        out.append(
            ("closed-form", differs is None, differs or "_get_closed_form_lr() equals step()")
        )
    state = seen.get("state_dict")
    if not isinstance(state, dict):
        raise ObservationError("the run's state_dict record is not a record")
    if "error" in state or "save_error" in state:
        why = state.get("error") or f"torch.save/torch.load failed: {state.get('save_error')}"
        out.append(("state-dict", False, str(why)[:300]))
    else:
        same = _same_state(state.get("saved"), state.get("restored"))
        out.append(
            (
                "state-dict",
                same,
                "round trip keeps state_dict()"
                if same
                else "after load_state_dict(), state_dict() differs from the saved one",
            )
        )
    stop = seen.get("stop_after")
    resumed = seen.get("resume")
    if isinstance(resumed, dict):
        why = resumed.get("error") or f"the checkpoint failed: {resumed.get('save_error')}"
        out.append(("resume", False, str(why)[:300]))
    elif not isinstance(stop, int) or not 0 < stop < len(rates):
        raise ObservationError("the run's resume point is not a step of its run")
    else:
        differs = _failed_step(rates[stop:], _rate_table(resumed, "resumed rates"), stop)
        out.append(("resume", differs is None, differs or f"resumed after {stop} steps: same"))
    alone = seen.get("alone")
    if alone is None or isinstance(alone, dict):
        out.append(("param-groups", True, "not applicable: it does not run on one group"))
    else:
        if not isinstance(alone, list) or len(alone) != len(rates[0]):
            raise ObservationError("the run's per-group rates are not one table per group")
        verdict = ("param-groups", True, "each group follows the schedule it follows alone")
        for g, table in enumerate(alone):
            together = [[row[g]] for row in rates]
            differs = _failed_step(together, _rate_table(table, "per-group rates"))
            if differs is not None:
                verdict = ("param-groups", False, f"group {g} differs from its run alone {differs}")
                break
        out.append(verdict)
    warned = seen.get("warnings")
    if not isinstance(warned, list):
        raise ObservationError("the run's warnings are not a list")
    out.append(("no-warnings", not warned, str(warned[0])[:300] if warned else "no warning"))
    return out


def _torch_trace(reference: str, settings: dict[str, Any], epochs: int) -> list[list[float]]:
    from lrcourse.trace import trace_scheduler

    truth = trace_scheduler(
        lambda opt: _torch_reference(reference, opt=opt),
        epochs=epochs,
        steps_per_epoch=settings.get("steps_per_epoch", 1),
        step_per=settings.get("step_per", "epoch"),
        lr=settings.get("lr", 0.1),
        param_groups=settings.get("param_groups"),
        optimizer=settings.get("optimizer", "SGD"),
    )
    return [list(group) for group in truth.lrs] + [list(truth.final_lrs)]


def _first_difference(
    mine: list[list[Any]], torch_lrs: list[list[float]], label: str, reveal: bool = True
) -> str:
    for group, (a, b) in enumerate(zip(mine, torch_lrs, strict=False)):
        if not isinstance(a, list):
            return f"group {group}: {_show(a)} is not a list of rates"
        for step, (x, y) in enumerate(zip(a, b, strict=False)):
            if finite(x) is None:
                return f"group {group}, step {step}: {_show(x)} is not a finite rate"
            if not _close([x], [y]):
                if not reveal:  # graded work: torch's rate stays with the grader
                    return f"group {group}, step {step}: yours {_show(x)} is not the expected rate"
                return f"group {group}, step {step}: yours {_show(x)}, torch's {label} {_show(y)}"
        if len(a) != len(b):
            return f"group {group}: {len(a)} rates, torch's {label} gives {len(b)}"
    return f"{len(mine)} param group(s), torch's {label} has {len(torch_lrs)}"


def _judge_trace(
    check: Any, settings: dict[str, Any], seen: dict[str, Any], reveal: bool = True
) -> tuple[bool, str]:
    *torch_lrs, final = _torch_trace(check.reference, settings, check.epochs)
    label = check.reference.split("(")[0] if reveal else "reference"
    mine = _rates(seen.get("lrs"), "rates")
    groups = len(torch_lrs)
    if len(mine) == groups and all(_close(a, b) for a, b in zip(mine, torch_lrs, strict=True)):
        if _close(seen.get("final_lrs"), final):
            return True, f"same rates as torch's {label} ({groups} group(s), {check.epochs} epochs)"
        return False, f"get_last_lr() at the end differs from torch's {label}"
    return False, _first_difference(mine, torch_lrs, label, reveal)


def _same_state(a: Any, b: Any, depth: int = 0) -> bool:
    if depth > 30:
        return False
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_state(a[k], b[k], depth + 1) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(
            _same_state(x, y, depth + 1) for x, y in zip(a, b, strict=True)
        )
    if isinstance(a, float) or isinstance(b, float):
        return _close([a], [b])
    return a == b


def _judge_resume(
    check: Any,
    settings: dict[str, Any],
    seen: dict[str, Any],
    reference: str | None,
    reveal: bool = True,
) -> tuple[bool, str]:
    straight, resumed = _rates(seen.get("straight"), "rates"), _rates(seen.get("resumed"), "rates")
    stop = settings["stop_after"]
    if len(straight) != check.total or len(resumed) != check.total:
        return False, f"{check.total} steps were asked for, the run reported {len(resumed)}"
    for step, (a, b) in enumerate(zip(straight, resumed, strict=True)):
        if not _close(a, b):
            return False, (
                f"after resuming at step {stop}, step {step} used {_show(b)} instead of {_show(a)}"
            )
    if reference is not None:
        try:
            *truth, _ = _torch_trace(reference, settings, check.total)
        except Exception:  # the reference cannot run this long: the comparison above stands
            truth = None
        if truth is not None:
            per_step = [list(rates) for rates in zip(*truth, strict=True)]
            for step, (a, b) in enumerate(zip(straight, per_step, strict=True)):
                if not _close(a, b):
                    if not reveal:
                        return False, f"step {step} used {_show(a)}, not the expected rate"
                    return False, f"step {step} used {_show(a)}, torch's reference {_show(b)}"
    return True, f"save at step {stop} and resume gives the same rates"


def _judge(
    check: Any,
    settings: dict[str, Any],
    seen: Any,
    references: dict[str, str],
    reveal: bool = True,
) -> tuple[bool, str]:
    if not isinstance(seen, dict) or seen.get("kind") != check.kind:
        raise ObservationError(f"the run's reply to the {check.kind} check is not an observation")
    if "error" in seen:
        return False, f"raised {str(seen['error'])[:500]}"
    if check.kind == "trace":
        return _judge_trace(check, settings, seen, reveal)
    if check.kind == "state_dict":
        if not _same_state(seen.get("saved"), seen.get("reloaded")):
            return False, "load_state_dict(state_dict()) gave a different state_dict()"
        if not _close(seen.get("last_lr"), seen.get("reloaded_last_lr") or []):
            return False, "after load_state_dict the reloaded get_last_lr() differs"
        return True, "state_dict() round trip keeps the state and get_last_lr()"
    if check.kind == "resume":
        return _judge_resume(check, settings, seen, references.get(check.build), reveal)
    if check.kind == "no_warnings":
        warned = seen.get("warnings")
        if not isinstance(warned, list):
            raise ObservationError("the run's warnings are not a list")
        if warned:
            return False, f"torch warned: {str(warned[0])[:500]}"
        return True, "no warnings"
    if check.kind == "properties":
        verdicts = judge_properties(seen, check.epochs)
        failed = [f"{name}: {why}" for name, ok, why in verdicts if not ok]
        if failed:
            return False, "check_scheduler finds " + "; ".join(failed)
        return True, "check_scheduler's properties hold (" + ", ".join(
            n for n, _, _ in verdicts
        ) + ")"
    ok, why = _judge_value(check, settings.get("values", {}), seen.get("value"), reveal)
    more = settings.get("more_values")
    if not ok or not more:
        return ok, why
    # Graded work draws several inputs: a table right on part of the range passes each draw
    # only with that part's chance, so all of them must match.
    values = seen.get("more")
    if not isinstance(values, list) or len(values) != len(more):
        raise ObservationError("the run did not report one value per drawn input")
    for inputs, value in zip(more, values, strict=True):
        same, shown = _judge_value(check, inputs, value, reveal)
        if not same:
            return False, shown
    return True, why


def _judge_value(check: Any, inputs: dict[str, Any], value: Any, reveal: bool) -> tuple[bool, str]:
    """Return whether ``value`` is torch's value of the check's expression on ``inputs``."""
    expected = _torch_reference(check.expected, **inputs)
    values = value if isinstance(value, list) else [value]
    wanted = list(expected) if isinstance(expected, list | tuple) else [expected]
    if all(finite(v) is not None for v in wanted):
        bad = [v for v in values if finite(v) is None]
        if bad and all(isinstance(v, int | float) and not isinstance(v, bool) for v in bad):
            return False, f"{check.expression} = {_show(bad[0])}: not a finite number"
        same = _close(values, [float(v) for v in wanted], check.rel)
    else:
        same = values == wanted
    if not reveal:  # graded work: neither this run's inputs nor torch's value leave the grader
        if same:
            return True, "the value matches torch's on this run's inputs"
        return False, f"{check.expression.split('(')[0]} returned {_show(value)}, not torch's value"
    shown = f"{check.expression} = {_show(value)}"
    if inputs:
        shown += " with " + ", ".join(f"{k}={_show(v)}" for k, v in inputs.items())
    return same, shown + ("" if same else f"; torch gives {_show(expected)}")
