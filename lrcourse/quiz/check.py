"""Grade one answer to one question: a :class:`Result` with a score in [0, 1] and feedback.

Answers by type: ``single`` an option key; ``multiple`` a collection of keys; ``numeric`` a
number or the text typed; ``predict`` the text typed; ``code`` and ``fix-loop`` Python source;
``explain`` the checklist items ticked (indices); ``flashcard`` ``True`` if the learner knew it.

Keys come from torch: :func:`predict_key` and :func:`numeric_key` execute the bank's snippet.
Learner code runs in a bounded subprocess (``run.run_lab``); its observations are compared here
with references computed in this process from torch classes.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from lrcourse.quiz.errors import QuizAnswerError, QuizBankError
from lrcourse.quiz.loops import LoopReport, analyse_loop
from lrcourse.quiz.model import (
    Code,
    Explain,
    FixLoop,
    Flashcard,
    MultipleChoice,
    Numeric,
    Predict,
    QuestionModel,
    SingleChoice,
)
from lrcourse.quiz.parse import answer_tokens, parse_number, token_number
from lrcourse.quiz.run import run_lab, snippet_stdout

#: Relative tolerance for numbers inside printed output (``predict``).
OUTPUT_REL_TOL = 1e-6


@dataclass(frozen=True)
class Result:
    """The grade of one answer: ``score`` in [0, 1], ``correct`` only for a full answer."""

    score: float
    correct: bool
    feedback: str
    details: tuple[str, ...] = field(default_factory=tuple)

    def text(self) -> str:
        """Return feedback and details as one Markdown block."""
        return "\n".join([self.feedback, *(f"- {line}" for line in self.details)])


def _number(token: str) -> float | None:
    try:
        value = float(token)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def output_tokens(text: str) -> list[str]:
    """Return ``text`` cut into unquoted tokens at whitespace, commas, semicolons and brackets.

    The rule is :func:`lrcourse.quiz.parse.answer_tokens`, shared with the book's ``answers.js``.
    """
    return answer_tokens(text)


def same_output(expected: str, given: str) -> bool:
    """Return True when ``given`` reads as ``expected``: same tokens, numbers within 1e-6 relative.

    Line breaks count as whitespace, so ``0.1 0.05`` matches two printed lines. The book's
    ``quiz.js`` implements the same rule.
    """
    left, right = output_tokens(expected), output_tokens(given)
    if len(left) != len(right):
        return False
    for a, b in zip(left, right, strict=True):
        x, y = token_number(a), token_number(b)
        if x is not None and y is not None:
            if abs(x - y) > OUTPUT_REL_TOL * max(abs(x), abs(y)) and x != y:
                return False
        elif a != b:
            return False
    return True


def _where(question: QuestionModel) -> str:
    return f"question {question.id!r}"


def predict_key(question: Predict) -> str:
    """Return what the question's snippet prints under the installed torch: the key."""
    return snippet_stdout(question.code, _where(question), question.raises)


def numeric_key(question: Numeric) -> float:
    """Return the numeric key: the number ``code`` prints, else the typed ``answer``."""
    if question.code is None:
        assert question.answer is not None  # the model guarantees one of the two
        return question.answer
    printed = snippet_stdout(question.code, _where(question)).strip()
    value = _number(printed)
    if value is None:
        raise QuizBankError(
            [f"{_where(question)}: field 'code': must print one number, printed {printed[:60]!r}"]
        )
    return value


def allowed_error(question: Numeric, key: float) -> float:
    """Return how far an answer may be from ``key`` and still count: ``max(abs, rel * |key|)``."""
    return max(question.tolerance.abs, question.tolerance.rel * abs(key))


def within_tolerance(question: Numeric, value: float, key: float) -> bool:
    """Return True when ``|value - key| <= max(abs, rel * |key|)``."""
    return abs(value - key) <= allowed_error(question, key)


