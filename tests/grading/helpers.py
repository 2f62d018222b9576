"""Shared constants and helpers of the grading tests: the test bank, golden release, limits."""

from __future__ import annotations

import os
from pathlib import Path

from lrcourse.grading.sandbox import Limits
from lrcourse.quiz.bank import quiz_dir

FILES = Path(__file__).resolve().parents[1] / "files"
BANKS = FILES / "grading" / "banks"
GOLDEN = FILES / "grading" / "golden" / "hw-test"
CORPUS = FILES / "submissions"
#: Small limits keep the suite fast; the corpus proves each is enforced. The wall clock is
#: twice the CPU limit so a busy 2-core machine does not turn honest runs into timeouts.
TEST_LIMITS = Limits(wall_s=2.0, cpu_s=1.0, memory_mb=256, processes=16, output_bytes=65_536)
HIDDEN = (BANKS, quiz_dir())


def sandbox_processes() -> list[int]:
    """Return the pids of live processes running as a sandbox uid (>= 2,000,000)."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            status = Path(f"/proc/{entry}/status").read_text()
        except OSError:
            continue
        uid = int(next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1])
        if uid >= 2_000_000 and "State:\tZ" not in status:
            pids.append(int(entry))
    return pids
