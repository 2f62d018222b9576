"""``lrcourse gradebook | review | override | validate``: read and correct the gradebook, check a hand-in.

Exit status as every ``lrcourse`` command: 0 fine, 1 something waits for a person (answers to
review, a notebook with problems), 2 a usage mistake (one line, nothing changed).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from lrcourse.grading.inert import terminal_text
from lrcourse.grading.manifest import AssignmentError, Manifest

DEFAULT_GRADEBOOK = "gradebook.sqlite"
BOOK_ACTIONS = ("history", "undo")


def register_book(subparsers: Any) -> None:
    """Add ``gradebook``, ``review``, ``override`` and ``validate`` to the ``lrcourse`` parser."""
    book_help = "SQLite file (default: %(default)s)"
    book = subparsers.add_parser(
        "gradebook",
        help="show the gradebook: totals, one student, history of runs, undo the last run",
        description="lrcourse gradebook [ASSIGNMENT] | gradebook history [--run N] | "
        "gradebook undo",
    )
    book.add_argument("words", nargs="*", metavar="ASSIGNMENT | history | undo")
    book.add_argument("--gradebook", default=DEFAULT_GRADEBOOK, help=book_help)
    book.add_argument("--student", help="show one student's results")
    book.add_argument("--run", type=int, help="with history: what run N changed, row by row")
    book.add_argument("--runs", action="store_true", help="the same as history")
    book.set_defaults(func=run_gradebook)

    review = subparsers.add_parser(
        "review", help="grade the answers that need a person (explain, invalid, flagged)"
    )
    review.add_argument("assignment")
    review.add_argument("--gradebook", default=DEFAULT_GRADEBOOK, help=book_help)
    review.add_argument("--sheet", help="write the answers to review to this CSV to fill in")
    review.add_argument("--read", help="read a filled-in review sheet back")
    review.add_argument("--list", action="store_true", help="only list what waits for review")
    review.add_argument("--who", help="reviewer name (default: $LRCOURSE_REVIEWER or your login)")
    review.add_argument(
        "--banks", help="folder of the banks it was assigned from (default: the course's quizzes/)"
    )
    review.set_defaults(func=run_review)

    override = subparsers.add_parser(
        "override", help="set one answer's points by hand (kept through regrades, undoable)"
    )
    override.add_argument("assignment")
    override.add_argument("--student", required=True)
    override.add_argument("--question", required=True)
    override.add_argument("--points", required=True, help="points between 0 and the question's")
    override.add_argument("--comment", required=True, help="why (the student sees it)")
    override.add_argument("--gradebook", default=DEFAULT_GRADEBOOK, help=book_help)
    override.add_argument("--who", help="who decides (default: $LRCOURSE_REVIEWER or your login)")
    override.set_defaults(func=run_override)

    validate = subparsers.add_parser(
        "validate", help="for students: check a notebook's answers have the right form (no keys)"
    )
    validate.add_argument("notebook", help="the .ipynb you will hand in")
    validate.add_argument(
        "--assignment",
        help="instructors: the manifest.json (or its folder) whose questions the notebook must answer",
    )
    validate.set_defaults(func=run_validate)


def _open(path: str):
    from lrcourse.grading.gradebook import Gradebook

    if not Path(path).is_file():
        raise AssignmentError(f"{path}: no gradebook yet (run lrcourse grade first)")
    return Gradebook(path)


def _assignment_manifest(gradebook: Any, assignment: str, path: str) -> Manifest:
    manifest = gradebook.manifest(assignment)
    if manifest is None:
        valid = ", ".join(gradebook.assignments()) or "(none graded yet)"
        raise AssignmentError(f"no assignment {assignment!r} in {path}; valid: {valid}")
    return manifest


def _history(gradebook: Any, run: int | None) -> int:
    runs = gradebook.runs()
    if run is not None:
        if run not in {r["run_id"] for r in runs}:
            raise AssignmentError(f"--run {run}: no such run; see lrcourse gradebook history")
        for change in gradebook.changes(run):
            before = "-" if change.before is None else _value(change.kind, change.before)
            after = "-" if change.after is None else _value(change.kind, change.after)
            what = change.question_id or "(current hand-in)"
            print(terminal_text(f"{change.student:<20} {what:<40} {before} -> {after}"))
        return 0
    counts = gradebook.change_counts()
    for r in runs:
        undone = f" (undone by run {r['undone_by']})" if r.get("undone_by") else ""
        state = "" if r["finished"] else " (did not finish)"
        line = (
            f"run {r['run_id']:<4} {r['started_at'] or '-':<25} {r['kind']:<10} "
            f"{counts.get(r['run_id'], 0):>4} change(s){undone}{state}  {r['command']}"
        )
        print(terminal_text(line))
        if r["summary"]:
            print(terminal_text(f"         {r['summary']}"))
    return 0


def _value(kind: str, row: dict[str, Any]) -> str:
    if kind == "current":
        return f"hand-in {str(row['content_hash'])[:12]}"
    if kind == "late":
        return f"keeps {row['late_factor']:g} ({row['late_note'] or 'on time'})"
    if kind == "override":
        return f"{row['score']:.2f} by {row['who']} ({row['comment']})"
    return f"{row['score']:.2f} {row['status']}"


def run_gradebook(args: argparse.Namespace) -> int:
    """Print assignments, totals, one student's results, the history, or undo the last run."""
    words = list(args.words)
    action = words.pop(0) if words and words[0] in BOOK_ACTIONS else None
    if args.runs:
        action = action or "history"
    if len(words) > 1 or (action and words):
        raise AssignmentError(f"gradebook {' '.join(args.words)}: give one assignment at most")
    with _open(args.gradebook) as gradebook:
        if action == "history":
            return _history(gradebook, args.run)
        if action == "undo":
            command = getattr(args, "command_line", "gradebook undo")
            undone = gradebook.undo_last(command)
            if undone is None:
                print("nothing to undo")
                return 1
            print(f"undid run {undone[0]}: {undone[1]} row(s) put back as they were")
            return 0
        if not words:
            print("\n".join(gradebook.assignments()))
            return 0
        assignment = words[0]
        manifest = _assignment_manifest(gradebook, assignment, args.gradebook)
        rows = gradebook.current_rows(assignment)
        if args.student:
            mine = [r for r in rows if r.student == args.student]
            if not mine:
                raise AssignmentError(
                    f"--student {args.student!r}: no results in {assignment!r}; "
                    f"students: {', '.join(sorted({r.student for r in rows})[:10]) or '(none)'}"
                )
            for row in mine:
                who = f" [{row.status} by {row.reviewer}]" if row.reviewer else ""
                reason = row.reason.splitlines()[0] if row.reason else ""
                print(
                    terminal_text(
                        f"{row.question_id:<40} {row.score * row.points:>5.2f}/{row.points:g}  "
                        f"{row.status:<13} {reason}{who}"
                    )
                )
            return 0
        hand_ins = gradebook.submissions(assignment)
        totals = gradebook.summary(assignment)
        for student in sorted({*totals, *manifest.roster_ids()}):
            if student not in totals:
                print(f"{student:<30} {'missing':>8}")
                continue
            info = hand_ins.get(student, {})
            notes = [str(info[k]) for k in ("note", "flags") if info.get(k)]
            line = f"{student:<30} {totals[student]:>8.4g}  {'; '.join(notes)}".rstrip()
            print(terminal_text(line))
    return 0


