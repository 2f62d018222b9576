"""Grade one submission's answers: choice and value answers here, code in the sandbox.

:class:`Grader` holds one assignment's questions, the torch keys it computes in this process
(once per distinct snippet) and the sandbox pool that runs code; :func:`Grader.grade_one` turns a
submission into one :class:`~lrcourse.grading.gradebook.QuestionResult` per question and never
raises for what the submission contains. Verdicts on code are computed here from what the
sandbox observed, against a reference torch computes in this process.

Importing this module imports torch (about a second): :func:`lrcourse.grading.grade.grade_folder`
imports it only after its sandbox servers have started, so the two start-ups overlap.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import random
from collections.abc import Sequence

from lrcourse.errors import LRCourseError
from lrcourse.grading.collect import Answer, Submission
from lrcourse.grading.gradebook import QuestionResult, answer_text
from lrcourse.grading.manifest import Manifest, variant_question
from lrcourse.quiz.audit import Finding, audit_source, review_reason
from lrcourse.quiz.check import (
    Result,
    answer_problem,
    check_answer,
    judge_lab,
    lab_job,
    numeric_key,
    predict_key,
)
from lrcourse.quiz.model import Code, FixLoop, Numeric, Predict, QuestionModel
from lrcourse.quiz.run import LAB_RUNNER
from lrcourse.sandbox.pool import Limits, Probe, SandboxPool, SandboxResult

PROBE_KEY_NAME = ".lrcourse-probe-key"


def probe_key_for(gradebook: str | os.PathLike[str]) -> bytes:
    """Return the secret that seeds probe settings for ``gradebook``'s folder (made on first use).

    Kept beside the gradebook, readable by its owner only; runs never see the instructor's
    folders. Deleting it only makes the next regrade draw new settings.
    """
    path = os.path.join(os.path.dirname(os.path.abspath(gradebook)), PROBE_KEY_NAME)
    try:
        with open(path, "rb") as handle:
            key = handle.read(64)
        if len(key) >= 32:
            return key
    except OSError:
        pass
    key = os.urandom(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(key)
    except OSError:  # a read-only folder: this run's settings are simply not reproducible
        pass
    return key


def _result(
    question_id: str,
    points: float,
    status: str,
    reason: str,
    answer: Answer,
    feedback: str = "",
    score: float = 0.0,
) -> QuestionResult:
    text = answer.source if answer.value is None else answer_text(answer.value)
    return QuestionResult(question_id, score, points, status, reason, text[:20_000], feedback)


def _graded(question_id: str, points: float, answer: Answer, result: Result) -> QuestionResult:
    """Return the stored result of an answer that was graded (its reason: feedback when wrong)."""
    reason = "" if result.correct else result.feedback
    return _result(question_id, points, "graded", reason, answer, result.text(), result.score)


class Grader:
    """Grades submissions of one assignment; holds the questions, keys and sandbox pool."""

    def __init__(
        self,
        manifest: Manifest,
        questions: dict[str, QuestionModel],
        pool: SandboxPool | None,
        limits: Limits,
        probe_key: bytes | None = None,
    ) -> None:
        missing = [s.question_id for s in manifest.slots if s.question_id not in questions]
        if missing:
            raise LRCourseError(
                f"assignment {manifest.assignment!r} uses questions not in the banks: "
                f"{', '.join(missing)}"
            )
        self.manifest, self.questions, self.pool, self.limits = manifest, questions, pool, limits
        #: Draws each code run's probe settings (rates, groups, data): unknown to any answer.
        #: With a key, the same hand-in draws the same settings again (a regrade agrees).
        self._probe_key = probe_key
        self.code_runs = 0
        self.run_seconds: list[tuple[str, str, float]] = []

    def question_for(self, question_id: str, student: str) -> QuestionModel:
        """Return ``student``'s copy of the question (its own parameters when variants are on)."""
        question = self.questions[question_id]
        if self.manifest.variants:
            return variant_question(question, self.manifest.seed, student)
        return question

    def warm_keys(self, submissions: Sequence[Submission]) -> None:
        """Compute every torch key the run needs, once each, before grading in threads."""
        for submission in submissions:
            for slot in self.manifest.slots:
                question = self.question_for(slot.question_id, submission.student)
                if isinstance(question, Predict):
                    predict_key(question)
                elif isinstance(question, Numeric):
                    numeric_key(question)

    def grade_one(
        self, submission: Submission, question_ids: Sequence[str]
    ) -> list[QuestionResult]:
        """Return the results of ``question_ids`` for one submission; never raises for its content."""
        results = []
        for question_id in question_ids:
            slot = self.manifest.slot(question_id)
            answer = submission.answers.get(question_id, Answer(question_id))
            if submission.problem is not None:
                results.append(
                    _result(question_id, slot.points, "unreadable", submission.problem, answer)
                )
                continue
            if answer.problem is not None:
                status = (
                    "not-answered"
                    if "not answered" in answer.problem or "no answer" in answer.problem
                    else "invalid"
                )
                results.append(_result(question_id, slot.points, status, answer.problem, answer))
                continue
            question = self.question_for(question_id, submission.student)
            try:
                results.append(self._grade_answer(question, slot.points, answer, submission))
            except LRCourseError as error:  # a learner's answer of the wrong shape
                results.append(_result(question_id, slot.points, "invalid", str(error), answer))
            except Exception as error:  # a grader bug must not stop the other submissions
                reason = f"the grader failed on this answer ({type(error).__name__}: {error})"
                results.append(_result(question_id, slot.points, "grader-error", reason, answer))
        return results

    def _grade_answer(
        self, question: QuestionModel, points: float, answer: Answer, submission: Submission
    ) -> QuestionResult:
        if isinstance(question, Code | FixLoop):
            return self._grade_code(question, points, answer, submission)
        value = answer.value
        problem = answer_problem(question, value)
        if problem is not None:
            return _result(question.id, points, "invalid", problem, answer)
        if isinstance(question, Numeric) and (
            isinstance(value, bool) or not isinstance(value, int | float | str)
        ):
            return _result(question.id, points, "invalid", "`answer` must be a number", answer)
        if question.type == "single" and not isinstance(value, str):
            return _result(
                question.id, points, "invalid", "`answer` must be one option key (text)", answer
            )
        if question.type == "multiple" and not (
            isinstance(value, list | tuple) and all(isinstance(v, str) for v in value)
        ):
            return _result(
                question.id, points, "invalid", "`answer` must be a list of option keys", answer
            )
        if question.type == "predict" and not isinstance(value, str):
            return _result(
                question.id, points, "invalid", "`answer` must be the printed text", answer
            )
        result = check_answer(question, value)
        return _graded(question.id, points, answer, result)

    def probes(self, question_id: str, submission: Submission) -> random.Random:
        """Return the random source of one code run's probe settings.

        Without a key: fresh system randomness. With one: seeded from an HMAC of the key, the
        student, the question and the hand-in's content, so settings are unknown in advance
        (the key never leaves the grader) yet a regrade of the same file draws the same ones.
        """
        if self._probe_key is None:
            return random.SystemRandom()
        text = f"{submission.student}\0{question_id}\0{submission.content_hash}".encode()
        digest = hmac.new(self._probe_key, text, hashlib.sha256).digest()
        return random.Random(int.from_bytes(digest, "big"))

    def _grade_code(
        self, question: Code | FixLoop, points: float, answer: Answer, submission: Submission
    ) -> QuestionResult:
        """Run the code on probe settings drawn now; judge what it did here, against torch.

        The job sent holds only the public inputs of the probes; the references, expected
        values and the verdict never leave this process.
        """
        assert self.pool is not None
        student = submission.student
        job = lab_job(question, "", self.probes(question.id, submission))
        job.pop("source")
        self.code_runs += 1
        run: SandboxResult = self.pool.run(
            answer.source, Probe("lab", args={"runner": LAB_RUNNER, "job": job}), self.limits
        )
        self.run_seconds.append((student, question.id, run.elapsed_s))
        findings = audit_source(answer.source, getattr(question, "forbids", ()))
        if not run.ok:
            if findings:
                return _needs_review(question.id, points, answer, findings, None, run.reason)
            return _result(question.id, points, run.status, run.reason, answer, run.reason)
        try:
            result = judge_lab(question, run.value, job, reveal=False)
        except (KeyError, TypeError, ValueError, IndexError, RecursionError) as error:
            reason = f"the run's observations were malformed ({type(error).__name__}: {error})"
            if findings:
                return _needs_review(question.id, points, answer, findings, None, reason)
            return _result(question.id, points, "invalid", reason[:500], answer)
        if findings or result.review:
            return _needs_review(question.id, points, answer, findings, result.review, result)
        return _graded(question.id, points, answer, result)


def _needs_review(
    question_id: str,
    points: float,
    answer: Answer,
    findings: list[Finding],
    forbidden: str | None,
    machine: Result | str,
) -> QuestionResult:
    """Return the result of an answer a person must decide: it earns nothing meanwhile.

    The reason names each construct and its line (and what the run built that the question
    forbids); what the checks alone found follows, for the reviewer, never as credit.
    """
    parts = []
    if findings:
        parts.append(review_reason(findings))
    if forbidden:
        parts.append(f"it did not write the scheduler itself: {forbidden}")
    if isinstance(machine, Result):
        if machine.review:  # its score is 0 already: say what the checks found instead
            alone = machine.feedback.rpartition(". ")[2].rstrip(".")
        else:
            alone = f"score {machine.score:.2f} ({machine.feedback.rstrip('.')})"
        feedback = machine.text()
    else:
        alone, feedback = f"no score ({machine})", machine
    reason = "; ".join(parts) + f". The checks alone: {alone}."
    return _result(question_id, points, "needs-review", reason[:4000], answer, feedback)
