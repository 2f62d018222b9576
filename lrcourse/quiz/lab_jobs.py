"""Build the job a lab run executes, and draw this run's probe settings: what leaves the grader.

A code or fix-loop answer runs elsewhere (the grading sandbox, or a subprocess) on a *job*:
:func:`lab_job` builds it from the question's public inputs only (the learner's ``build``
expressions, epochs, rates), never its ``reference`` or ``expected`` expressions
(:data:`SECRET_FIELDS`). Given a ``random.Random``, it also draws the probe settings of this run
(each group's rate, the number of groups, where a resume stops; for a loop the data, the first
weights and the rate), so an answer cannot be tuned to settings it could know in advance.
``value`` checks run on inputs drawn per run (the check's ``inputs``, evaluated here by
:func:`draw_inputs`); graded work draws :data:`EXTRA_DRAWS` more. ``judge.py`` judges what comes
back against torch with the same settings.
"""

from __future__ import annotations

import random
from typing import Any

from lrcourse.quiz.model import Code, FixLoop

#: Fields of a check that hold answers (or how inputs are drawn), never sent to a run.
SECRET_FIELDS = ("reference", "expected", "inputs")


#: Inputs a graded value check draws beyond the first, each judged against torch.
EXTRA_DRAWS = 3


def _scaled(rate: Any, rng: random.Random) -> float:
    """Return ``rate`` times a factor drawn from 0.3-0.9 or 1.1-3 (never the bank's own rate)."""
    factor = rng.uniform(0.3, 0.9) if rng.random() < 0.5 else rng.uniform(1.1, 3.0)
    return float(f"{float(rate) * factor:.4g}")


def draw_inputs(inputs: dict[str, str], rng: random.Random) -> dict[str, Any]:
    """Return the values of a value check's ``inputs``, drawn (in order) from ``rng``.

    Each is a bank expression (trusted data) of ``rng``, ``math`` and the inputs before it,
    evaluated here, in the grader; the run receives the values, never how they were drawn.
    """
    import math

    values: dict[str, Any] = {}
    for name, expression in inputs.items():
        scope = {"rng": rng, "math": math, **values}
        values[name] = eval(compile(expression, f"<input {name}>", "eval"), scope)
    return values


def _draw(check: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """Return ``check`` (public fields) with this run's rates, groups and resume point."""
    drawn = dict(check)
    if "lr" in drawn:
        drawn["lr"] = _scaled(drawn["lr"], rng)
    groups = drawn.get("param_groups")
    if groups:
        drawn["param_groups"] = [
            {**g, "lr": _scaled(g.get("lr", check.get("lr", 0.1)), rng)} for g in groups
        ]
    elif check["kind"] in ("trace", "properties"):  # the scheduler must handle every group
        drawn["param_groups"] = [
            {"lr": _scaled(check.get("lr", 0.1), rng)} for _ in range(rng.randint(2, 3))
        ]
    if check["kind"] == "resume":
        drawn["stop_after"] = rng.randint(1, int(check["total"]) - 1)
    if check["kind"] == "properties":
        drawn["stop_after"] = rng.randint(1, int(check["epochs"]) - 1)
    return drawn


def lab_job(
    question: Code | FixLoop, source: str, rng: random.Random | None = None
) -> dict[str, Any]:
    """Return the job a lab runner executes: ``source`` and the public inputs of its probes.

    With ``rng`` the probe settings are drawn for this run; without, they are the bank's own
    (``quiz verify``, the chapter widgets). The job never holds a key, a reference or an
    expected value: :func:`judge_lab` rebuilds those from torch in this process.
    """
    if isinstance(question, Code):
        checks = []
        inputs_rng = rng if rng is not None else random.Random(0)
        for check in question.checks:
            public = {k: v for k, v in check.model_dump().items() if k not in SECRET_FIELDS}
            if check.kind == "value":
                public["values"] = draw_inputs(check.inputs, inputs_rng)
                if rng is not None:  # graded: more draws, each must match (see _judge)
                    public["more_values"] = [
                        draw_inputs(check.inputs, inputs_rng) for _ in range(EXTRA_DRAWS)
                    ]
            checks.append(_draw(public, rng) if rng is not None else public)
        return {"kind": "code", "source": source, "entry": question.entry, "checks": checks}
    return {
        "kind": "loop",
        "source": source,
        "entry": question.entry,
        "scheduler": question.scheduler,
        "scheduler_params": question.scheduler_params,
        "step_per": question.step_per,
        "epochs": question.epochs,
        "batches": question.batches,
        "lr": _scaled(0.1, rng) if rng is not None else 0.1,
        "seed": rng.randrange(1 << 30) if rng is not None else 0,
    }
