"""Grade a folder of handed-in notebooks in parallel into the gradebook.

The pipeline: find files -> read each (``collect``: no execution) -> skip what the gradebook
already holds for that exact file (by content hash) -> grade the rest on a thread pool, code in
a :class:`~lrcourse.grading.sandbox.SandboxPool` sized to the cores, everything else in this
process with ``lrcourse.quiz.check`` -> write each submission's results in one transaction.
Keys are computed here by real torch (once per distinct snippet, before the pool starts);
verdicts on code are computed here from what the sandbox observed.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from lrcourse.errors import LRCourseError
from lrcourse.grading.collect import Answer, Submission, find_submissions, read_submission
from lrcourse.grading.gradebook import Gradebook, QuestionResult, answer_text
from lrcourse.grading.manifest import Manifest, variant_question
from lrcourse.grading.sandbox import Limits, Probe, SandboxPool, SandboxResult
from lrcourse.quiz.check import (
    Result,
    check_answer,
    judge_lab,
    lab_job,
    numeric_key,
    predict_key,
)
from lrcourse.quiz.model import Code, FixLoop, Numeric, Predict, QuestionModel


@dataclass(frozen=True)
class GradeOptions:
    """How to grade: sandbox limits, parallelism, which students/questions, regrade or not."""

    limits: Limits = field(default_factory=Limits)
    jobs: int = 0  # 0: one sandbox per core
    students: Sequence[str] = ()
    questions: Sequence[str] = ()
    regrade: bool = False
    progress: bool = True
    hide: Sequence[Path] = ()


@dataclass
class GradeReport:
    """What a run did: files seen, submissions graded and skipped, statuses, seconds."""

    seen: int = 0
    graded: int = 0
    skipped: int = 0
    questions_graded: int = 0
    code_runs: int = 0
    #: ``(student, question_id, seconds)`` of every sandbox run, as the grader measured it.
    run_seconds: list[tuple[str, str, float]] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    #: How contained code runs were (``namespace+uid`` meets every guarantee; see sandbox.py).
    isolation: str = ""


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
    ) -> None:
        missing = [s.question_id for s in manifest.slots if s.question_id not in questions]
        if missing:
            raise LRCourseError(
                f"assignment {manifest.assignment!r} uses questions not in the banks: "
                f"{', '.join(missing)}"
            )
        self.manifest, self.questions, self.pool, self.limits = manifest, questions, pool, limits
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
                results.append(
                    self._grade_answer(question, slot.points, answer, submission.student)
                )
            except LRCourseError as error:  # a learner's answer of the wrong shape
                results.append(_result(question_id, slot.points, "invalid", str(error), answer))
            except Exception as error:  # a grader bug must not stop the other submissions
                reason = f"the grader failed on this answer ({type(error).__name__}: {error})"
                results.append(_result(question_id, slot.points, "grader-error", reason, answer))
        return results

    def _grade_answer(
        self, question: QuestionModel, points: float, answer: Answer, student: str
    ) -> QuestionResult:
        if isinstance(question, Code | FixLoop):
            return self._grade_code(question, points, answer, student)
        value = answer.value
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

    def _grade_code(
        self, question: Code | FixLoop, points: float, answer: Answer, student: str
    ) -> QuestionResult:
        assert self.pool is not None
        job = lab_job(question, "")
        job.pop("source")
        self.code_runs += 1
        run: SandboxResult = self.pool.run(
            answer.source, Probe("lab", args={"job": job}), self.limits
        )
        self.run_seconds.append((student, question.id, run.elapsed_s))
        if not run.ok:
            return _result(question.id, points, run.status, run.reason, answer, run.reason)
        try:
            result = judge_lab(question, run.value)
        except (KeyError, TypeError, ValueError, IndexError) as error:  # malformed observations
            return _result(
                question.id,
                points,
                "invalid",
                f"the run's observations were malformed ({type(error).__name__})",
                answer,
            )
        return _graded(question.id, points, answer, result)


def _by_student(found: Sequence[tuple[str, Path]]) -> dict[str, list[Path]]:
    grouped: dict[str, list[Path]] = {}
    for student, path in found:
        grouped.setdefault(student, []).append(path)
    return grouped


def _one_submission(student: str, paths: list[Path], manifest: Manifest) -> Submission:
    """Return the student's submission; several files for one student are not guessed between."""
    if len(paths) == 1:
        return read_submission(paths[0], student, manifest)
    parts = [read_submission(path, student, manifest) for path in paths]
    digest = hashlib.sha256("".join(sorted(p.content_hash for p in parts)).encode()).hexdigest()
    names = ", ".join(sorted(path.name for path in paths))
    return Submission(
        student, paths[0], digest, problem=f"{len(paths)} notebooks handed in ({names}); keep one"
    )


