"""Grade a folder of handed-in notebooks in parallel into the gradebook.

The pipeline: walk the folder and match hand-ins to the roster (``intake``: nothing followed,
nothing run; an empty folder or a filter matching nobody stops here, before anything is
written) -> plan (``_plan``, no torch, nothing written): choose one hand-in per student
(``choose.choose_handin``), read it (``collect``), decide its lateness from times the LMS
records (``late``), keep a newer hand-in over an older download, skip what the gradebook holds
for that exact file unless regrading, and refuse the run (nothing written) when every notebook
is another assignment's or most of the class would be late -> only if something is left: start
the sandbox servers (they import torch in their own processes while this one imports it too)
and grade on a thread pool with :class:`~lrcourse.grading.grader.Grader`: code in a
:class:`~lrcourse.sandbox.pool.SandboxPool`, everything else in this process with
``lrcourse.quiz.check``; written (``explain``) answers and odd hand-ins are kept for a person ->
write each hand-in's results in one transaction, replacing (and logging) what it held before.
Keys are computed here by real torch (once per distinct snippet, before the pool is used);
verdicts on code are computed here from what the sandbox observed. Ctrl-C stops the run within
seconds and keeps what was recorded.
"""

from __future__ import annotations

import gc
import hashlib
import os
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from tqdm import tqdm

from lrcourse.grading.choose import choose_handin
from lrcourse.grading.collect import Answer, Submission, parse_submission
from lrcourse.grading.gradebook import Gradebook, HandInInfo, QuestionResult, answer_text
from lrcourse.grading.intake import (
    ODD_ENTRY,
    TIME_GIVEN,
    Finding,
    HandIn,
    Intake,
    collect_folder,
)
from lrcourse.grading.keycache import cache_dir as key_cache_dir
from lrcourse.grading.late import lateness
from lrcourse.grading.manifest import REVIEWED_TYPES, AssignmentError, Manifest, changed_questions
from lrcourse.quiz.model import QuestionModel
from lrcourse.quiz.run import LAB_MODULES
from lrcourse.sandbox.pool import Limits, SandboxPool

#: Statuses a person should look at (``lrcourse review`` walks them).
REVIEW_STATUSES = ("needs-review", "invalid", "unreadable", "grader-error")
#: Findings that are news, not problems (they do not make ``grade`` exit 1).
INFO_FINDINGS = ("resubmitted", "replaced", "chose-newest", "late-changed")


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
    #: Take a hand-in's time from its file (folder mtime, zip entry date): only when asked.
    use_file_times: bool = False
    #: Per-student extensions (hours added to the due date) and excused students.
    extensions: Mapping[str, float] = field(default_factory=dict)
    excused: Sequence[str] = ()
    #: Grade even when most of the class would lose points for lateness (else: refuse).
    accept_late: bool = False
    #: Submission times the instructor read in the LMS (e.g. SpeedGrader), by student.
    submitted: Mapping[str, datetime] = field(default_factory=dict)
    #: Submission times an LMS export recorded (Moodle's grading worksheet), and its name.
    recorded: Mapping[str, datetime] = field(default_factory=dict)
    recorded_source: str = ""


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
    #: Ctrl-C stopped the run: what finished is kept, the rest was not graded.
    interrupted: bool = False

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


def _late_guard(late: list[tuple[str, float, str]], total: int, options: GradeOptions) -> None:
    """Refuse (nothing written) when most of the class would lose points for lateness."""
    if options.accept_late or len(late) < 3 or 2 * len(late) <= total:
        return
    sources = ", ".join(sorted({source for _, _, source in late}))
    raise AssignmentError(
        f"{len(late)} of {total} hand-ins would lose points for lateness (times from: {sources}); "
        "a wrong due date or a time that is not a submission time? Check --due, or pass "
        "--accept-late to grade them so; nothing was changed"
    )


def _other_assignment_guard(findings: list[Finding], graded: int, manifest: Manifest) -> None:
    """Refuse (nothing written) when no hand-in in the folder is of this assignment."""
    others = [f for f in findings if f.kind == "other-assignment"]
    if others and graded == 0:
        named = sorted({f.detail.split("'")[1] for f in others if "'" in f.detail})
        raise AssignmentError(
            f"every notebook here ({len(others)}) was released for {', '.join(named)}, not "
            f"{manifest.assignment!r}: the wrong --assignment? nothing was changed"
        )


