"""``lrcourse quiz ...``: verify banks against torch, list questions."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from lrcourse.quiz.bank import bank_paths, load_bank, quiz_dir
from lrcourse.quiz.errors import QuizBankError


def register(subparsers: Any) -> None:
    """Add the ``quiz`` command group to the ``lrcourse`` parser."""
    quiz = subparsers.add_parser("quiz", help="check and list quiz banks")
    commands = quiz.add_subparsers(dest="quiz_command", metavar="SUBCOMMAND", required=True)
    verify = commands.add_parser(
        "verify",
        help="execute every snippet and check every key and reference solution with torch",
    )
    verify.add_argument(
        "paths", nargs="*", help="bank files or folders (default: every bank in quizzes/)"
    )
    verify.set_defaults(func=run_verify)
    listing = commands.add_parser("list", help="list the questions of every bank")
    listing.add_argument("paths", nargs="*", help="bank files (default: every bank in quizzes/)")
    listing.set_defaults(func=run_list)


def run_verify(args: argparse.Namespace) -> int:
    """Print each problem on one line and the question counts; return 1 if any problem."""
    # Imported here: verify imports torch (seconds), which other commands (grade) must not pay
    # for at start-up, before their own work has begun.
    from lrcourse.quiz.verify import verify_banks

    paths = args.paths or bank_paths()
    if not paths:
        print(f"no quiz banks found in {quiz_dir()}", file=sys.stderr)
        return 1
    report = verify_banks(paths)
    print(report.table())
    for line in report.problems:
        print(line, file=sys.stderr)
    if report.problems:
        print(f"{len(report.problems)} problem(s) found", file=sys.stderr)
        return 1
    print(f"{len(report.counts)} bank(s) verified against torch: every key holds")
    return 0


def run_list(args: argparse.Namespace) -> int:
    """Print ``id  type  difficulty`` for every question."""
    status = 0
    for path in args.paths or bank_paths():
        try:
            loaded = load_bank(path)
        except QuizBankError as error:
            print(error, file=sys.stderr)
            status = 1
            continue
        for question in loaded.bank.questions:
            print(f"{loaded.stem}  {question.id}  {question.type}  {question.difficulty}")
    return status
