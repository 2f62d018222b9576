"""Judge a recorded training loop: the mistakes it made in each step, its rates and its weights.

``labs.observe_loop`` records every ``zero_grad()``, loss, ``backward()``, ``optimizer.step()``
(with the rates it used and whether the gradients were those of that batch's loss) and
``scheduler.step()`` (with the epoch and batch it happened in), and the weights at the end.
:func:`analyse_loop` turns that record into mistakes (the step-timing ones of
``model.LOOP_BUGS`` and the gradient ones of :data:`STEP_BUGS`), compares the rates with the
plain torch loop (``lrcourse.trace_schedule``) and the weights with the correct loop's
(``labs.reference_training``, run by the grader in its own process).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

from lrcourse.trace import trace_schedule

BUG_TEXT: dict[str, str] = {
    "scheduler-before-optimizer": (
        "`scheduler.step()` ran before the first `optimizer.step()`: torch skips the first rate "
        "of the schedule (and warns). Call `optimizer.step()` first, then `scheduler.step()`."
    ),
    "per-epoch-instead-of-per-batch": (
        "the scheduler stepped once per epoch, but this schedule counts batches: "
        "call `scheduler.step()` after every `optimizer.step()`."
    ),
    "per-batch-instead-of-per-epoch": (
        "the scheduler stepped after every batch, but this schedule counts epochs: "
        "call `scheduler.step()` once, after the batch loop."
    ),
    "missing-scheduler-step": "some `scheduler.step()` calls are missing (or there are none).",
    "doubled-scheduler-step": (
        "`scheduler.step()` was called twice in a row, with no `optimizer.step()` between: "
        "the schedule runs twice as fast there."
    ),
    "no-optimizer-step": "the loop never called `optimizer.step()`: nothing was trained.",
    "no-backward": (
        "an `optimizer.step()` ran without gradients from `loss.backward()` on that batch's "
        "loss: compute the loss and call `backward()` before every step."
    ),
    "stale-gradients": (
        "the gradients used by `optimizer.step()` were not (only) those of the current batch: "
        "call `optimizer.zero_grad()` before `loss.backward()` in every step."
    ),
}
#: The mistakes within one training step (beyond the scheduler's timing).
STEP_BUGS = ("no-backward", "stale-gradients")
#: Relative tolerance between the trained weights and the correct loop's.
WEIGHTS_REL_TOL = 1e-5


@dataclass(frozen=True)
class LoopReport:
    """What the recorder saw: call counts, mistakes found, the first wrong rate, torch's warnings."""

    optimizer_steps: int
    scheduler_steps: int
    expected_optimizer_steps: int
    expected_scheduler_steps: int
    bugs: tuple[str, ...]
    first_wrong_rate: str | None
    warnings: tuple[str, ...]
    #: Calls seen per kind: zero_grad, loss, backward (the correct loop: one per batch each).
    step_calls: tuple[int, int, int] = (0, 0, 0)
    #: Why the trained weights differ from the correct loop's, or None when they agree.
    weights_differ: str | None = None

    @property
    def correct(self) -> bool:
        """Return True when no mistake was found and rates and weights match the correct loop."""
        return not self.bugs and self.first_wrong_rate is None and self.weights_differ is None

    def lines(self) -> list[str]:
        """Return the report as sentences for the learner."""
        out = [
            f"The recorder saw {self.optimizer_steps} `optimizer.step()` and "
            f"{self.scheduler_steps} `scheduler.step()` calls (the correct loop makes "
            f"{self.expected_optimizer_steps} and {self.expected_scheduler_steps}); "
            f"{self.step_calls[0]} `zero_grad()`, {self.step_calls[1]} loss and "
            f"{self.step_calls[2]} `backward()` calls (the correct loop makes "
            f"{self.expected_optimizer_steps} of each)."
        ]
        out += [BUG_TEXT[bug] for bug in self.bugs]
        if self.first_wrong_rate:
            out.append(self.first_wrong_rate)
        if self.weights_differ:
            out.append(self.weights_differ)
        out += [f"torch warned: {text}" for text in self.warnings]
        return out


def find_bugs(events: list[dict[str, Any]], step_per: str, epochs: int, batches: int) -> list[str]:
    """Return the mistakes in ``events``, in :data:`BUG_TEXT` order."""
    calls = [event["call"] for event in events]
    step_calls = [c for c in calls if c in ("optimizer.step", "scheduler.step")]
    optimizer_steps = calls.count("optimizer.step")
    scheduler_events = [e for e in events if e["call"] == "scheduler.step"]
    found: set[str] = set()
    if optimizer_steps == 0:
        found.add("no-optimizer-step")
    first_optimizer = step_calls.index("optimizer.step") if optimizer_steps else len(step_calls)
    if "scheduler.step" in step_calls[:first_optimizer] and optimizer_steps:
        found.add("scheduler-before-optimizer")
    for before, after in itertools.pairwise(step_calls):
        if before == after == "scheduler.step" and optimizer_steps:
            found.add("doubled-scheduler-step")
    for event in events:
        if event["call"] == "optimizer.step":
            if event.get("gradient") == "missing":
                found.add("no-backward")
            elif event.get("gradient") != "fresh":
                found.add("stale-gradients")
    expected = epochs if step_per == "epoch" else epochs * batches
    count = len(scheduler_events)
    if step_per == "epoch" and batches > 1:
        per_epoch: dict[int, set[int]] = {}
        for event in scheduler_events:
            per_epoch.setdefault(event["epoch"], set()).add(event["batch"])
        if any(len(positions) > 1 for positions in per_epoch.values()):
            found.add("per-batch-instead-of-per-epoch")
    if step_per == "batch" and batches > 1 and 0 < count <= epochs:
        found.add("per-epoch-instead-of-per-batch")
    elif count < expected and "per-epoch-instead-of-per-batch" not in found:
        found.add("missing-scheduler-step")
    order = list(BUG_TEXT)
    return sorted(found, key=order.index)


