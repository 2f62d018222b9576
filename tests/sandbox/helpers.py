"""Helpers of the tests that watch sandbox processes: which are alive, and keeping orphans in view."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from pathlib import Path

SANDBOX_UID_BASE = 2_000_000
PR_SET_CHILD_SUBREAPER = 36


def adopt_orphans(adopt: bool = True) -> None:
    """Make this process the reaper of its orphaned descendants (Linux ``PR_SET_CHILD_SUBREAPER``).

    A run's escaped children, or the sandbox servers of a grader killed with ``kill -9``, would
    otherwise be re-parented to init and drop out of :func:`sandbox_processes`'s view; as a
    subreaper this process adopts them, so they stay its descendants until they exit.
    ``adopt=False`` turns it off again.
    """
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, int(adopt), 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")


def _processes() -> dict[int, tuple[int, int, str]]:
    """Return ``{pid: (parent pid, real uid, state)}`` of every process in /proc."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            status = Path(f"/proc/{entry}/status").read_text()
        except OSError:  # ended while we looked
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        table[int(entry)] = (
            int(fields["PPid"]),
            int(fields["Uid"].split()[0]),
            fields["State"].split()[0],
        )
    return table


def sandbox_processes(root: int | None = None) -> list[int]:
    """Return the live processes running as a sandbox uid (>= 2,000,000) that descend from ``root``.

    ``root`` defaults to this process: the tests' graders and sandbox servers are its children,
    and with :func:`adopt_orphans` anything they leave behind stays its descendant. Sandboxes of
    another grading run on the same machine (a second pytest session, a benchmark) are not.
    """
    root = os.getpid() if root is None else root
    table = _processes()
    children: dict[int, list[int]] = {}
    for pid, (parent, _, _) in table.items():
        children.setdefault(parent, []).append(pid)
    found, stack = [], list(children.get(root, []))
    while stack:
        pid = stack.pop()
        stack += children.get(pid, [])
        _, uid, state = table[pid]
        if uid >= SANDBOX_UID_BASE and state != "Z":
            found.append(pid)
    return sorted(found)
