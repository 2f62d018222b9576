"""Late work: how late a hand-in is and what it keeps of its points, from the manifest's policy.

Only times the LMS records decide lateness. A Canvas download holds no submission time (its zip
entries carry the time of the download: canvas-lms ContentZipper writes them through rubyzip
with no time of their own), only the ``LATE`` mark in the entry name; a Moodle download holds
none either. A folder's or a zip entry's time is used only when the instructor asks
(``grade --use-file-times``), and the source of every time is shown with the note.

A late mark with no time is late by an unknown amount: it costs nothing here and is reported
for a person to check (the grace period may cover it; only the LMS knows). Days late are
started days after the due date (plus the student's extension) and the grace period; each
costs ``penalty_per_day`` of the points; from ``cutoff_days`` on the hand-in earns nothing. An
excused student is never late. The factor applies to the total (gradebook, CSVs, feedback), so
changing the policy never needs a regrade.
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
    #: The LMS says late but not when: a person must look (no penalty was applied).
    unknown: bool = False


ON_TIME = Lateness(0.0, 1.0, "")


def lateness(
    policy: LatePolicy | None,
    submitted_at: datetime | None,
    lms_late: bool = False,
    *,
    source: str = "",
    extension: timedelta = timedelta(0),
    excused: bool = False,
) -> Lateness:
    """Return how late a hand-in submitted at ``submitted_at`` (from ``source``) is."""
    if excused:
        return Lateness(0.0, 1.0, "excused: no late penalty")
    if submitted_at is None:
        if not lms_late:
            return ON_TIME
        return Lateness(
            0.0,
            1.0,
            "marked LATE by the LMS, which gives no time: not penalised; check it in the LMS",
            unknown=True,
        )
    if policy is None:
        return ON_TIME
    due = policy.due if policy.due.tzinfo else policy.due.replace(tzinfo=UTC)
    limit = due + extension + timedelta(minutes=policy.grace_minutes)
    stamp = submitted_at.strftime("%Y-%m-%d %H:%M")
    where = f" ({source})" if source else ""
    late_by = submitted_at - limit
    if late_by <= timedelta(0):
        return Lateness(0.0, 1.0, f"submitted {stamp} UTC{where}: on time") if lms_late else ON_TIME
    days = max(1.0, math.ceil(late_by / timedelta(days=1)))
    note = f"submitted {stamp} UTC{where}, {days:g} day(s) late"
    if policy.cutoff_days is not None and days >= policy.cutoff_days:
        return Lateness(days, 0.0, f"{note}: after the cut-off, no points")
    factor = max(0.0, 1.0 - policy.penalty_per_day * days)
    if policy.penalty_per_day:
        note += f": {100 * (1 - factor):.0f} % off"
    return Lateness(days, factor, note)