def grade_folder(
    folder: Path,
    manifest: Manifest,
    gradebook: Gradebook,
    questions: dict[str, QuestionModel],
    options: GradeOptions = GradeOptions(),
) -> GradeReport:
    """Grade every notebook under ``folder`` for ``manifest``; return what was done."""
    start = time.monotonic()
    report = GradeReport()
    gradebook.register(manifest)
    wanted_questions = list(options.questions) or [s.question_id for s in manifest.slots]
    for question_id in wanted_questions:
        manifest.slot(question_id)  # raises naming the valid ids
    found = find_submissions(Path(folder))
    if options.students:
        found = [(s, p) for s, p in found if s in set(options.students)]
    if options.regrade:
        gradebook.forget(manifest.assignment, options.students, options.questions)
    jobs = options.jobs or os.cpu_count() or 1
    hide = [*options.hide, folder, gradebook.path]
    hide += [Path(f"{gradebook.path}-wal"), Path(f"{gradebook.path}-shm")]
    has_code = any(manifest.slot(q).type in ("code", "fix-loop") for q in wanted_questions)
    # Started first so the servers import torch while the files are read and keys computed.
    pool = SandboxPool(jobs, hide=[str(p) for p in hide]) if has_code else None
    try:
        run_id = gradebook.start_run(manifest.assignment, f"grade {folder}")
        todo: list[tuple[Submission, list[str]]] = []
        for student, paths in _by_student(found).items():
            submission = _one_submission(student, paths, manifest)
            done = gradebook.graded_questions(manifest.assignment, student, submission.content_hash)
            missing = [q for q in wanted_questions if q not in done]
            if missing:
                todo.append((submission, missing))
            else:
                report.skipped += 1
        report.seen = len(_by_student(found))
        grader = Grader(manifest, questions, pool, options.limits)
        grader.warm_keys([s for s, _ in todo])
        bar = tqdm(total=len(todo), desc="grading", unit="nb", disable=not options.progress)
        with ThreadPoolExecutor(max_workers=jobs + 1) as executor:
            pending: dict[Future[list[QuestionResult]], Submission] = {
                executor.submit(grader.grade_one, sub, qs): sub for sub, qs in todo
            }
            while pending:
                done_futures, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done_futures:
                    submission = pending.pop(future)
                    results = future.result()
                    gradebook.record(
                        manifest.assignment,
                        submission.student,
                        submission.content_hash,
                        str(submission.path),
                        submission.problem,
                        results,
                        run_id,
                    )
                    report.graded += 1
                    report.questions_graded += len(results)
                    report.statuses.update(r.status for r in results)
                    bar.update(1)
        bar.close()
        report.code_runs = grader.code_runs
        report.run_seconds = list(grader.run_seconds)
        report.isolation = pool.isolation if pool is not None and grader.code_runs else ""
    finally:
        if pool is not None:
            pool.close()
    gradebook.finish_run(run_id, report.seen, report.graded)
    report.seconds = time.monotonic() - start
    return report
