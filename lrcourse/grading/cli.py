"""``lrcourse assign | grade | export | gradebook``: the instructor's commands (thin: parse, call, print)."""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path
from typing import Any

from lrcourse.grading.manifest import AssignmentError, Manifest, load_questions
from lrcourse.quiz.bank import quiz_dir

DEFAULT_GRADEBOOK = "gradebook.sqlite"


def _banks(args: argparse.Namespace) -> Path | None:
    return Path(args.banks) if args.banks else None


def _students(text: str | None) -> list[str]:
    if not text:
        return []
    path = Path(text)
    items = path.read_text(encoding="utf-8").split() if path.is_file() else text.split(",")
    return [s.strip() for s in items if s.strip()]


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
    assign.add_argument("--students", help="student ids: a file (one per line) or a,b,c")
    assign.add_argument(
        "--per-student", action="store_true", help="one release per student (default: shared)"
    )
    assign.add_argument(
        "--variants",
        action="store_true",
        help="per-student parameters (step_size, gamma, milestones) in predict questions",
    )
    assign.add_argument("--banks", help=banks_help)
    assign.add_argument("--out", default="assignments", help="output folder (default: %(default)s)")
    assign.set_defaults(func=run_assign)

    grade = subparsers.add_parser("grade", help="grade a folder of handed-in notebooks")
    grade.add_argument("submissions", help="folder of <student>.ipynb or <student>/<any>.ipynb")
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
    grade.add_argument("--regrade", action="store_true", help="grade again what is already graded")
    grade.add_argument("--wall", type=float, default=2.0, help="wall-clock seconds per code answer")
    grade.add_argument("--cpu", type=float, default=2.0, help="CPU seconds per code answer")
    grade.add_argument("--memory", type=int, default=512, help="extra MB of memory per code answer")
    grade.add_argument("--no-progress", action="store_true", help="no progress bar")
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
    export.set_defaults(func=run_export)

    book = subparsers.add_parser("gradebook", help="show the gradebook: totals, one student, runs")
    book.add_argument("assignment", nargs="?", help="assignment name (default: list them)")
    book.add_argument(
        "--gradebook", default=DEFAULT_GRADEBOOK, help="SQLite file (default: %(default)s)"
    )
    book.add_argument("--student", help="show one student's results")
    book.add_argument("--runs", action="store_true", help="list grading runs")
    book.set_defaults(func=run_gradebook)


def run_assign(args: argparse.Namespace) -> int:
    """Write the release notebooks and the manifest; print where."""
    from lrcourse.grading.assign import AssignmentSpec, write_assignment

    spec = AssignmentSpec(
        assignment=args.assignment,
        title=args.title or args.assignment,
        question_ids=[q for q in (args.questions or "").split(",") if q],
        mix=_mix(args.mix),
        seed=args.seed,
        students=_students(args.students),
        release="per-student" if args.per_student else "shared",
        variants=args.variants,
    )
    manifest = write_assignment(spec, load_questions(_banks(args)), Path(args.out))
    folder = Path(args.out) / args.assignment
    count = len(list((folder / "release").glob("*.ipynb")))
    print(f"{manifest.assignment}: {len(manifest.slots)} question(s), {count} release notebook(s)")
    print(f"release (give to students): {folder / 'release'}")
    print(f"manifest (keep; pass to grade): {folder / 'manifest.json'}")
    return 0


def _manifest(path: str) -> Manifest:
    target = Path(path)
    return Manifest.load(target / "manifest.json" if target.is_dir() else target)


def run_grade(args: argparse.Namespace) -> int:
    """Grade the folder into the gradebook and print a summary."""
    from lrcourse.grading.grade import GradeOptions, grade_folder
    from lrcourse.grading.gradebook import Gradebook
    from lrcourse.sandbox.pool import Limits

    manifest = _manifest(args.assignment)
    folder = Path(args.submissions)
    if not folder.is_dir():
        raise AssignmentError(f"{folder}: not a folder of submissions")
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
    )
    with Gradebook(args.gradebook) as gradebook:
        report = grade_folder(folder, manifest, gradebook, load_questions(banks), options)
        totals = gradebook.summary(manifest.assignment)
    rate = report.graded / report.seconds if report.seconds else 0.0
    print(
        f"{manifest.assignment}: {report.seen} file(s), {report.graded} graded, "
        f"{report.skipped} already graded, {report.code_runs} code run(s), "
        f"{report.seconds:.2f} s ({rate:.1f} submissions/s)"
    )
    for status, count in sorted(report.statuses.items()):
        print(f"  {status:<14} {count}")
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
        possible = sum(slot.points for slot in manifest.slots)
        mean = sum(totals.values()) / len(totals)
        print(f"mean {mean:.2f} / {possible:g} over {len(totals)} student(s)")
    return 0


def run_export(args: argparse.Namespace) -> int:
    """Write every export of one assignment and list the files."""
    from lrcourse.grading.export import export_all
    from lrcourse.grading.gradebook import Gradebook
    from lrcourse.grading.lms import assignment_questions, skipped_questions

    with Gradebook(args.gradebook) as gradebook:
        manifest = gradebook.manifest(args.assignment)
        if manifest is None:
            valid = ", ".join(gradebook.assignments()) or "(none graded yet)"
            raise AssignmentError(
                f"no assignment {args.assignment!r} in {args.gradebook}; valid: {valid}"
            )
        rows = gradebook.current_rows(args.assignment)
    questions = load_questions(_banks(args))
    for path in export_all(manifest, rows, questions, Path(args.out)):
        print(os.fspath(path))
    skipped = skipped_questions(assignment_questions(manifest, questions))
    if skipped:
        print(f"not in the GIFT or QTI questions (no LMS equivalent): {', '.join(skipped)}")
    return 0


def run_gradebook(args: argparse.Namespace) -> int:
    """Print assignments, totals per student, one student's results, or the runs."""
    from lrcourse.grading.gradebook import Gradebook

    if not Path(args.gradebook).exists():
        raise AssignmentError(f"{args.gradebook}: no gradebook yet (run lrcourse grade first)")
    with Gradebook(args.gradebook) as gradebook:
        if args.runs:
            for run in gradebook.runs():
                print("  ".join(f"{k}={v}" for k, v in run.items()))
            return 0
        if not args.assignment:
            print("\n".join(gradebook.assignments()))
            return 0
        rows = gradebook.current_rows(args.assignment)
        if args.student:
            for row in (r for r in rows if r.student == args.student):
                print(f"{row.question_id:<40} {row.score:>5.2f}  {row.status:<13} {row.reason}")
            return 0
        for student, total in sorted(gradebook.summary(args.assignment).items()):
            print(f"{student:<30} {total:g}")
    return 0
