"""Grade a folder of handed-in notebooks in parallel into the gradebook.

The pipeline: walk the folder and match hand-ins to the roster (``intake``: nothing followed,
nothing run; an empty folder or a filter matching nobody stops here, before anything is
written) -> choose one hand-in per student (``_choose``) -> start the sandbox servers (they
import torch in their own processes while this one imports it too) -> read each (``collect``) ->
skip what the gradebook already holds for that exact file (by content hash) unless regrading ->
grade the rest on a thread pool with :class:`~lrcourse.grading.grader.Grader`: code in a
:class:`~lrcourse.sandbox.pool.SandboxPool`, everything else in this process with
``lrcourse.quiz.check``; written (``explain``) answers and odd hand-ins are kept for a person ->
write each hand-in's results in one transaction, replacing (and logging) what it held before.
Keys are computed here by real torch (once per distinct snippet, before the pool is used);
verdicts on code are computed here from what the sandbox observed.
"""

from __future__ import annotations

import gc
import hashlib
import os
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from lrcourse.grading.collect import Answer, Submission, parse_submission
from lrcourse.grading.gradebook import Gradebook, HandInInfo, QuestionResult, answer_text
from lrcourse.grading.intake import ODD_ENTRY, Finding, HandIn, Intake, collect_folder
from lrcourse.grading.late import lateness
from lrcourse.grading.manifest import REVIEWED_TYPES, AssignmentError, Manifest, changed_questions
from lrcourse.quiz.model import QuestionModel
from lrcourse.quiz.run import LAB_RUNNER
from lrcourse.sandbox.pool import Limits, SandboxPool

#: Statuses a person should look at (``lrcourse review`` walks them).
REVIEW_STATUSES = ("needs-review", "invalid", "unreadable", "grader-error")
#: Findings that are news, not problems (they do not make ``grade`` exit 1).
INFO_FINDINGS = ("resubmitted",)


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
    #: Once torch and the keys are loaded, ``gc.freeze()`` what is alive so that no later
    #: collection walks it again (~0.3 s of a run). Right for a process that grades once and
    #: exits (the CLI); in a long-lived one, objects alive then are never collected as cycles.
    freeze_loaded: bool = False
    #: The command recorded with the run in the gradebook's history.
    command: str = ""


@dataclass
class GradeReport:
    """What a run did: files seen, submissions graded and skipped, statuses, findings, seconds."""

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
    files: int = 0
    #: Everything in the folder that is not a plain hand-in, by name (see ``intake.py``).
    findings: list[Finding] = field(default_factory=list)
    #: ``(student, question_id, status, reason)`` of every answer this run did not grade fully.
    attention: list[tuple[str, str, str, str]] = field(default_factory=list)
    #: Questions whose bank text changed since ``assign`` (their keys may differ now).
    changed_questions: list[str] = field(default_factory=list)
    run_id: int = 0

    def problems(self) -> list[Finding]:
        """Return the findings a person must act on (not mere news such as a resubmission)."""
        return [f for f in self.findings if f.kind not in INFO_FINDINGS]