def check_single(question: SingleChoice, answer: str) -> Result:
    """Grade a single-choice answer (an option key)."""
    options = {option.key: option for option in question.options}
    if answer not in options:
        raise QuizAnswerError(
            f"{_where(question)}: {answer!r} is not an option; valid: {', '.join(options)}"
        )
    right = answer == question.answer
    prefix = "Right." if right else "Not quite."
    return Result(float(right), right, f"{prefix} {options[answer].feedback}")


def check_multiple(question: MultipleChoice, answer: Collection[str]) -> Result:
    """Grade select-all: score = max(0, (right picked - wrong picked) / right keys)."""
    options = {option.key: option for option in question.options}
    picked = set(answer)
    unknown = sorted(picked - set(options))
    if unknown:
        raise QuizAnswerError(
            f"{_where(question)}: {', '.join(map(repr, unknown))} not options; "
            f"valid: {', '.join(options)}"
        )
    keys = set(question.answers)
    hits, misses = len(picked & keys), len(picked - keys)
    score = max(0.0, (hits - misses) / len(keys))
    correct = picked == keys
    details = tuple(options[key].feedback for key in options if key in picked)
    if correct:
        summary = "Right: exactly the true statements."
    else:
        missed = len(keys - picked)
        parts = [f"{hits} of {len(keys)} right options picked"]
        if misses:
            parts.append(f"{misses} wrong option(s) picked (each cancels a right one)")
        if missed:
            parts.append(f"{missed} right option(s) missed")
        lead = "Partly right" if score > 0 else "Not quite"  # never "partly" at score 0
        summary = f"{lead}: " + "; ".join(parts) + f". Score {score:.2f}."
    return Result(score, correct, summary, details)


def check_numeric(question: Numeric, answer: float | str) -> Result:
    """Grade a number against the key (from torch when the question has code) within tolerance."""
    value = parse_number(answer) if isinstance(answer, str) else float(answer)
    if value is None or not math.isfinite(value):
        return Result(0.0, False, f"{str(answer)!r} is not a number: type e.g. 0.05 or 5e-2.")
    key = numeric_key(question)
    if within_tolerance(question, value, key):
        return Result(1.0, True, f"Right: {key:.6g}.")
    direction = "too high" if value > key else "too low"
    return Result(0.0, False, f"Not quite: {value:g} is {direction}.")


def check_predict(question: Predict, answer: str) -> Result:
    """Grade a predicted output against what the snippet prints under real torch."""
    key = predict_key(question)
    if same_output(key, answer):
        return Result(1.0, True, "Right: that is exactly what torch prints.")
    expected_count, given_count = len(output_tokens(key)), len(output_tokens(answer))
    if expected_count != given_count:
        feedback = f"Not quite: torch prints {expected_count} value(s), you wrote {given_count}."
    else:
        feedback = "Not quite: at least one value differs from what torch prints."
    return Result(0.0, False, feedback)


def _torch_reference(expression: str, **names: Any) -> Any:
    from lrcourse.quiz.labs import torch_names

    return eval(expression, {**torch_names(), **names})


def _close(a: Sequence[float], b: Sequence[float], rel: float = 1e-9) -> bool:
    return len(a) == len(b) and all(
        abs(x - y) <= rel * max(abs(x), abs(y), 1e-300) or x == y for x, y in zip(a, b, strict=True)
    )


def _first_difference(mine: list[list[float]], torch_lrs: list[list[float]], label: str) -> str:
    for group, (a, b) in enumerate(zip(mine, torch_lrs, strict=False)):
        for step, (x, y) in enumerate(zip(a, b, strict=False)):
            if not _close([x], [y]):
                return f"group {group}, step {step}: yours {x:.6g}, torch's {label} {y:.6g}"
        if len(a) != len(b):
            return f"group {group}: {len(a)} rates, torch's {label} gives {len(b)}"
    return f"{len(mine)} param group(s), torch's {label} has {len(torch_lrs)}"