def _rubric(manifest: Manifest, items: Any, banks: str | None) -> dict[tuple[str, str], list[str]]:
    """Return per item (student, question) what its feedback page shows as the right answer."""
    from lrcourse.grading.feedback import right_answer_lines
    from lrcourse.grading.manifest import load_questions, variant_question

    questions = load_questions(Path(banks) if banks else None)
    rubric: dict[tuple[str, str], list[str]] = {}
    for item in items:
        question = questions.get(item.question_id)
        if question is None:
            continue
        if manifest.variants:
            question = variant_question(question, manifest.seed, item.student)
        rubric[(item.student, item.question_id)] = right_answer_lines(question)
    return rubric


def run_review(args: argparse.Namespace) -> int:
    """List, walk through, write or read back the answers that need a person."""
    from lrcourse.grading.review import apply_decisions, read_sheet, review_items, walk, write_sheet

    command = getattr(args, "command_line", "review")
    with _open(args.gradebook) as gradebook:
        manifest = _assignment_manifest(gradebook, args.assignment, args.gradebook)
        if args.read:
            decisions = read_sheet(Path(args.read), manifest)
            run_id = apply_decisions(gradebook, manifest, decisions, command, "reviewed", args.who)
            print(f"run {run_id}: {len(decisions)} answer(s) reviewed from {args.read}")
            left = review_items(gradebook, manifest.assignment)
            print(f"{len(left)} answer(s) still wait for review")
            return 1 if left else 0
        items = review_items(gradebook, manifest.assignment)
        if args.sheet:
            write_sheet(items, Path(args.sheet))
            print(f"{len(items)} answer(s) to review written to {args.sheet}")
            return 1 if items else 0
        if args.list or not sys.stdin.isatty():
            for item in items:
                reason = item.reason.splitlines()[0] if item.reason else ""
                print(
                    terminal_text(f"{item.status:<13} {item.student:<20} {item.question_id}: ")
                    + terminal_text(reason)
                )
            return 1 if items else 0
        decisions = walk(items, input, print, _rubric(manifest, items, args.banks))
        if decisions:
            run_id = apply_decisions(gradebook, manifest, decisions, command, "reviewed", args.who)
            print(f"run {run_id}: {len(decisions)} answer(s) reviewed")
        left = review_items(gradebook, manifest.assignment)
        return 1 if left else 0


def run_override(args: argparse.Namespace) -> int:
    """Set one answer's points with a comment, recorded with who and when."""
    from lrcourse.grading.review import Decision, apply_decisions, parse_points

    command = getattr(args, "command_line", "override")
    with _open(args.gradebook) as gradebook:
        manifest = _assignment_manifest(gradebook, args.assignment, args.gradebook)
        slot = manifest.slot(args.question)
        points = parse_points(args.points, slot.points, "--points")
        decision = Decision(args.student, slot.question_id, points, args.comment)
        run_id = apply_decisions(gradebook, manifest, [decision], command, "overridden", args.who)
    print(f"run {run_id}: {args.student} {slot.question_id} = {points:g} / {slot.points:g}")
    return 0


def run_validate(args: argparse.Namespace) -> int:
    """Print one line per answer cell; exit 1 when any needs fixing."""
    from lrcourse.grading.validate import validate_notebook

    manifest = None
    if args.assignment:
        target = Path(args.assignment)
        manifest = Manifest.load(target / "manifest.json" if target.is_dir() else target)
    checks = validate_notebook(Path(args.notebook), manifest)
    for check in checks:
        line = f"{'ok' if check.ok else 'FIX':<4} {check.question_id}: {check.message}"
        print(terminal_text(line))
    bad = sum(not c.ok for c in checks)
    print(
        f"{len(checks) - bad} of {len(checks)} answer(s) ready" + (f", {bad} to fix" if bad else "")
    )
    return 1 if bad else 0
