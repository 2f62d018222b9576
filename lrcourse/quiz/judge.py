"""Judge what a lab run observed, against torch run in this process: the trusted side of code labs.

A code or fix-loop answer runs elsewhere (the grading sandbox, or a subprocess) on a *job*:
:func:`lab_job` builds it from the question's public inputs only (the learner's ``build``
expressions, epochs, rates), never its ``reference`` or ``expected`` expressions. Given a
``random.Random``, it also draws the probe settings of this run (each group's rate, the number
of groups, where a resume stops; for a loop the data, the first weights and the rate), so an
answer cannot be tuned to settings it could know in advance. :func:`judge_lab` then checks the
observations that come back against torch with the same settings, here:

* Every number is validated first: a non-finite or absurd value (inf, nan, a 400-digit
  integer, a string where a rate belongs) fails its check with a reason that says so; a reply
  of the wrong shape raises :class:`ObservationError`.
* ``trace`` and ``value`` checks are *gates*: they compare behaviour with torch's. ``resume``,
  ``state_dict`` and ``no_warnings`` earn credit only when every gate passes (``return 1.0``
  earns nothing for being resumable), and a resume is also compared with torch's own trace
  when a trace check builds the same scheduler. Weights: :data:`CHECK_WEIGHTS`.
* ``value`` checks run on inputs drawn per run (the check's ``inputs``, evaluated here);
  ``properties`` checks decide ``lrcourse.check_scheduler``'s properties from what the run
  recorded (:func:`judge_properties`): nothing that judges runs inside the run.
* A question's ``forbids`` (the very scheduler it asks the learner to write) is read from the
  run's record of what it built (every class of its MRO): such an answer earns nothing and
  carries a ``review`` reason for a person (the grader also reads the source: ``audit.py``).
* ``reveal=False`` (graded work) keeps this run's inputs, torch's values and the reference's
  name out of the feedback.
* A training loop is judged on the whole step (``loops.py``): the order and counts of
  ``zero_grad``, loss, ``backward``, ``optimizer.step`` and ``scheduler.step``, the rate of
  every step, and the weights it trained, which this process recomputes with the correct loop.

Where the parts live: ``lab_jobs.py`` builds jobs and draws probe settings, ``judge_checks.py``
judges each check's observation; this module weighs the verdicts into a grade (:func:`judge_lab`)
and judges loops. Their public names are importable from here too.
"""

from __future__ import annotations

from typing import Any

from lrcourse.quiz.judge_checks import ObservationError, _judge, judge_properties
from lrcourse.quiz.lab_jobs import EXTRA_DRAWS, SECRET_FIELDS, draw_inputs, lab_job
from lrcourse.quiz.loops import LoopReport, analyse_loop
from lrcourse.quiz.model import Code, FixLoop
from lrcourse.quiz.result import Result

__all__ = [
    "CHECK_WEIGHTS",
    "EXTRA_DRAWS",
    "GATES",
    "SECRET_FIELDS",
    "ObservationError",
    "draw_inputs",
    "forbidden_classes",
    "judge_lab",
    "judge_properties",
    "lab_job",
    "loop_report",
    "loop_result",
]

#: Credit of each kind of check; the gates (behaviour against torch) weigh more.
CHECK_WEIGHTS = {
    "trace": 2.0,
    "value": 2.0,
    "properties": 2.0,
    "state_dict": 1.0,
    "resume": 1.0,
    "no_warnings": 1.0,
}
#: Checks that compare the answer's behaviour with torch: the others count only if these pass.
GATES = ("trace", "value")


def forbidden_classes(question: Code, observations: dict[str, Any]) -> list[str]:
    """Return what the run built that ``question.forbids`` (a torch scheduler class or a base)."""
    built = observations.get("built", {})
    if not isinstance(built, dict):
        raise ObservationError("the run's record of what it built is not a record")
    found = []
    for build, classes in built.items():
        if not isinstance(classes, list):
            raise ObservationError("the run's record of what it built is not a list of classes")
        for name in classes:
            module, _, qualname = str(name).rpartition(".")
            if qualname in question.forbids and module.startswith("torch."):
                found.append(f"`{build}` builds a {module}.{qualname}")
    return sorted(set(found))


