"""Run the learner's code for a lab: its namespace, its errors, the optimizer a probe builds.

Inside the sandbox (or the ``python -m lrcourse.quiz.labs`` fallback), :func:`prepare` executes
the learner's source once in a namespace holding ``torch`` and every scheduler class by name
(:func:`torch_names`, which the grader's own torch references use too), and a failure becomes one
line naming the learner's line (:func:`describe_error`), never a traceback. The observers
(``lab_observers.py``) and the recording loop (``lab_loop.py``) work on that namespace.
"""

from __future__ import annotations

import math
import sys
import traceback
from typing import Any

#: Where the learner's code appears in tracebacks, so line numbers point at their own lines.
LEARNER_FILE = "<your code>"


def torch_names() -> dict[str, Any]:
    """Return the names a check expression sees: ``torch`` and every scheduler class by name."""
    import torch
    from torch.optim import lr_scheduler

    from lrcourse.trace import SCHEDULER_NAMES

    names: dict[str, Any] = {"torch": torch, "lr_scheduler": lr_scheduler, "math": math}
    names.update({name: getattr(lr_scheduler, name) for name in SCHEDULER_NAMES})
    names["LRScheduler"] = lr_scheduler.LRScheduler
    return names


def describe_error(error: BaseException) -> str:
    """Return ``"TypeError: message (line 3 of your code)"``: the learner's line, not a traceback."""
    line = None
    for frame in traceback.extract_tb(error.__traceback__):
        if frame.filename == LEARNER_FILE:
            line = frame.lineno
    if isinstance(error, SyntaxError) and error.filename == LEARNER_FILE:
        line = error.lineno
    where = f" (line {line} of your code)" if line else ""
    message = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return (
        f"{type(error).__name__}: {message}{where}" if message else f"{type(error).__name__}{where}"
    )


def learner_namespace(source: str) -> dict[str, Any]:
    """Execute ``source`` in a namespace holding torch names; return that namespace."""
    import types

    # A module of its own, found in sys.modules under its name as a script's is: tools that
    # look a class's module up there (``dataclasses``, ``pickle``, ``typing``) then work.
    module = types.ModuleType("__learner__")
    namespace = module.__dict__
    namespace.update(torch_names())
    sys.modules["__learner__"] = module
    exec(compile(source, LEARNER_FILE, "exec"), namespace)
    return namespace


def _optimizer(lr: float, param_groups: list[dict[str, float]] | None, name: str = "SGD") -> Any:
    from lrcourse.trace import build_optimizer

    return build_optimizer(name, lr=lr, param_groups=param_groups)


def _rates(opt: Any) -> list[float]:
    return [float(group["lr"]) for group in opt.param_groups]


class Prepared:
    """The learner's code, already run: its namespace, or the error that stopped it."""

    def __init__(self, namespace: dict[str, Any] | None, error: str | None) -> None:
        self.namespace, self.error = namespace, error


def prepare(source: str) -> Prepared:
    """Run the learner's ``source`` once, before the job (and its drawn settings) is read.

    The sandbox's harness calls this first when it can, so that no frame the code's top level
    could walk holds the probe settings yet; :func:`run_job` then observes that namespace.
    """
    try:
        return Prepared(learner_namespace(source), None)
    except BaseException as error:  # the learner's code: any failure is an observation
        return Prepared(None, f"your code did not run: {describe_error(error)}")


def _namespace(source: str, prepared: Prepared | None) -> Prepared:
    return prepared if isinstance(prepared, Prepared) else prepare(source)
