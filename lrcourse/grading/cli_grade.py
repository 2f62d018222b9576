"""``lrcourse grade``: grade a folder of hand-ins into the gradebook (thin: parse, call, print).

Its options (time limits, extensions, excused students, submission times from the LMS) become a
``GradeOptions``; the summary it prints names every hand-in not graded, every question changed
since ``assign`` and every answer that waits for a person. Exit status as every ``lrcourse``
command: 0 fine, 1 something waits for a person, 2 a usage mistake, 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lrcourse.grading.inert import terminal_text
from lrcourse.grading.manifest import AssignmentError, Manifest, load_questions
from lrcourse.quiz.bank import quiz_dir

DEFAULT_GRADEBOOK = "gradebook.sqlite"
#: The help of every command's ``--banks``.
BANKS_HELP = "folder of bank files NN-slug.yaml (default: the course's quizzes/)"


def _banks(args: argparse.Namespace) -> Path | None:
    return Path(args.banks) if args.banks else None


def register_grade(subparsers: Any) -> None:
    """Add ``grade`` to the ``lrcourse`` parser."""
    banks_help = BANKS_HELP

    grade = subparsers.add_parser("grade", help="grade a folder of handed-in notebooks")
    grade.add_argument(
        "submissions",
        help="folder of hand-ins: <student>.ipynb, <student>/<any>.ipynb, or a Canvas or Moodle "
        "download (its zip or the unzipped folder)",
    )
    grade.add_argument(
        "--assignment", required=True, help="the manifest.json written by assign, or its folder"
    )
    grade.add_argument(
        "--gradebook", default=DEFAULT_GRADEBOOK, help="SQLite file (default: %(default)s)"
    )
    grade.add_argument("--banks", help=banks_help)
    grade.add_argument("--jobs", type=int, default=0, help="parallel sandboxes (default: cores)")
    grade.add_argument(
        "--student", action="append", default=[], help="only this student (repeatable)"
    )
    grade.add_argument(
        "--question", action="append", default=[], help="only this question (repeatable)"
    )
    grade.add_argument(
        "--regrade",
        action="store_true",
        help="grade again what is already graded (results are replaced only for hand-ins read)",
    )
    grade.add_argument("--wall", type=float, default=2.0, help="wall-clock seconds per code answer")
    grade.add_argument("--cpu", type=float, default=2.0, help="CPU seconds per code answer")
    grade.add_argument("--memory", type=int, default=512, help="extra MB of memory per code answer")
    grade.add_argument("--no-progress", action="store_true", help="no progress bar")
    grade.add_argument(
        "--use-file-times",
        action="store_true",
        help="take each hand-in's time from its file (folder mtime, zip entry date); by default "
        "only times the LMS records decide lateness (a Canvas download has none: its LATE mark)",
    )
    grade.add_argument(
        "--extension",
        action="append",
        default=[],
        metavar="ID=HOURS",
        help="give a student more time (repeatable), e.g. --extension ann=48",
    )
    grade.add_argument(
        "--excuse", action="append", default=[], metavar="ID", help="excuse a student (repeatable)"
    )
    grade.add_argument(
        "--submitted",
        action="append",
        default=[],
        metavar="ID=TIME",
        help="a submission time read in the LMS (repeatable), e.g. --submitted bob=2026-03-03T09:30 "
        "(UTC unless the time says otherwise); it decides that hand-in's lateness",
    )
    grade.add_argument(
        "--lms-times",
        metavar="FILE",
        help="Moodle's grading worksheet (CSV): its 'Last modified (submission)' times decide "
        "lateness of Moodle hand-ins; give --lms-timezone too",
    )
    grade.add_argument(
        "--lms-timezone", metavar="ZONE", help="the time zone of --lms-times, e.g. Europe/Berlin"
    )
    grade.add_argument(
        "--accept-late",
        action="store_true",
        help="grade even when most hand-ins would lose points for lateness (else: refused)",
    )
    grade.add_argument(
        "--accept-changes",
        action="store_true",
        help="questions edited in the banks since assign: take the banks' version as the "
        "assignment's from now on (the manifest records it; the warning stops)",
    )
    grade.set_defaults(func=run_grade)


def _manifest(path: str) -> Manifest:
    target = Path(path)
    return Manifest.load(target / "manifest.json" if target.is_dir() else target)


def _extensions(texts: list[str], manifest: Manifest) -> dict[str, float]:
    roster = set(manifest.roster_ids())
    found: dict[str, float] = {}
    for text in texts:
        student, _, hours = text.partition("=")
        try:
            found[student.strip()] = float(hours)
        except ValueError:
            raise AssignmentError(f"--extension {text!r}: write e.g. ann=48 (hours)") from None
    for student in [*found]:
        if roster and student not in roster:
            raise AssignmentError(f"--extension {student!r}: not on the class list")
    return found


def _submitted(texts: list[str]) -> dict[str, datetime]:
    found: dict[str, datetime] = {}
    for text in texts:
        student, _, when = text.partition("=")
        try:
            stamp = datetime.fromisoformat(when.strip())
        except ValueError:
            raise AssignmentError(
                f"--submitted {text!r}: write e.g. bob=2026-03-03T09:30 (the time the LMS shows)"
            ) from None
        found[student.strip()] = stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)
    return found


def _recorded(args: argparse.Namespace, manifest: Manifest) -> dict[str, Any]:
    if not args.lms_times:
        return {}
    if not args.lms_timezone:
        raise AssignmentError(
            "--lms-times needs --lms-timezone (the worksheet's times are in the exporting "
            "user's Moodle time zone, which the file does not say)"
        )
    from lrcourse.grading.moodle import TIME_MOODLE, worksheet_times

    times = worksheet_times(Path(args.lms_times), args.lms_timezone, manifest)
    return {"recorded": times, "recorded_source": f"{TIME_MOODLE}, {args.lms_timezone}"}


def run_grade(args: argparse.Namespace) -> int:
    """Grade the folder into the gradebook; print a summary naming everything not graded."""
    started = time.monotonic()
    manifest = _manifest(args.assignment)
    folder = Path(args.submissions)
    if not folder.is_dir():
        raise AssignmentError(f"{folder}: not a folder of submissions; nothing was changed")
    released = Path(args.assignment).resolve()
    released = released if released.is_dir() else released.parent
    here = folder.resolve()
    if here == released or released in here.parents or here in released.parents:
        raise AssignmentError(
            f"{folder}: this holds the assignment's own release ({released}), not hand-ins; "
            "nothing was changed"
        )
    print(f"{manifest.assignment}: reading {folder} ...", file=sys.stderr, flush=True)
    from lrcourse.grading.grade import GradeOptions, grade_folder
    from lrcourse.grading.gradebook import Gradebook
    from lrcourse.grading.review import review_items
    from lrcourse.sandbox.pool import Limits

    banks = _banks(args)
    options = GradeOptions(
        limits=Limits(wall_s=args.wall, cpu_s=args.cpu, memory_mb=args.memory),
        jobs=args.jobs,
        students=args.student,
        questions=args.question,
        regrade=args.regrade,
        progress=not args.no_progress and sys.stderr.isatty(),
        # The banks hold keys and solutions: out of the sandbox's sight.
        hide=sorted({quiz_dir(), *([banks] if banks else [])}),
        freeze_loaded=True,  # this process grades once, then exits
        command=getattr(args, "command_line", f"grade {folder}"),
        use_file_times=args.use_file_times,
        extensions=_extensions(args.extension, manifest),
        excused=args.excuse,
        accept_late=args.accept_late,
        submitted=_submitted(args.submitted),
        **_recorded(args, manifest),
    )
    for flag, student in [("--excuse", s) for s in args.excuse] + [
        ("--submitted", s) for s in options.submitted
    ]:
        if manifest.roster_ids() and student not in manifest.roster_ids():
            raise AssignmentError(f"{flag} {student!r}: not on the class list")
    questions = load_questions(banks)
    with Gradebook(args.gradebook) as gradebook:
        try:
            report = grade_folder(folder, manifest, gradebook, questions, options)
        except KeyboardInterrupt:  # before any hand-in was graded: nothing to keep
            print("interrupted (Ctrl-C) before grading began; nothing was changed", file=sys.stderr)
            return 130
        totals = gradebook.summary(manifest.assignment)
        waiting = review_items(gradebook, manifest.assignment)
    rate = report.graded / report.seconds if report.seconds else 0.0
    print(
        f"{manifest.assignment}: {report.files} file(s), {report.seen} student(s) handed in, "
        f"{report.graded} graded, {report.skipped} already graded, {report.code_runs} code "
        f"run(s), {time.monotonic() - started:.2f} s ({rate:.1f} submissions/s)"
    )
    for status, count in sorted(report.statuses.items()):
        print(f"  {status:<14} {count}")
    accepted = _accept_changes(args, manifest, report.changed_questions, questions)
    for qid in report.changed_questions:
        if qid in accepted:
            print(
                f"accepted: {qid} as the banks hold it now (manifest updated; answers graded "
                f"before keep their results until --regrade --question {qid})"
            )
            continue
        print(
            f"changed since assign: {qid} (its key may differ; regrade it with "
            f"--regrade --question {qid}, or accept the change with --accept-changes)"
        )
    # Findings name files and messages a hand-in chose: shown inert (no escape reaches the tty).
    for finding in report.findings:
        print(terminal_text(finding.line()))
    if report.interrupted:
        print(
            f"interrupted (Ctrl-C): {report.graded} hand-in(s) graded and kept; run grade "
            "again to grade the rest",
            file=sys.stderr,
        )
    for student, qid, status, reason in report.attention:
        first = reason.splitlines()[0][:160] if reason else ""
        print(terminal_text(f"{status:<13} {student} {qid}: {first}"))
    if report.isolation == "namespace":
        print(
            "note: code ran as you, in a user namespace: the answer files, the gradebook and your "
            "home folder were hidden, files read-only, no network; files of yours outside your "
            "home folder were readable to it (grade as root for a separate uid)",
            file=sys.stderr,
        )
    elif report.isolation and report.isolation != "namespace+uid":
        print(
            f"warning: code ran with isolation {report.isolation!r}: answer files may be readable "
            "and process limits weaker (run as root with mount namespaces for full isolation)",
            file=sys.stderr,
        )
    if totals:
        mean = sum(totals.values()) / len(totals)
        print(f"mean {mean:.2f} / {manifest.possible():g} over {len(totals)} student(s)")
    if waiting:
        print(f"{len(waiting)} answer(s) wait for a person: lrcourse review {manifest.assignment}")
    if report.interrupted:
        return 130
    unaccepted = [q for q in report.changed_questions if q not in accepted]
    return 1 if report.problems() or unaccepted or waiting else 0


def _accept_changes(
    args: argparse.Namespace, manifest: Manifest, changed: list[str], questions: dict[str, Any]
) -> list[str]:
    """With ``--accept-changes``, record the banks' version of ``changed`` in manifest.json."""
    if not getattr(args, "accept_changes", False) or not changed:
        return []
    from lrcourse.grading.manifest import question_hash

    target = Path(args.assignment)
    path = target / "manifest.json" if target.is_dir() else target
    hashes = {**manifest.question_hashes, **{q: question_hash(questions[q]) for q in changed}}
    updated = manifest.model_copy(update={"question_hashes": hashes})
    partial = path.with_name(path.name + ".partial")
    updated.save(partial)
    partial.replace(path)  # all or nothing: the manifest is never half written
    return list(changed)