def _judge_code(
    question: Code, observations: dict[str, Any], job: dict[str, Any], reveal: bool = True
) -> Result:
    seen_all = observations.get("observations")
    if not isinstance(seen_all, list) or len(seen_all) != len(question.checks):
        raise ObservationError("the run did not report one observation per check")
    references = {c.build: c.reference for c in question.checks if c.kind == "trace"}
    verdicts = [
        _judge(check, settings, seen, references, reveal)
        for check, settings, seen in zip(question.checks, job["checks"], seen_all, strict=True)
    ]
    gates_pass = all(
        ok for check, (ok, _) in zip(question.checks, verdicts, strict=True) if check.kind in GATES
    )
    earned = total = 0.0
    lines = []
    for check, (ok, message) in zip(question.checks, verdicts, strict=True):
        weight = CHECK_WEIGHTS[check.kind]
        total += weight
        credited = ok and (gates_pass or check.kind in GATES)
        earned += weight * credited
        note = "" if credited or not ok else " (no credit until the behaviour checks pass)"
        lines.append(f"{'passed' if ok else 'FAILED'} {check.kind}: {message}{note}")
    correct = all(ok for ok, _ in verdicts)
    passed = sum(ok for ok, _ in verdicts)
    summary = "All checks pass." if correct else f"{passed} of {len(verdicts)} checks pass."
    forbidden = forbidden_classes(question, observations) if question.forbids else []
    if forbidden:
        review = (
            f"the question asks you to write this behaviour yourself, not to use torch's "
            f"{', '.join(question.forbids)}: " + "; ".join(forbidden)
        )
        return Result(0.0, False, f"Not credited: {review}. {summary}", tuple(lines), review=review)
    return Result(earned / total, correct, summary, tuple(lines))


# --- loops ----------------------------------------------------------------------------------


def loop_report(question: FixLoop, observations: dict[str, Any], job: dict[str, Any]) -> LoopReport:
    """Return the :class:`LoopReport` of a recorded loop, judged against torch in this process."""
    from lrcourse.quiz.labs import reference_training

    return analyse_loop(
        observations,
        scheduler=question.scheduler,
        scheduler_params=question.scheduler_params,
        step_per=question.step_per,
        epochs=question.epochs,
        batches=question.batches,
        lr=job["lr"],
        trained_weights=reference_training(job),
    )


def loop_result(report: LoopReport) -> Result:
    """Return the grade of a loop report: 1 only when nothing is wrong."""
    if report.correct:
        summary = "Right: the loop steps in the right order and the rates match torch."
    else:
        found = ", ".join(report.bugs) or "the rates or weights differ from the correct loop"
        summary = f"Not yet: {found}."
    return Result(float(report.correct), report.correct, summary, tuple(report.lines()))


def judge_lab(
    question: Code | FixLoop,
    observations: Any,
    job: dict[str, Any] | None = None,
    *,
    reveal: bool = True,
) -> Result:
    """Return the grade of what a lab run observed, judged against torch in this process.

    ``job`` is the one the run was given (its drawn probe settings); by default the bank's own.
    ``reveal=False`` (graded work) keeps a value check's inputs and torch's value out of the
    feedback. Raises :class:`ObservationError` for observations of the wrong shape.
    """
    job = job if job is not None else lab_job(question, "")
    if not isinstance(observations, dict):
        raise ObservationError("the run's reply is not a set of observations")
    if "error" in observations:
        return Result(0.0, False, str(observations["error"])[:2000])
    if isinstance(question, Code):
        return _judge_code(question, observations, job, reveal)
    if observations.get("loop_error"):
        return Result(0.0, False, str(observations["loop_error"])[:2000])
    return loop_result(loop_report(question, observations, job))
