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
    """Print the account of what was verified and each problem on one line.

    Return 0 when every key decided by torch holds, 1 when a problem is found, 2 when the paths
    hold no bank (an empty folder, a ``.yml`` file, a path that does not exist).
    """
    # Imported here: verify imports torch (seconds), which other commands (grade) must not pay
    # for at start-up, before their own work has begun.
    from lrcourse.quiz.verify import VerifyUsageError, verify_banks

    paths = args.paths or bank_paths()
    if not paths:
        print(
            f"lrcourse quiz verify: no quiz banks (NN-<slug>.yaml) in {quiz_dir()}", file=sys.stderr
        )
        return 2
    try:
        report = verify_banks(paths)
    except VerifyUsageError as error:
        for line in error.problems:
            print(f"lrcourse quiz verify: {line}", file=sys.stderr)
        return 2
    print(report.table())
    print()
    print(report.account_table())
    conceptual = report.conceptual_lines()
    if conceptual:
        print()
        print("Conceptual keys (no code can decide them; a person reviews each):")
        for line in conceptual:
            print(f"  {line}")
    if report.notes:
        print()
        print("Notes (not problems):")
        for line in report.notes:
            print(f"  {line}")
    print()
    for line in report.problems:
        print(line, file=sys.stderr)
    print(report.summary())
    if report.problems:
        print(f"{len(report.problems)} problem(s) found", file=sys.stderr)
        return 1
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
