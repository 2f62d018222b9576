"""``lrcourse progress export|import FILE``: carry progress between the book and JupyterLab."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(subparsers: Any) -> None:
    """Add the ``progress`` command group to the ``lrcourse`` parser."""
    group = subparsers.add_parser(
        "progress", help="export or import quiz progress (the book's progress page reads the file)"
    )
    commands = group.add_subparsers(dest="progress_command", metavar="SUBCOMMAND", required=True)
    export = commands.add_parser("export", help="write JupyterLab's saved progress to FILE")
    export.add_argument("file")
    export.set_defaults(func=run_export)
    imported = commands.add_parser(
        "import", help="merge FILE (exported from the book or a Lab) into JupyterLab's progress"
    )
    imported.add_argument("file")
    imported.add_argument(
        "--yes", action="store_true", help="replace saved records without asking first"
    )
    imported.set_defaults(func=run_import)


def run_export(args: argparse.Namespace) -> int:
    """Write the file and say where."""
    from lrcourse.quiz.lab_transfer import export_progress

    print(f"Exported JupyterLab's progress to {export_progress(args.file)}")
    return 0


def run_import(args: argparse.Namespace) -> int:
    """Show what the import would change; ask before replacing anything saved (unless --yes)."""
    from lrcourse.quiz.lab_transfer import import_progress

    plan = import_progress(args.file, dry_run=True)  # a bad file raises here: nothing changed
    if plan.result.count("replaced") and not args.yes:
        print(plan)
        if not sys.stdin.isatty():
            print("Nothing changed: rerun with --yes to replace the saved records above.")
            return 1
        if input("Replace the saved records above? [y/N] ").strip().lower() not in ("y", "yes"):
            print("Nothing changed.")
            return 1
    print(import_progress(args.file))
    return 0