def _judge_trace(check: Any, seen: dict[str, Any]) -> tuple[bool, str]:
    from lrcourse.trace import trace_scheduler

    truth = trace_scheduler(
        lambda opt: _torch_reference(check.reference, opt=opt),
        epochs=check.epochs,
        steps_per_epoch=check.steps_per_epoch,
        step_per=check.step_per,
        lr=check.lr,
        param_groups=check.param_groups,
        optimizer=check.optimizer,
    )
    label = check.reference.split("(")[0]
    torch_lrs = [list(group) for group in truth.lrs]
    groups = len(torch_lrs)
    if seen["lrs"] == torch_lrs or (
        len(seen["lrs"]) == groups
        and all(_close(a, b) for a, b in zip(seen["lrs"], torch_lrs, strict=True))
    ):
        if _close(seen["final_lrs"], list(truth.final_lrs)):
            return True, f"same rates as torch's {label} ({groups} group(s), {check.epochs} epochs)"
        return False, f"get_last_lr() at the end differs from torch's {label}"
    return False, _first_difference(seen["lrs"], torch_lrs, label)


def _same_state(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_state(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same_state(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) or isinstance(b, float):
        return isinstance(a, (int, float)) and isinstance(b, (int, float)) and _close([a], [b])
    return a == b


def _judge(check: Any, seen: dict[str, Any]) -> tuple[bool, str]:
    if "error" in seen:
        return False, f"raised {seen['error']}"
    if check.kind == "trace":
        return _judge_trace(check, seen)
    if check.kind == "state_dict":
        if not _same_state(seen["saved"], seen["reloaded"]):
            return False, "load_state_dict(state_dict()) gave a different state_dict()"
        if not _close(seen["last_lr"], seen["reloaded_last_lr"]):
            return False, "after load_state_dict the reloaded get_last_lr() differs"
        return True, "state_dict() round trip keeps the state and get_last_lr()"
    if check.kind == "resume":
        for step, (a, b) in enumerate(zip(seen["straight"], seen["resumed"], strict=False)):
            if not _close(a, b):
                return False, (
                    f"after resuming at step {check.stop_after}, step {step} used {b} "
                    f"instead of {a}"
                )
        return True, f"save at step {check.stop_after} and resume gives the same rates"
    if check.kind == "no_warnings":
        if seen["warnings"]:
            return False, f"torch warned: {seen['warnings'][0]}"
        return True, "no warnings"
    expected = _torch_reference(check.expected)
    value = seen["value"]
    values = value if isinstance(value, list) else [value]
    wanted = list(expected) if isinstance(expected, (list, tuple)) else [expected]
    try:
        same = _close([float(v) for v in values], [float(v) for v in wanted], check.rel)
    except (TypeError, ValueError):
        same = values == wanted
    return same, f"{check.expression} = {value!r}" + ("" if same else f"; torch gives {expected!r}")


def lab_job(question: Code | FixLoop, source: str) -> dict[str, Any]:
    """Return the job a lab runner executes: the learner's ``source`` plus the public inputs of its checks.

    The job holds no keys: reference traces are rebuilt from torch by :func:`judge_lab` in the
    grader's own process, never handed to the learner's code.
    """
    if isinstance(question, Code):
        return {
            "kind": "code",
            "source": source,
            "entry": question.entry,
            "checks": [check.model_dump() for check in question.checks],
        }
    return {
        "kind": "loop",
        "source": source,
        "entry": question.entry,
        "scheduler": question.scheduler,
        "scheduler_params": question.scheduler_params,
        "epochs": question.epochs,
        "batches": question.batches,
    }


def _loop_report(question: FixLoop, observations: dict[str, Any]) -> LoopReport:
    return analyse_loop(
        observations,
        scheduler=question.scheduler,
        scheduler_params=question.scheduler_params,
        step_per=question.step_per,
        epochs=question.epochs,
        batches=question.batches,
    )


def _loop_result(report: LoopReport) -> Result:
    if report.correct:
        summary = "Right: the loop steps in the right order and the rates match torch."
    else:
        found = ", ".join(report.bugs) or "the rates differ from the correct loop"
        summary = f"Not yet: {found}."
    return Result(float(report.correct), report.correct, summary, tuple(report.lines()))


def judge_lab(question: Code | FixLoop, observations: dict[str, Any]) -> Result:
    """Return the grade of what a lab run observed, judged against torch in this process.

    ``observations`` is what the learner's code was seen to do (from :mod:`lrcourse.quiz.run` or
    the grading sandbox); raises ``KeyError``/``TypeError`` on observations of the wrong shape.
    """
    if "error" in observations:
        return Result(0.0, False, str(observations["error"]))
    if isinstance(question, Code):
        lines, passed = [], 0
        for check, seen in zip(question.checks, observations["observations"], strict=True):
            ok, message = _judge(check, seen)
            passed += ok
            lines.append(f"{'passed' if ok else 'FAILED'} {check.kind}: {message}")
        total = len(question.checks)
        correct = passed == total
        summary = "All checks pass." if correct else f"{passed} of {total} checks pass."
        return Result(passed / total, correct, summary, tuple(lines))
    if observations.get("loop_error"):
        return Result(0.0, False, str(observations["loop_error"]))
    return _loop_result(_loop_report(question, observations))


def check_code(
    question: Code, source: str, timeout: float | None = None, *, isolated: bool = True
) -> Result:
    """Run the learner's code in a subprocess; score = checks passed / checks."""
    lab = run_lab(lab_job(question, source), timeout or question.timeout, isolated=isolated)
    if not lab.ok:
        return Result(0.0, False, f"Your code could not be checked: {lab.problem}")
    return judge_lab(question, lab.observations)


def record_loop(
    question: FixLoop, source: str, timeout: float | None = None, *, isolated: bool = True
) -> tuple[str | None, LoopReport | None]:
    """Run ``source``'s loop against the recorders; return ``(problem, report)``, one of them None."""
    lab = run_lab(lab_job(question, source), timeout or question.timeout, isolated=isolated)
    if not lab.ok:
        return f"Your loop could not be checked: {lab.problem}", None
    if "error" in lab.observations:
        return lab.observations["error"], None
    if lab.observations.get("loop_error"):
        return lab.observations["loop_error"], None
    return None, _loop_report(question, lab.observations)


def check_fix_loop(
    question: FixLoop, source: str, timeout: float | None = None, *, isolated: bool = True
) -> Result:
    """Run the learner's loop against a recording optimizer/scheduler; 1 only if nothing is wrong."""
    problem, report = record_loop(question, source, timeout, isolated=isolated)
    if report is None:
        return Result(0.0, False, problem or "the loop could not be checked")
    return _loop_result(report)


def check_explain(question: Explain, ticked: Collection[int]) -> Result:
    """Self-assessment: score = checklist items ticked / items."""
    total = len(question.checklist)
    bad = [i for i in ticked if not (isinstance(i, int) and 0 <= i < total)]
    if bad:
        raise QuizAnswerError(f"{_where(question)}: checklist items are 0..{total - 1}, got {bad}")
    covered = len(set(ticked))
    missed = [item for i, item in enumerate(question.checklist) if i not in set(ticked)]
    details = tuple(f"not yet covered: {item}" for item in missed)
    return Result(
        covered / total, covered == total, f"You covered {covered} of {total} ideas.", details
    )


def check_flashcard(question: Flashcard, knew_it: bool) -> Result:
    """Self-assessment: 1 if the learner knew the back of the card."""
    return Result(float(bool(knew_it)), bool(knew_it), question.back)


def check_answer(question: QuestionModel, answer: Any, *, timeout: float | None = None) -> Result:
    """Grade ``answer`` to ``question`` (any type); raise :class:`QuizAnswerError` for a bad shape."""
    if isinstance(question, SingleChoice):
        return check_single(question, answer)
    if isinstance(question, MultipleChoice):
        if isinstance(answer, str):
            raise QuizAnswerError(f"{_where(question)}: give a list of option keys, not a string")
        return check_multiple(question, answer)
    if isinstance(question, Numeric):
        return check_numeric(question, answer)
    if isinstance(question, Predict):
        return check_predict(question, str(answer))
    if isinstance(question, Code):
        return check_code(question, str(answer), timeout)
    if isinstance(question, FixLoop):
        return check_fix_loop(question, str(answer), timeout)
    if isinstance(question, Explain):
        return check_explain(question, answer)
    return check_flashcard(question, answer)
