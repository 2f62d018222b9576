"""``lrcourse assign | grade | export``: the instructor's commands (thin: parse, call, print).

Every command exits 0 when all is well, 1 when it did its work but found something a person must
look at (a finding, an answer for review), 2 for a usage mistake (one line on stderr, nothing
changed). ``grade`` (its options and the summary it prints) lives in ``cli_grade.py``;
``gradebook``, ``review``, ``override`` and ``validate`` live in ``cli_book.py``.
"""

from __future__ import annotations

import argparse
import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lrcourse.grading.cli_book import register_book
from lrcourse.grading.cli_grade import BANKS_HELP, DEFAULT_GRADEBOOK, _banks, register_grade
from lrcourse.grading.inert import terminal_text
from lrcourse.grading.manifest import AssignmentError, LatePolicy, load_questions
from lrcourse.grading.roster import read_roster


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
    banks_help = BANKS_HELP

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

    register_grade(subparsers)

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
