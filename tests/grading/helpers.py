"""Shared constants and helpers of the grading tests: the test bank, golden release, limits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lrcourse.grading.grade import GradeOptions, grade_folder
from lrcourse.grading.gradebook import Gradebook
from lrcourse.grading.manifest import Manifest
from lrcourse.quiz.bank import quiz_dir
from lrcourse.sandbox.pool import Limits

FILES = Path(__file__).resolve().parents[1] / "files"
BANKS = FILES / "grading" / "banks"
GOLDEN = FILES / "grading" / "golden" / "hw-test"
CORPUS = FILES / "submissions"
#: Small limits keep the suite fast; the corpus proves each is enforced. The wall clock is
#: twice the CPU limit so a busy 2-core machine does not turn honest runs into timeouts.
TEST_LIMITS = Limits(wall_s=2.0, cpu_s=1.0, memory_mb=256, processes=16, output_bytes=65_536)
HIDDEN = (BANKS, quiz_dir())
#: The test bank's choice question alone: intake and class-tool tests need no sandbox run.
CHOICE_ONLY = ["grading-test.where-lr-is-used"]


def grade_into(
    folder: Path, book: Path, manifest: Manifest, bank_questions: dict, **options: Any
) -> Any:
    """Grade ``folder`` into the gradebook file ``book``: test limits, one job, no progress bar."""
    with Gradebook(book) as gradebook:
        return grade_folder(
            folder,
            manifest,
            gradebook,
            bank_questions,
            GradeOptions(limits=TEST_LIMITS, jobs=1, progress=False, hide=HIDDEN, **options),
        )
