"""Late work: how late a hand-in is and what it keeps of its points, from the manifest's policy.

The submission time comes from the LMS when it says (a Canvas or Moodle zip entry's date), else
from the file's modification time. Canvas also marks late work in its file names (``_late_``);
that mark counts even where no time is known. Days late are started days after the due date
plus the grace period; each costs ``penalty_per_day`` of the points; from ``cutoff_days`` on the
hand-in earns nothing. The score of each answer is kept as graded; the factor applies to the
total (gradebook, CSVs, feedback), so changing the policy never needs a regrade.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from lrcourse.grading.manifest import LatePolicy


@dataclass(frozen=True)
class Lateness:
    """How late a hand-in is: days (started), the factor its points keep, and a note for people."""

    days: float
    factor: float
    note: str


ON_TIME = Lateness(0.0, 1.0, "")


def lateness(
    policy: LatePolicy | None, submitted_at: datetime | None, lms_late: bool = False
) -> Lateness:
    """Return how late a hand-in submitted at ``submitted_at`` is under ``policy``."""
    if policy is None:
        return Lateness(0.0, 1.0, "late (marked by the LMS)") if lms_late else ON_TIME
    due = policy.due if policy.due.tzinfo else policy.due.replace(tzinfo=UTC)
    limit = due + timedelta(minutes=policy.grace_minutes)
    if submitted_at is None:
        if not lms_late:
            return ON_TIME
        days = 1.0  # the LMS says late but not when: one started day
        note = "late (marked by the LMS; time unknown, counted as 1 day)"
    else:
        late_by = submitted_at - limit
        if late_by <= timedelta(0) and not lms_late:
            return ON_TIME
        days = max(1.0, math.ceil(late_by / timedelta(days=1)))
        note = f"submitted {submitted_at.strftime('%Y-%m-%d %H:%M')} UTC, {days:g} day(s) late"
    if policy.cutoff_days is not None and days >= policy.cutoff_days:
        return Lateness(days, 0.0, f"{note}: after the cut-off, no points")
    factor = max(0.0, 1.0 - policy.penalty_per_day * days)
    if policy.penalty_per_day:
        note += f": {100 * (1 - factor):.0f} % off"
    return Lateness(days, factor, note)