def _plan(
    handins: dict[str, list[HandIn]],
    manifest: Manifest,
    gradebook: Gradebook,
    wanted_questions: list[str],
    options: GradeOptions,
    report: GradeReport,
    earlier: dict[str, dict[str, object]],
) -> list[tuple[Submission, list[str], HandInInfo]]:
    """Return what to grade (nothing imported, nothing written); raise to refuse the run."""
    todo: list[tuple[Submission, list[str], HandInInfo]] = []
    late: list[tuple[str, float, str]] = []
    chosen_count = 0
    excused = set(options.excused)
    for student, found in sorted(handins.items()):
        chosen, problem, extra = choose_handin(student, found, manifest.assignment)
        report.findings += extra
        if chosen is None:
            continue
        chosen_count += 1
        submission = _submission(student, chosen, problem, len(found), manifest)
        before = earlier.get(student)
        if before is not None and before["content_hash"] != submission.content_hash:
            # An INTEGER NOT NULL column (default 0) written from HandInInfo.lms_order, an int.
            order = before.get("lms_order")
            held = order if isinstance(order, int) else 0
            if chosen.lms_submission and held > chosen.lms_submission:
                detail = (
                    f"an older upload (Canvas file id {chosen.lms_submission}) than the one "
                    f"graded ({held}); the newer hand-in is kept"
                )
                report.findings.append(Finding("older-download", chosen.label, detail))
                continue
        if _untouched(submission) and (before or {}).get(
            "content_hash", submission.content_hash
        ) != (submission.content_hash):
            detail = "an unanswered release; the hand-in graded before is kept"
            report.findings.append(Finding("untouched", chosen.label, detail))
            continue
        flags = ""
        if submission.released_to and submission.released_to != student:
            flags = f"the notebook was released to {submission.released_to!r}"
            report.findings.append(Finding("released-to", chosen.label, flags))
        hours = float(options.extensions.get(student, 0.0))
        given, recorded = options.submitted.get(student), options.recorded.get(student)
        when, source = chosen.submitted_at, chosen.time_source
        if given is not None:
            when, source = given, TIME_GIVEN
        elif recorded is not None and chosen.layout != "canvas":
            when, source = recorded, options.recorded_source
        lateness_now = lateness(
            manifest.late,
            when,
            chosen.lms_late,
            source=source,
            extension=timedelta(hours=hours),
            excused=student in excused,
        )
        note = lateness_now.note
        if hours and not lateness_now.unknown:
            note = f"{note} (extension {hours:g} h)".strip()
        if lateness_now.unknown:
            report.findings.append(Finding("late-unknown", chosen.label, lateness_now.note))
        if lateness_now.factor < 1.0:
            late.append((student, lateness_now.factor, source))
        info = HandInInfo(
            flags=flags,
            submitted_at=when.isoformat() if when else "",
            late_days=lateness_now.days,
            late_factor=lateness_now.factor,
            late_note=note,
            lms_order=chosen.lms_submission,
            time_source=source,
        )
        done = (
            set()
            if options.regrade
            else gradebook.graded_questions(manifest.assignment, student, submission.content_hash)
        )
        missing = [q for q in wanted_questions if q not in done]
        if before is not None and before["content_hash"] != submission.content_hash:
            detail = f"replaces the hand-in graded before ({str(before.get('path'))[:120]})"
            report.findings.append(Finding("replaced", chosen.label, detail))
        same = before is not None and before["content_hash"] == submission.content_hash
        if (
            same
            and before is not None  # implied by ``same``; said again for the type checker
            and (before["late_factor"], before["note"]) != (info.late_factor, info.late_note)
        ):
            detail = (
                f"lateness now {info.late_note or 'on time'} (kept {info.late_factor:g} of the "
                f"points; was {before['late_factor']:g}: {before['note'] or 'on time'})"
            )
            report.findings.append(Finding("late-changed", submission.student, detail))
            todo.append((submission, missing, info))
        elif missing or not same:
            todo.append((submission, missing, info))
        else:
            report.skipped += 1
    _other_assignment_guard(report.findings, chosen_count, manifest)
    _late_guard(late, len(todo), options)
    return todo


