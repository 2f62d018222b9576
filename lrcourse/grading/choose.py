"""Which of a student's hand-ins to grade: one, chosen by rules a person can check.

A notebook released for another assignment is never graded as this one; copies count once; a
loose file beside the student's own folder cannot zero them; of several Canvas uploads the
highest file id (the latest) counts; of several notebooks in one Moodle folder the newest by its
file time counts; odd entries next to a readable notebook are named, not graded. What remains
ambiguous goes to a person. Every choice made is a finding, so the run says what it did.
"""

from __future__ import annotations

from pathlib import Path

from lrcourse.grading.collect import released_for
from lrcourse.grading.intake import Finding, HandIn


def choose_handin(
    student: str, handins: list[HandIn], assignment: str
) -> tuple[HandIn | None, str | None, list[Finding]]:
    """Return the hand-in to grade for ``student``, a problem that sends it to review, findings.

    A notebook released for another assignment is reported, never graded as this one.
    Byte-identical copies count once; a loose file beside the student's own folder is reported,
    not graded (it cannot zero the student); of several Canvas submissions the one with the
    highest attachment id (the latest upload) counts; of several notebooks in one Moodle folder
    the newest by its file time counts, and the run says so; an odd entry (symlink, FIFO, too
    big) next to a readable notebook is reported, not graded. Several different notebooks that
    remain are not guessed between: they go to review. None: nothing of this assignment.
    """
    findings: list[Finding] = []
    ours = []
    for handin in handins:
        other = released_for(handin.data)
        if other is not None and other != assignment:
            detail = f"a notebook released for {other!r}, not {assignment!r}; not graded"
            findings.append(Finding("other-assignment", handin.label, detail))
        else:
            ours.append(handin)
    if not ours:
        return None, None, findings
    unique: dict[object, HandIn] = {}
    for handin in sorted(ours, key=lambda h: (not h.in_own_folder, h.label)):
        unique.setdefault(handin.data if handin.data is not None else handin.label, handin)
    pool = list(unique.values())
    readable = [h for h in pool if h.problem is None]
    if readable and len(readable) < len(pool):
        for odd in (h for h in pool if h.problem is not None):
            findings.append(Finding("odd-entry", odd.label, f"{odd.problem}; not graded"))
        pool = readable
    if any(h.in_own_folder for h in pool) and not all(h.in_own_folder for h in pool):
        for loose in (h for h in pool if not h.in_own_folder):
            detail = f"another file for {student} outside their folder; not graded"
            findings.append(Finding("extra-file", loose.label, detail))
        pool = [h for h in pool if h.in_own_folder]
    if len({h.lms_submission for h in pool}) > 1:
        latest = max(h.lms_submission for h in pool)
        for older in (h for h in pool if h.lms_submission != latest):
            findings.append(
                Finding("resubmitted", older.label, "an earlier submission; not graded")
            )
        pool = [h for h in pool if h.lms_submission == latest]
    if len(pool) > 1 and all(h.layout == "moodle" for h in pool):
        times = [h.file_time for h in pool]
        newest = max((t for t in times if t is not None), default=None)
        chosen = [h for h in pool if h.file_time == newest]
        if newest is not None and len(chosen) == 1:
            names = ", ".join(sorted(Path(h.label).name for h in pool))
            detail = (
                f"{len(pool)} notebooks in one Moodle folder ({names}); graded the newest by "
                f"its file time ({newest:%Y-%m-%d %H:%M} UTC)"
            )
            findings.append(Finding("chose-newest", chosen[0].label, detail))
            pool = chosen
    if len(pool) == 1:
        return pool[0], pool[0].problem, findings
    names = ", ".join(sorted(Path(h.label).name for h in pool))
    return pool[0], f"{len(pool)} notebooks handed in ({names}); keep one", findings
