"""Grade a folder of handed-in notebooks in parallel into the gradebook.

The pipeline: find files -> start the sandbox servers (they import torch in their own processes
while this one imports it too and reads the files) -> read each (``collect``: no execution) ->
skip what the gradebook already holds for that exact file (by content hash) -> grade the rest on
a thread pool with :class:`~lrcourse.grading.grader.Grader`: code in a
:class:`~lrcourse.sandbox.pool.SandboxPool` sized to the cores, everything else in this
process with ``lrcourse.quiz.check`` -> write each submission's results in one transaction.
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

from lrcourse.grading.collect import Submission, find_submissions, read_submission
from lrcourse.grading.gradebook import Gradebook, QuestionResult
from lrcourse.grading.manifest import Manifest
from lrcourse.quiz.model import QuestionModel
from lrcourse.quiz.run import LAB_RUNNER
from lrcourse.sandbox.pool import Limits, SandboxPool


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
    hide += [Path(gradebook.path).parent / ".lrcourse-probe-key"]  # see grader.probe_key_for
    has_code = any(manifest.slot(q).type in ("code", "fix-loop") for q in wanted_questions)
    # Started first, so that the servers import torch (seconds) while this process does too.
    pool = (
        SandboxPool(jobs, hide=[str(p) for p in hide], preload=(LAB_RUNNER,)) if has_code else None
    )
    try:
        with _collector_paused(options.freeze_loaded):
            # Imported only now, once the servers are on their way: it imports torch (see above).
            from lrcourse.grading.grader import Grader, probe_key_for

            run_id = gradebook.start_run(manifest.assignment, f"grade {folder}")
            todo: list[tuple[Submission, list[str]]] = []
            for student, paths in _by_student(found).items():
                submission = _one_submission(student, paths, manifest)
                done = gradebook.graded_questions(
                    manifest.assignment, student, submission.content_hash
                )
                missing = [q for q in wanted_questions if q not in done]
                if missing:
                    todo.append((submission, missing))
                else:
                    report.skipped += 1
            report.seen = len(_by_student(found))
            probe_key = probe_key_for(gradebook.path) if pool is not None else None
            grader = Grader(manifest, questions, pool, options.limits, probe_key)
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
