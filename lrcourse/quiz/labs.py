"""Observe what learner code does under real torch: the child side of code and fix-the-loop labs.

Runs inside the sandbox (``lrcourse.sandbox``'s ``lab`` probe) or, without it, as
``python -m lrcourse.quiz.labs JOB.json RESULT.json`` (see ``run.py``): it executes the learner's
source, runs the question's probes or the recording training loop, and returns *observations*
(rates, warnings, recorded calls, final weights, errors). A job holds only public inputs (the
learner's ``build`` expressions and probe settings the grader drew for this run), never a
reference, expected value or verdict: the grader judges the observations against torch in its
own process (``check.py``, ``loops.py``). :func:`reference_training` is the one function here
the grader itself runs, so that both sides build the same model and data.

The work is split by job: ``lab_namespace.py`` runs the learner's code, ``lab_observers.py``
holds the per-kind observers of code labs and ``lab_loop.py`` the recording training loop of
fix-the-loop labs. This module is the runner the sandbox preloads and calls (``run_job``,
``prepare``) and re-exports their public names, so ``lrcourse.quiz.labs`` stays the one name
the sandbox, the grader and the tests use.
"""

from __future__ import annotations

import json
import sys
import warnings
from typing import Any

from lrcourse.quiz.lab_loop import (
    RecordingLoader,
    RecordingOptimizer,
    RecordingScheduler,
    loop_batches,
    loop_model,
    loop_weights,
    observe_loop,
    reference_training,
)
from lrcourse.quiz.lab_namespace import (
    LEARNER_FILE,
    Prepared,
    _namespace,
    describe_error,
    learner_namespace,
    prepare,
    torch_names,
)
from lrcourse.quiz.lab_observers import (
    OBSERVERS,
    built_classes,
    observe_properties,
    observe_resume,
    observe_state_dict,
    observe_trace,
    observe_value,
    observe_warnings,
)

__all__ = [
    "LEARNER_FILE",
    "OBSERVERS",
    "Prepared",
    "RecordingLoader",
    "RecordingOptimizer",
    "RecordingScheduler",
    "built_classes",
    "describe_error",
    "learner_namespace",
    "loop_batches",
    "loop_model",
    "loop_weights",
    "main",
    "observe_code",
    "observe_loop",
    "observe_properties",
    "observe_resume",
    "observe_state_dict",
    "observe_trace",
    "observe_value",
    "observe_warnings",
    "prepare",
    "reference_training",
    "run_job",
    "torch_names",
]


def observe_code(
    source: str, entry: str, checks: list[dict[str, Any]], prepared: Prepared | None = None
) -> dict[str, Any]:
    """Run ``source`` then each check; return ``{"error"}`` or ``{"observations": [...]}``."""
    ran = _namespace(source, prepared)
    if ran.namespace is None:
        return {"error": ran.error}
    ns = ran.namespace
    if entry not in ns:
        return {"error": f"your code does not define `{entry}`"}
    observations = []
    for check in checks:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                observations.append({"kind": check["kind"], **OBSERVERS[check["kind"]](ns, check)})
        except BaseException as error:
            observations.append({"kind": check["kind"], "error": describe_error(error)})
    built: dict[str, Any] = {}
    for build in dict.fromkeys(c["build"] for c in checks if "build" in c):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                built[build] = built_classes(ns, build)
        except BaseException:  # the checks above already report why it does not build
            built[build] = []
    return {"observations": observations, "built": built}


def run_job(job: dict[str, Any], prepared: Prepared | None = None) -> dict[str, Any]:
    """Return the observations of one job: ``kind`` ``"code"`` or ``"loop"``.

    ``prepared`` is the learner's code already run by :func:`prepare` (else it runs here).
    """
    if job["kind"] == "code":
        return observe_code(job["source"], job["entry"], job["checks"], prepared)
    return observe_loop(job, prepared)


def main(argv: list[str]) -> int:
    """Read the job in ``argv[0]``, write observations to ``argv[1]``; the exit code is 0."""
    with open(argv[0], encoding="utf-8") as handle:
        job = json.load(handle)
    if job.get("cpu_seconds"):
        import resource

        limit = int(job["cpu_seconds"])
        resource.setrlimit(resource.RLIMIT_CPU, (limit, limit + 1))
    result = run_job(job)
    with open(argv[1], "w", encoding="utf-8") as handle:
        json.dump(result, handle)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
