"""Re-release an assignment for a changed class list, with the options it was assigned with.

A student joins or leaves after ``assign``: :func:`update_students` takes every option from the
manifest (questions, points, seed, release kind, variants, late policy) and the release (its
title), so nobody retypes them, a newcomer gets what a first ``assign`` would have given them,
and every student kept keeps their release byte for byte.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import nbformat

from lrcourse.grading.assign import AssignmentSpec, release_notebook, write_assignment
from lrcourse.grading.manifest import AssignmentError, Manifest, RosterEntry, changed_questions
from lrcourse.quiz.model import QuestionModel


def _release_title(release_dir: Path) -> str:
    """Return the title the release notebooks were written with (their first cell's heading)."""
    for path in sorted(release_dir.glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        first = notebook.cells[0].source.split("\n", 1)[0] if notebook.cells else ""
        if first.startswith("# "):
            return first[2:]
    raise AssignmentError(f"{release_dir}: no release notebook to read the title from")


def update_students(
    out: Path, assignment: str, roster: Sequence[RosterEntry], pool: dict[str, QuestionModel]
) -> tuple[Manifest, list[str], list[str]]:
    """Re-release ``assignment`` for a new class list with the options it was assigned with.

    Everything but the class list comes from the manifest (questions, points, seed, release
    kind, variants, late policy) and the release (its title), so a student added gets exactly
    what the others got and every student kept keeps byte for byte the release they hold (this
    is checked before anything is written). Refused when a question changed in the banks since
    ``assign`` (the kept students' copies would no longer match theirs). Returns the new
    manifest, the students added and the students dropped.
    """
    folder = out / assignment
    manifest = Manifest.load(folder / "manifest.json")
    changed = changed_questions(manifest, pool)
    if changed:
        raise AssignmentError(
            f"{changed[0]} changed in the banks since {assignment!r} was assigned: the students "
            "kept would get a different copy; nothing was changed"
        )
    missing = [s.question_id for s in manifest.slots if s.question_id not in pool]
    if missing:
        raise AssignmentError(f"the banks given do not hold {missing[0]!r}; pass --banks")
    if not roster:
        raise AssignmentError("--update-students needs --students (the new class list)")
    spec = AssignmentSpec(
        assignment=assignment,
        title=_release_title(folder / "release"),
        question_ids=[slot.question_id for slot in manifest.slots],
        seed=manifest.seed,
        students=[entry.id for entry in roster],
        release=manifest.release,
        variants=manifest.variants,
        roster=roster,
        late=manifest.late,
        points={slot.question_id: slot.points for slot in manifest.slots},
        force=True,
    )
    before, after = set(manifest.roster_ids()), {entry.id for entry in roster}
    questions = [pool[slot.question_id] for slot in manifest.slots]
    kept = sorted(before & after) if manifest.release == "per-student" else []
    for student in kept:
        path = folder / "release" / f"{student}.ipynb"
        fresh = nbformat.writes(release_notebook(spec, questions, student))
        if path.is_file() and path.read_text(encoding="utf-8").rstrip() != fresh.rstrip():
            raise AssignmentError(
                f"{path}: this release would change for {student!r} (was it assigned with "
                "another lrcourse or edited?); nothing was changed"
            )
    new_manifest = write_assignment(spec, pool, out)
    return new_manifest, sorted(after - before), sorted(before - after)