def grade_folder(
    folder: Path,
    manifest: Manifest,
    gradebook: Gradebook,
    questions: dict[str, QuestionModel],
    options: GradeOptions = GradeOptions(),
) -> GradeReport:
    """Grade every hand-in under ``folder`` for ``manifest``; return what was done.

    Raises :class:`AssignmentError` (and writes nothing) for a folder or filter that matches
    nothing, a folder of another assignment's notebooks, or a run that would make most of the
    class late. Results are replaced only for hand-ins read in this run, after they were
    graded. Nothing that needs torch or a sandbox starts when there is nothing new to grade.
    Ctrl-C stops the run within seconds: what finished is kept (``report.interrupted``).
    """
    start = time.monotonic()
    report = GradeReport()
    folder = Path(folder)
    if not folder.is_dir():
        raise AssignmentError(f"{folder}: not a folder of submissions; nothing was changed")
    wanted_questions = list(options.questions) or [s.question_id for s in manifest.slots]
    for question_id in wanted_questions:
        manifest.slot(question_id)  # raises naming the valid ids
    intake = collect_folder(folder, manifest, use_file_times=options.use_file_times)
    _check_filters(intake, manifest, options, folder)
    wanted = set(options.students)
    handins = {s: h for s, h in intake.handins.items() if not wanted or s in wanted}
    report.files = intake.files
    report.findings = [
        f for f in intake.findings if not wanted or f.kind not in ("missing",) or f.name in wanted
    ]
    report.changed_questions = changed_questions(manifest, questions)
    # A student graded from an earlier folder (a first batch, another download) is not missing;
    # an excused student is not missing either.
    earlier = gradebook.submissions(manifest.assignment)
    excused = set(options.excused)
    report.findings = [
        f
        for f in report.findings
        if f.kind != "missing" or (f.name not in earlier and f.name not in excused)
    ]
    todo = _plan(handins, manifest, gradebook, wanted_questions, options, report, earlier)
    report.seen = len(handins)
    gradebook.register(manifest)
    run_id = gradebook.start_run(manifest.assignment, options.command or f"grade {folder}")
    report.run_id = run_id
    if todo:
        _grade_todo(todo, manifest, gradebook, questions, options, report, folder, run_id)
    report.attention.sort()
    summary = (
        f"{report.seen} hand-in(s), {report.graded} graded, {report.skipped} unchanged, "
        f"{len(report.problems())} finding(s)" + (", interrupted" if report.interrupted else "")
    )
    gradebook.finish_run(run_id, report.seen, report.graded, summary)
    report.seconds = time.monotonic() - start
    return report


def _grade_todo(
    todo: list[tuple[Submission, list[str], HandInInfo]],
    manifest: Manifest,
    gradebook: Gradebook,
    questions: dict[str, QuestionModel],
    options: GradeOptions,
    report: GradeReport,
    folder: Path,
    run_id: int,
) -> None:
    """Grade ``todo`` on a thread pool (code in sandboxes) and record each hand-in as it ends."""
    wanted = {q for _, qs, _ in todo for q in qs}
    machine = [q for q in wanted if manifest.slot(q).type not in REVIEWED_TYPES]
    by_person = [q for q in wanted if manifest.slot(q).type in REVIEWED_TYPES]
    # No more sandboxes than hand-ins: a one-student regrade starts one server, not one per core.
    jobs = min(options.jobs or os.cpu_count() or 1, max(1, len(todo)))
    hide = [*options.hide, folder, gradebook.path]
    hide += [Path(f"{gradebook.path}-wal"), Path(f"{gradebook.path}-shm")]
    hide += [Path(gradebook.path).parent / ".lrcourse-probe-key"]  # see grader.probe_key_for
    hide += [key_cache_dir()]  # answer keys torch computed (see keycache)
    has_code = any(manifest.slot(q).type in ("code", "fix-loop") for q in machine)
    # Started first, so that the servers import torch (seconds) while this process does too.
    pool = SandboxPool(jobs, hide=[str(p) for p in hide], preload=LAB_MODULES) if has_code else None
    executor = ThreadPoolExecutor(max_workers=jobs + 1)
    try:
        with _collector_paused(options.freeze_loaded):
            # Imported only now, once the servers are on their way: it imports torch (see above).
            from lrcourse.grading.grader import Grader, probe_key_for

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

        pending: dict[Future[list[QuestionResult]], tuple[Submission, list[str], HandInInfo]] = {
            executor.submit(grade, sub, qs): (sub, qs, info) for sub, qs, info in todo
        }
        while pending:
            done_futures, _ = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            for future in done_futures:
                submission, asked, info = pending.pop(future)
                try:
                    results = future.result()
                except Exception as error:  # one hand-in's crash is a finding, not a lost run
                    why = f"the grader failed on this hand-in ({type(error).__name__}: {error})"
                    report.findings.append(Finding("grader-error", str(submission.path), why))
                    results = [
                        QuestionResult(
                            q, 0.0, manifest.slot(q).points, "grader-error", why[:500], "", ""
                        )
                        for q in asked
                    ]
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
    except KeyboardInterrupt:
        report.interrupted = True
    finally:
        executor.shutdown(wait=False, cancel_futures=True)
        if pool is not None:
            pool.close()  # stops the servers: threads waiting on a run get their answer now