@contextmanager
def _collector_paused(freeze: bool) -> Iterator[None]:
    """Pause Python's cyclic garbage collector for the block, then restore it as it was.

    The block imports torch and builds the first optimizer (which imports ``torch._dynamo``):
    ~300 k objects that stay alive. With the collector on, it walks them again and again while
    they load, ~0.6 s of a grading run's start-up; garbage made meanwhile is collected after
    the block. ``freeze``: see :attr:`GradeOptions.freeze_loaded`.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if freeze:
            gc.freeze()
        if enabled:
            gc.enable()


def _choose(student: str, handins: list[HandIn]) -> tuple[HandIn, str | None, list[Finding]]:
    """Return the hand-in to grade for ``student``, a problem that sends it to review, findings.

    Byte-identical copies count once; a loose file beside the student's own folder is reported,
    not graded (it cannot zero the student); of several Canvas submissions the latest counts;
    an odd entry (symlink, FIFO, too big) next to a readable notebook is reported, not graded.
    Several different notebooks that remain are not guessed between: they go to review.
    """
    findings: list[Finding] = []
    unique: dict[object, HandIn] = {}
    for handin in sorted(handins, key=lambda h: (not h.in_own_folder, h.label)):
        unique.setdefault(handin.data if handin.data is not None else handin.label, handin)
    pool = list(unique.values())
    readable = [h for h in pool if h.problem is None]
    if readable and len(readable) < len(pool):
        for odd in (h for h in pool if h.problem is not None):
            findings.append(Finding("odd-entry", odd.label, f"{odd.problem}; not graded"))
        pool = readable
    if any(h.in_own_folder for h in pool) and not all(h.in_own_folder for h in pool):
        for loose in (h for h in pool if not h.in_own_folder):
            detail = f"another file for {student} outside their folder; not graded"
            findings.append(Finding("extra-file", loose.label, detail))
        pool = [h for h in pool if h.in_own_folder]
    if len({h.lms_submission for h in pool}) > 1:
        latest = max(h.lms_submission for h in pool)
        for older in (h for h in pool if h.lms_submission != latest):
            findings.append(
                Finding("resubmitted", older.label, "an earlier submission; not graded")
            )
        pool = [h for h in pool if h.lms_submission == latest]
    if len(pool) == 1:
        return pool[0], pool[0].problem, findings
    names = ", ".join(sorted(Path(h.label).name for h in pool))
    return pool[0], f"{len(pool)} notebooks handed in ({names}); keep one", findings


def _submission(
    student: str, chosen: HandIn, problem: str | None, count: int, manifest: Manifest
) -> Submission:
    if problem is None and chosen.data is not None:
        return parse_submission(chosen.data, chosen.label, student, manifest)
    digest = hashlib.sha256(f"{problem}\0{chosen.label}\0{count}".encode()).hexdigest()
    odd = "notebooks handed in" in (problem or "") or any(m in (problem or "") for m in ODD_ENTRY)
    # Odd entries (a symlink, a FIFO, notebooks to choose between) go to a person; a file that
    # could not be read (too big, no permission) is graded as unreadable, as a corrupt one is.
    prefix = "review:" if odd else "unreadable:"
    return Submission(student, Path(chosen.label), prefix + digest, problem=problem)


def _untouched(submission: Submission) -> bool:
    """Return True for a release handed back as it was: every answer cell unanswered."""
    return bool(submission.answers) and all(
        (a.problem or "").startswith("not answered") for a in submission.answers.values()
    )


def _review_result(question_id: str, points: float, answer: Answer, reason: str) -> QuestionResult:
    text = answer.source if answer.value is None else answer_text(answer.value)
    return QuestionResult(question_id, 0.0, points, "needs-review", reason, text[:20_000], "")


def _answer_for_person(
    submission: Submission, manifest: Manifest, question_id: str
) -> QuestionResult:
    """Return the result of an answer only a person can grade (an ``explain`` question)."""
    slot = manifest.slot(question_id)
    answer = submission.answers.get(question_id, Answer(question_id))
    if answer.problem is not None:
        status = "not-answered" if "not answered" in answer.problem else "invalid"
        return QuestionResult(
            question_id, 0.0, slot.points, status, answer.problem, answer.source, ""
        )
    if not isinstance(answer.value, str) or not answer.value.strip():
        reason = "`answer` must be your explanation, as text between the triple quotes"
        return QuestionResult(
            question_id, 0.0, slot.points, "invalid", reason, answer_text(answer.value), ""
        )
    return _review_result(
        question_id, slot.points, answer, "a written answer: a person grades it (lrcourse review)"
    )


def _check_filters(intake: Intake, manifest: Manifest, options: GradeOptions, folder: Path) -> None:
    """Raise before anything is written when the folder or a filter matches nothing."""
    if intake.files == 0:
        raise AssignmentError(
            f"{folder}: no files in this folder (empty or mistyped?); nothing was changed"
        )
    if not intake.handins:
        raise AssignmentError(
            f"{folder}: {intake.files} file(s), none of them a hand-in of a student of "
            f"{manifest.assignment!r} (first: {intake.findings[0].line() if intake.findings else '-'}); "
            "nothing was changed"
        )
    roster = set(manifest.roster_ids())
    for student in options.students:
        if roster and student not in roster:
            raise AssignmentError(
                f"--student {student!r} is not on the class list of {manifest.assignment!r}; "
                "nothing was changed"
            )
        if student not in intake.handins:
            raise AssignmentError(
                f"--student {student!r}: no hand-in of theirs in {folder}; nothing was changed"
            )


def grade_folder(
    folder: Path,
    manifest: Manifest,
    gradebook: Gradebook,
    questions: dict[str, QuestionModel],
    options: GradeOptions = GradeOptions(),
) -> GradeReport:
    """Grade every hand-in under ``folder`` for ``manifest``; return what was done.

    Raises :class:`AssignmentError` (and writes nothing) for a folder or filter that matches
    nothing. Results are replaced only for hand-ins read in this run, after they were graded.
    """
    start = time.monotonic()
    report = GradeReport()
    folder = Path(folder)
    if not folder.is_dir():
        raise AssignmentError(f"{folder}: not a folder of submissions; nothing was changed")
    wanted_questions = list(options.questions) or [s.question_id for s in manifest.slots]
    for question_id in wanted_questions:
        manifest.slot(question_id)  # raises naming the valid ids
    intake = collect_folder(folder, manifest)
    _check_filters(intake, manifest, options, folder)
    wanted = set(options.students)
    handins = {s: h for s, h in intake.handins.items() if not wanted or s in wanted}
    report.files = intake.files
    report.findings = [
        f for f in intake.findings if not wanted or f.kind not in ("missing",) or f.name in wanted
    ]
    report.changed_questions = changed_questions(manifest, questions)
    # A student graded from an earlier folder (a first batch, another download) is not missing.
    earlier = {s: i["content_hash"] for s, i in gradebook.submissions(manifest.assignment).items()}
    report.findings = [f for f in report.findings if f.kind != "missing" or f.name not in earlier]
    gradebook.register(manifest)
    machine = [q for q in wanted_questions if manifest.slot(q).type not in REVIEWED_TYPES]
    by_person = [q for q in wanted_questions if manifest.slot(q).type in REVIEWED_TYPES]
    # No more sandboxes than hand-ins: a one-student regrade starts one server, not one per core.
    jobs = min(options.jobs or os.cpu_count() or 1, max(1, len(handins)))
    hide = [*options.hide, folder, gradebook.path]
    hide += [Path(f"{gradebook.path}-wal"), Path(f"{gradebook.path}-shm")]
    hide += [Path(gradebook.path).parent / ".lrcourse-probe-key"]  # see grader.probe_key_for
    has_code = any(manifest.slot(q).type in ("code", "fix-loop") for q in machine)
    # Started first, so that the servers import torch (seconds) while this process does too.
    pool = (
        SandboxPool(jobs, hide=[str(p) for p in hide], preload=(LAB_RUNNER,)) if has_code else None
    )
    run_id = 0
    try:
        with _collector_paused(options.freeze_loaded):
            # Imported only now, once the servers are on their way: it imports torch (see above).
            from lrcourse.grading.grader import Grader, probe_key_for

            run_id = gradebook.start_run(manifest.assignment, options.command or f"grade {folder}")
            report.run_id = run_id
            todo: list[tuple[Submission, list[str], HandInInfo]] = []
            for student, found in sorted(handins.items()):
                chosen, problem, extra = _choose(student, found)
                report.findings += extra
                submission = _submission(student, chosen, problem, len(found), manifest)
                if _untouched(submission) and earlier.get(student, submission.content_hash) != (
                    submission.content_hash
                ):
                    detail = "an unanswered release; the hand-in graded before is kept"
                    report.findings.append(Finding("untouched", chosen.label, detail))
                    continue
                flags = ""
                if submission.released_to and submission.released_to != student:
                    flags = f"the notebook was released to {submission.released_to!r}"
                    report.findings.append(Finding("released-to", chosen.label, flags))
                late = lateness(manifest.late, chosen.submitted_at, chosen.lms_late)
                info = HandInInfo(
                    flags=flags,
                    submitted_at=chosen.submitted_at.isoformat() if chosen.submitted_at else "",
                    late_days=late.days,
                    late_factor=late.factor,
                    late_note=late.note,
                )
                done = (
                    set()
                    if options.regrade
                    else gradebook.graded_questions(
                        manifest.assignment, student, submission.content_hash
                    )
                )
                missing = [q for q in wanted_questions if q not in done]
                if missing:
                    todo.append((submission, missing, info))
                else:
                    report.skipped += 1
            report.seen = len(handins)
            probe_key = probe_key_for(gradebook.path) if pool is not None else None
            grader = Grader(manifest, questions, pool, options.limits, probe_key)
            grader.warm_keys([s for s, _, _ in todo if s.problem is None])
        bar = tqdm(total=len(todo), desc="grading", unit="nb", disable=not options.progress)

        def grade(submission: Submission, question_ids: list[str]) -> list[QuestionResult]:
            if submission.problem is not None and submission.content_hash.startswith("review:"):
                return [
                    _review_result(q, manifest.slot(q).points, Answer(q), submission.problem)
                    for q in question_ids
                ]
            ours = [q for q in question_ids if q in machine]
            results = grader.grade_one(submission, ours) if ours else []
            for q in question_ids:
                if q in by_person:
                    if submission.problem is not None:
                        reason = submission.problem
                        results.append(
                            _review_result(q, manifest.slot(q).points, Answer(q), reason)
                        )
                    else:
                        results.append(_answer_for_person(submission, manifest, q))
            return results

        with ThreadPoolExecutor(max_workers=jobs + 1) as executor:
            pending: dict[Future[list[QuestionResult]], tuple[Submission, HandInInfo]] = {
                executor.submit(grade, sub, qs): (sub, info) for sub, qs, info in todo
            }
            while pending:
                done_futures, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done_futures:
                    submission, info = pending.pop(future)
                    results = future.result()
                    gradebook.record(
                        manifest.assignment,
                        submission.student,
                        submission.content_hash,
                        str(submission.path),
                        submission.problem,
                        results,
                        run_id,
                        info,
                    )
                    report.graded += 1
                    report.questions_graded += len(results)
                    report.statuses.update(r.status for r in results)
                    report.attention += [
                        (submission.student, r.question_id, r.status, r.reason)
                        for r in results
                        if r.status != "graded"
                    ]
                    bar.update(1)
        bar.close()
        report.code_runs = grader.code_runs
        report.run_seconds = list(grader.run_seconds)
        report.isolation = pool.isolation if pool is not None and grader.code_runs else ""
    finally:
        if pool is not None:
            pool.close()
    report.attention.sort()
    summary = (
        f"{report.seen} hand-in(s), {report.graded} graded, {report.skipped} unchanged, "
        f"{len(report.problems())} finding(s)"
    )
    gradebook.finish_run(run_id, report.seen, report.graded, summary)
    report.seconds = time.monotonic() - start
    return report
