"""Judge a recorded training loop: which step-timing mistakes it made and what rates it used.

``labs.observe_loop`` records every ``optimizer.step()`` (with the rates it used) and
``scheduler.step()`` (with the epoch and batch it happened in). :func:`analyse_loop` turns that
record into the mistakes of ``model.LOOP_BUGS`` and compares the rates with the plain torch loop
(``lrcourse.trace_schedule``) that steps in the right order.
"""

from __future__ import annotations

import itertools
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
}


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

    @property
    def correct(self) -> bool:
        """Return True when no mistake was found and every rate matched the plain torch loop."""
        return not self.bugs and self.first_wrong_rate is None

    def lines(self) -> list[str]:
        """Return the report as sentences for the learner."""
        out = [
            f"The recorder saw {self.optimizer_steps} `optimizer.step()` and "
            f"{self.scheduler_steps} `scheduler.step()` calls (the correct loop makes "
            f"{self.expected_optimizer_steps} and {self.expected_scheduler_steps})."
        ]
        out += [BUG_TEXT[bug] for bug in self.bugs]
        if self.first_wrong_rate:
            out.append(self.first_wrong_rate)
        out += [f"torch warned: {text}" for text in self.warnings]
        return out


def find_bugs(events: list[dict[str, Any]], step_per: str, epochs: int, batches: int) -> list[str]:
    """Return the step-timing mistakes in ``events``, in ``model.LOOP_BUGS`` order."""
    calls = [event["call"] for event in events]
    optimizer_steps = calls.count("optimizer.step")
    scheduler_events = [e for e in events if e["call"] == "scheduler.step"]
    found: set[str] = set()
    if optimizer_steps == 0:
        found.add("no-optimizer-step")
    first_optimizer = calls.index("optimizer.step") if optimizer_steps else len(calls)
    if "scheduler.step" in calls[:first_optimizer] and optimizer_steps:
        found.add("scheduler-before-optimizer")
    for before, after in itertools.pairwise(calls):
        if before == after == "scheduler.step" and optimizer_steps:
            found.add("doubled-scheduler-step")
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
) -> LoopReport:
    """Return the :class:`LoopReport` of a recorded loop, rates checked against real torch."""
    events = observations.get("events", [])
    bugs = find_bugs(events, step_per, epochs, batches)
    truth = trace_schedule(
        scheduler,
        scheduler_params,
        epochs=epochs,
        steps_per_epoch=batches,
        step_per=step_per,  # type: ignore[arg-type]
        lr=0.1,
    )
    used = [event for event in events if event["call"] == "optimizer.step"]
    first_wrong = None
    for index, (event, right) in enumerate(zip(used, truth.lr, strict=False)):
        if abs(event["lrs"][0] - right) > 1e-12 * max(1.0, abs(right)):
            first_wrong = (
                f"`optimizer.step()` number {index + 1} (epoch {event['epoch'] + 1}, batch "
                f"{event['batch'] + 1}) used lr={event['lrs'][0]:.6g}; the correct loop uses "
                f"{right:.6g} there."
            )
            break
    if first_wrong is None and len(used) != len(truth.lr):
        first_wrong = (
            f"the loop made {len(used)} `optimizer.step()` calls; {epochs} epochs of {batches} "
            f"batches need {len(truth.lr)}."
        )
    return LoopReport(
        optimizer_steps=len(used),
        scheduler_steps=sum(1 for e in events if e["call"] == "scheduler.step"),
        expected_optimizer_steps=epochs * batches,
        expected_scheduler_steps=epochs if step_per == "epoch" else epochs * batches,
        bugs=tuple(bugs),
        first_wrong_rate=first_wrong,
        warnings=tuple(dict.fromkeys(observations.get("warnings", []))),
    )
