"""``lrcourse assign | grade | export``: the instructor's commands (thin: parse, call, print).

Every command exits 0 when all is well, 1 when it did its work but found something a person must
look at (a finding, an answer for review), 2 for a usage mistake (one line on stderr, nothing
changed). ``gradebook``, ``review``, ``override`` and ``validate`` live in ``cli_book.py``.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lrcourse.grading.cli_book import register_book
from lrcourse.grading.inert import terminal_text
from lrcourse.grading.manifest import AssignmentError, LatePolicy, Manifest, load_questions
from lrcourse.grading.roster import read_roster
from lrcourse.quiz.bank import quiz_dir

DEFAULT_GRADEBOOK = "gradebook.sqlite"


def _banks(args: argparse.Namespace) -> Path | None:
    return Path(args.banks) if args.banks else None


def _points(text: str | None) -> dict[str, float] | None:
    if not text:
        return None
    points: dict[str, float] = {}
    for part in text.split(","):
        match = re.fullmatch(r"\s*([^=\s]+)=([0-9]*\.?[0-9]+)\s*", part)
        if not match:
            raise AssignmentError(f"--points {text!r}: write e.g. q1.id=2,q2.id=0.5")
        points[match[1]] = float(match[2])
    return points


def _time(text: str, option: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise AssignmentError(
            f"{option} {text!r}: write an ISO date and time, e.g. 2026-03-01T23:59 "
            "(UTC unless it ends in an offset such as +01:00)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _late(args: argparse.Namespace) -> LatePolicy | None:
    if not args.due:
        if args.grace or args.penalty or args.cutoff:
            raise AssignmentError("--grace, --penalty and --cutoff need --due")
        return None
    try:
        return LatePolicy(
            due=_time(args.due, "--due"),
            grace_minutes=args.grace,
            penalty_per_day=args.penalty,
            cutoff_days=args.cutoff,
        )
    except ValueError as error:
        first = str(error).splitlines()[1:3]
        raise AssignmentError(f"late policy: {' '.join(first)}") from None


def _mix(text: str | None) -> dict[str, int] | None:
    if not text:
        return None
    mix: dict[str, int] = {}
    for part in text.split(","):
        match = re.fullmatch(r"\s*(easy|medium|hard)=(\d+)\s*", part)
        if not match:
            raise AssignmentError(f"--mix {text!r}: write e.g. easy=2,medium=2,hard=1")
        mix[match[1]] = int(match[2])
    return mix


def register(subparsers: Any) -> None:
    """Add ``assign``, ``grade``, ``export`` and ``gradebook`` to the ``lrcourse`` parser."""
    banks_help = "folder of bank files NN-slug.yaml (default: the course's quizzes/)"

    assign = subparsers.add_parser("assign", help="release an assignment as notebooks (no keys)")
    assign.add_argument("assignment", help="assignment name, e.g. hw1 (used in file names)")
    assign.add_argument("--title", help="title shown in the notebook (default: the name)")
    assign.add_argument("--questions", help="comma-separated question ids, in order")
    assign.add_argument("--mix", help="draw by difficulty instead, e.g. easy=2,medium=2,hard=1")
    assign.add_argument("--seed", type=int, default=0, help="seed for draws, shuffles, variants")
    assign.add_argument(
        "--students",
        help="the class list: a,b,c, a file of ids (one per line) or a CSV with id,name and LMS "
        "ids (canvas_id, canvas_login, moodle_id); Canvas's gradebook export works as it is",
    )
    assign.add_argument("--points", help="points per question, e.g. q1.id=2,q2.id=0.5 (default 1)")
    assign.add_argument("--due", help="due date and time, e.g. 2026-03-01T23:59 (UTC by default)")
    assign.add_argument("--grace", type=float, default=0.0, help="minutes of grace after --due")
    assign.add_argument(
        "--penalty", type=float, default=0.0, help="fraction of the points lost per day late"
    )
    assign.add_argument("--cutoff", type=float, help="days late from which a hand-in earns 0")
    assign.add_argument(
        "--force", action="store_true", help="replace an assignment of this name already written"
    )
    assign.add_argument(
        "--per-student", action="store_true", help="one release per student (default: shared)"
    )
    assign.add_argument(
        "--variants",
        action="store_true",
        help="per-student parameters (step_size, gamma, milestones) in predict questions",
    )
    assign.add_argument(
        "--update-students",
        action="store_true",
        help="re-release an assignment for a new --students list (a student added or dropped) "
        "with the options it was assigned with; kept students' releases stay as they are",
    )
    assign.add_argument("--banks", help=banks_help)
    assign.add_argument("--out", default="assignments", help="output folder (default: %(default)s)")
    assign.set_defaults(func=run_assign)

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

    export = subparsers.add_parser(
        "export",
        help="grades CSV (Canvas, Moodle), feedback, item analysis, questions (GIFT, Canvas QTI)",
    )
    export.add_argument("assignment", help="assignment name as graded")
    export.add_argument(
        "--gradebook", default=DEFAULT_GRADEBOOK, help="SQLite file (default: %(default)s)"
    )
    export.add_argument("--banks", help=banks_help)
    export.add_argument("--out", default="export", help="output folder (default: %(default)s)")
    export.add_argument(
        "--missing",
        choices=("zero", "mark"),
        default="zero",
        help="roster students with no hand-in: 0 points, or mark them ungraded (an empty Canvas "
        "cell, '-' for Moodle: each importer's 'no grade') (default: zero)",
    )
    export.add_argument(
        "--canvas-column",
        default="",
        help="title of the Canvas column to fill, as Canvas's own export writes it, e.g. "
        "'hw3 (123456)' (default: the assignment name, which Canvas makes a new column of)",
    )
    export.set_defaults(func=run_export)
    register_book(subparsers)


def run_assign(args: argparse.Namespace) -> int:
    """Write the release notebooks and the manifest; print where."""
    from lrcourse.grading.assign import AssignmentSpec, write_assignment

    roster = read_roster(args.students)
    if args.update_students:
        return _update_students(args, roster)
    spec = AssignmentSpec(
        assignment=args.assignment,
        title=args.title or args.assignment,
        question_ids=[q for q in (args.questions or "").split(",") if q],
        mix=_mix(args.mix),
        seed=args.seed,
        students=[entry.id for entry in roster],
        release="per-student" if args.per_student else "shared",
        variants=args.variants,
        roster=roster,
        late=_late(args),
        points=_points(args.points),
        force=args.force,
    )
    manifest = write_assignment(spec, load_questions(_banks(args)), Path(args.out))
    folder = Path(args.out) / args.assignment
    count = len(list((folder / "release").glob("*.ipynb")))
    print(
        f"{manifest.assignment}: {len(manifest.slots)} question(s), {manifest.possible():g} "
        f"point(s), {count} release notebook(s), {len(manifest.roster_ids())} student(s)"
    )
    print(f"release (give to students): {folder / 'release'}")
    print(f"manifest (keep; pass to grade): {folder / 'manifest.json'}")
    return 0


#: ``assign`` options that ``--update-students`` takes from the manifest instead.
_ASSIGN_OPTIONS = (
    "title", "questions", "mix", "points", "due", "penalty", "cutoff", "per_student", "variants",
    "force",
)  # fmt: skip


def _update_students(args: argparse.Namespace, roster: list[Any]) -> int:
    """``assign NAME --update-students --students LIST``: the new class list, same options."""
    from lrcourse.grading.reassign import update_students

    given = [name for name in _ASSIGN_OPTIONS if getattr(args, name)]
    given += ["seed"] if args.seed else []
    given += ["grace"] if args.grace else []
    if given:
        option = "--" + given[0].replace("_", "-")
        raise AssignmentError(
            f"{option}: --update-students takes every option from the assignment's manifest; "
            "give only --students (and --out, --banks)"
        )
    manifest, added, dropped = update_students(
        Path(args.out), args.assignment, roster, load_questions(_banks(args))
    )
    print(
        f"{manifest.assignment}: {len(manifest.roster_ids())} student(s); added: "
        f"{', '.join(added) or 'none'}; dropped: {', '.join(dropped) or 'none'}"
    )
    print(
        f"release (give the added students theirs): {Path(args.out) / args.assignment / 'release'}"
    )
    return 0


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


def run_export(args: argparse.Namespace) -> int:
    """Write every export of one assignment and list the files."""
    from lrcourse.grading.export import ExportOptions, export_all
    from lrcourse.grading.gradebook import Gradebook
    from lrcourse.grading.lms import assignment_questions, skipped_questions
    from lrcourse.grading.review import review_items

    if not Path(args.gradebook).is_file():
        raise AssignmentError(f"{args.gradebook}: no gradebook yet (run lrcourse grade first)")
    with Gradebook(args.gradebook) as gradebook:
        manifest = gradebook.manifest(args.assignment)
        if manifest is None:
            valid = ", ".join(gradebook.assignments()) or "(none graded yet)"
            raise AssignmentError(
                f"no assignment {args.assignment!r} in {args.gradebook}; valid: {valid}"
            )
        rows = gradebook.current_rows(args.assignment)
        waiting = review_items(gradebook, args.assignment)
        hand_ins = {
            s: str(info["path"]) for s, info in gradebook.submissions(args.assignment).items()
        }
    questions = load_questions(_banks(args))
    options = ExportOptions(missing=args.missing, canvas_column=args.canvas_column)
    notes: list[str] = []
    for path in export_all(manifest, rows, questions, Path(args.out), options, hand_ins, notes):
        print(os.fspath(path))
    for note in notes:
        print(terminal_text(note))
    skipped = skipped_questions(assignment_questions(manifest, questions))
    if skipped:
        print(f"not in the GIFT or QTI questions (no LMS equivalent): {', '.join(skipped)}")
    if waiting:
        print(
            f"{len(waiting)} answer(s) still wait for a person and count 0 in these files: "
            f"lrcourse review {args.assignment}"
        )
    return 1 if waiting else 0
