"""The ``lrcourse`` command: one subcommand group per module, each registered by that module.

Thin by design: each group's module (``lrcourse/quiz/cli.py``, ``lrcourse/grading/cli.py``, ...)
adds its parser with ``register(subparsers)`` and sets ``func``; this file only dispatches.
Exit status, the same for every command: 0 fine, 1 the command found something a person must
look at, 2 a usage mistake. A :class:`~lrcourse.errors.LRCourseError` (or a file the command
cannot read or write) becomes a one-line message and exit status 2; output cut short by a closed
pipe (``lrcourse gradebook hw3 | head``) ends quietly.
"""

from __future__ import annotations

import argparse
import atexit
import gc
import importlib
import importlib.metadata
import os
import shlex
import sys
from collections.abc import Sequence

from lrcourse.errors import LRCourseError

#: Modules that provide ``register(subparsers)``; a missing one is skipped (it has not landed).
COMMAND_MODULES: tuple[str, ...] = (
    "lrcourse.quiz.cli",
    "lrcourse.quiz.progress_cli",
    "lrcourse.grading.cli",
)


def build_parser() -> argparse.ArgumentParser:
    """Return the parser of every subcommand group that is installed."""
    parser = argparse.ArgumentParser(
        prog="lrcourse", description="Learning-rate schedulers in PyTorch: course tools."
    )
    parser.add_argument(
        "--version", action="version", version=f"lrcourse {importlib.metadata.version('lrcourse')}"
    )
    subparsers = parser.add_subparsers(dest="group", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name != name:
                raise
            continue
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``lrcourse ARGS``; return the exit status."""
    # Commands such as grade import torch: ~300 k objects that live until the process exits,
    # where the interpreter's last collections would walk them all (~0.8 s after the work is
    # done). Frozen at exit, they are left to the end of the process instead.
    atexit.unregister(gc.freeze)
    atexit.register(gc.freeze)
    # nbformat validates with jsonschema, whose import builds 39 lark grammars (0.5-2 s) for the
    # optional "iri" format check of rfc3987-syntax (installed for check-jsonschema). No notebook
    # schema uses that format: the commands that read or write notebooks do without it.
    # (None in sys.modules makes an import raise ImportError: the documented way to block it.)
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
    words = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(words)
    args.command_line = shlex.join(["lrcourse", *words])  # what the gradebook's history records
    try:
        return int(args.func(args) or 0)
    except LRCourseError as error:
        print(f"lrcourse: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader went away (``| head``): stop writing, and let nothing flush at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except OSError as error:  # a file named on the command line that cannot be read or written
        print(f"lrcourse: {error.filename or ''}: {error.strerror or error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
