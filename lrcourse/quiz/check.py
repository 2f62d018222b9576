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
import random
from collections.abc import Collection
from typing import Any

from lrcourse.quiz.errors import QuizAnswerError, QuizBankError
from lrcourse.quiz.judge import judge_lab, lab_job, loop_report, loop_result
from lrcourse.quiz.loops import LoopReport, finite
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
from lrcourse.quiz.parse import NUMBER, answer_tokens, parse_number, token_number
from lrcourse.quiz.result import Result
from lrcourse.quiz.run import run_lab, snippet_stdout

#: Relative tolerance for numbers inside printed output (``predict``).
OUTPUT_REL_TOL = 1e-6


#: Longest answer text read as a number or an option key (a megabyte string is no answer).
ANSWER_TEXT_LIMIT = 1000


def _number(token: str) -> float | None:
    try:
        value = float(token)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def short(value: Any, limit: int = 60) -> str:
    """Return ``repr(value)`` cut to ``limit`` characters (for messages about learner input)."""
    text = (
        repr(value)
        if not isinstance(value, str) or len(value) <= 10 * limit
        else repr(value[: 10 * limit])
    )
    return text if len(text) <= limit else text[: limit - 3] + "..."


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
        x, y = token_number(a), token_number(b)  # None for words and 1e999 (compared as text)
        if x is not None and y is not None:
            if abs(x - y) > OUTPUT_REL_TOL * max(abs(x), abs(y)) and x != y:
                return False
        elif a != b:
            return False
    return True


#: Longest answer text of any kind the grader reads (a megabyte string is no answer).
ANSWER_SIZE_LIMIT = 100_000


def answer_problem(question: QuestionModel, value: Any) -> str | None:
    """Return why ``value`` is not a valid answer to ``question`` (non-finite, absurd), else None.

    Checked before any comparison: ``inf`` would otherwise be within every tolerance of the
    key, and a 400-digit integer does not fit a float.
    """
    if isinstance(value, str) and len(value) > ANSWER_SIZE_LIMIT:
        return f"the answer is {len(value):,} characters long (at most {ANSWER_SIZE_LIMIT:,})"
    if isinstance(question, Numeric):
        if isinstance(value, str):
            fits = len(value) <= ANSWER_TEXT_LIMIT
            if not fits or parse_number(value) is None:
                return f"{short(value)} is not a finite number: type e.g. 0.05 or 5e-2"
        elif finite(value) is None:
            return f"`answer` must be a finite number, not {short(value)}"
    if isinstance(question, Predict) and isinstance(value, str):
        for token in output_tokens(value):
            if NUMBER.match(token) and token_number(token) is None:
                return f"{short(token)} is not a finite number (torch prints inf as inf)"
    return None


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
            f"{_where(question)}: {short(answer)} is not an option; valid: {', '.join(options)}"
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
        shown = ", ".join(short(key, 30) for key in unknown[:5])
        more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        raise QuizAnswerError(
            f"{_where(question)}: {shown}{more} not options; valid: {', '.join(options)}"
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
    if isinstance(answer, str):
        fits = len(answer) <= ANSWER_TEXT_LIMIT
        value = parse_number(answer) if fits else None
    else:
        value = finite(answer)
    if value is None:
        return Result(0.0, False, f"{short(answer)} is not a number: type e.g. 0.05 or 5e-2.")
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


def check_code(
    question: Code,
    source: str,
    timeout: float | None = None,
    *,
    isolated: bool = True,
    rng: random.Random | None = None,
) -> Result:
    """Run the learner's code in a subprocess; score: weighted checks passed (see ``judge``).

    With ``rng`` the probe settings and value inputs are drawn from it, as the grader draws them.
    """
    job = lab_job(question, source, rng)
    lab = run_lab(job, timeout or question.timeout, isolated=isolated)
    if not lab.ok:
        return Result(0.0, False, f"Your code could not be checked: {lab.problem}")
    return judge_lab(question, lab.observations, job)


def record_loop(
    question: FixLoop,
    source: str,
    timeout: float | None = None,
    *,
    isolated: bool = True,
    rng: random.Random | None = None,
) -> tuple[str | None, LoopReport | None]:
    """Run ``source``'s loop against the recorders; return ``(problem, report)``, one of them None."""
    job = lab_job(question, source, rng)
    lab = run_lab(job, timeout or question.timeout, isolated=isolated)
    if not lab.ok:
        return f"Your loop could not be checked: {lab.problem}", None
    if "error" in lab.observations:
        return lab.observations["error"], None
    if lab.observations.get("loop_error"):
        return lab.observations["loop_error"], None
    return None, loop_report(question, lab.observations, job)


def check_fix_loop(
    question: FixLoop, source: str, timeout: float | None = None, *, isolated: bool = True
) -> Result:
    """Run the learner's loop against a recording optimizer/scheduler; 1 only if nothing is wrong."""
    problem, report = record_loop(question, source, timeout, isolated=isolated)
    if report is None:
        return Result(0.0, False, problem or "the loop could not be checked")
    return loop_result(report)


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