def analyse_loop(
    observations: dict[str, Any],
    *,
    scheduler: str,
    scheduler_params: dict[str, Any],
    step_per: str,
    epochs: int,
    batches: int,
    lr: float = 0.1,
    trained_weights: list[float] | None = None,
) -> LoopReport:
    """Return the :class:`LoopReport` of a recorded loop, checked against real torch.

    ``trained_weights`` are the correct loop's (``labs.reference_training`` on the same job);
    without them the weights are not compared. Raises ``ValueError`` for a record of the wrong
    shape (a run that wrote its own reply).
    """
    events = _valid_events(observations.get("events"))
    bugs = find_bugs(events, step_per, epochs, batches)
    truth = trace_schedule(
        scheduler,
        scheduler_params,
        epochs=epochs,
        steps_per_epoch=batches,
        step_per=step_per,  # type: ignore[arg-type]
        lr=lr,
    )
    used = [event for event in events if event["call"] == "optimizer.step"]
    first_wrong = None
    for index, (event, right) in enumerate(zip(used, truth.lr, strict=False)):
        rate = finite(event["lrs"][0] if event["lrs"] else None)
        if rate is None or abs(rate - right) > 1e-9 * max(abs(rate), abs(right)):
            shown = f"{rate:.6g}" if rate is not None else "a value that is not a finite rate"
            first_wrong = (
                f"`optimizer.step()` number {index + 1} (epoch {event['epoch'] + 1}, batch "
                f"{event['batch'] + 1}) used lr={shown}; the correct loop uses "
                f"{right:.6g} there."
            )
            break
    if first_wrong is None and len(used) != len(truth.lr):
        first_wrong = (
            f"the loop made {len(used)} `optimizer.step()` calls; {epochs} epochs of {batches} "
            f"batches need {len(truth.lr)}."
        )
    calls = [event["call"] for event in events]
    warned = observations.get("warnings", [])
    if not isinstance(warned, list):
        raise ValueError("the run's warnings are not a list")
    return LoopReport(
        optimizer_steps=len(used),
        scheduler_steps=calls.count("scheduler.step"),
        expected_optimizer_steps=epochs * batches,
        expected_scheduler_steps=epochs if step_per == "epoch" else epochs * batches,
        bugs=tuple(bugs),
        first_wrong_rate=first_wrong,
        warnings=tuple(dict.fromkeys(str(w)[:500] for w in warned[:20])),
        step_calls=(calls.count("zero_grad"), calls.count("loss"), calls.count("backward")),
        weights_differ=_weights_differ(observations.get("weights"), trained_weights),
    )


def finite(value: Any) -> float | None:
    """Return ``value`` as a finite float, or None (inf, nan, bool, a 400-digit int, a string)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _valid_events(events: Any) -> list[dict[str, Any]]:
    """Return ``events`` if each is a recorded call with its epoch and batch; else raise."""
    calls = ("zero_grad", "loss", "backward", "optimizer.step", "scheduler.step")
    if not isinstance(events, list):
        raise ValueError("the run's recorded calls are not a list")
    for event in events:
        if not (
            isinstance(event, dict)
            and event.get("call") in calls
            and all(
                type(event.get(k)) is int and -1 <= event[k] < 10**6 for k in ("epoch", "batch")
            )
            and (event["call"] != "optimizer.step" or isinstance(event.get("lrs"), list))
        ):
            raise ValueError("a recorded call is not of the recorder's shape")
    return events


def _weights_differ(mine: Any, right: list[float] | None) -> str | None:
    """Return why the trained weights differ from the correct loop's, or None when they agree."""
    if right is None:
        return None
    values = [finite(v) for v in mine] if isinstance(mine, list) else []
    if len(values) != len(right) or any(v is None for v in values):
        return "the run did not report the model's weights as finite numbers."
    for index, (a, b) in enumerate(zip(values, right, strict=True)):
        assert a is not None
        if abs(a - b) > WEIGHTS_REL_TOL * max(abs(a), abs(b), 1e-3):
            return (
                f"after training, weight {index} is {a:.6g}; the correct loop on the same data "
                f"reaches {b:.6g}."
            )
    return None
