"""JupyterLab's side of carrying progress: ``lrcourse.export_progress`` / ``import_progress``.

Reads and writes the Lab's progress files (:mod:`lrcourse.quiz.progress`) as the portable records
of :mod:`lrcourse.quiz.transfer`, so a file exported from the book imports here and back.
Before an import changes a bank's file it keeps the old one as ``<stem>.before-import-<n>.json``
(the undo); a file that is not a progress file changes nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from lrcourse.quiz import transfer
from lrcourse.quiz.bank import bank_paths, load_bank
from lrcourse.quiz.progress import (
    Progress,
    SavedAnswer,
    SavedExplanation,
    now,
    progress_dir,
)
from lrcourse.quiz.transfer import Answer, Explanation, Flashcard, MergeResult, Records

#: bank stem -> question id -> question type, for the course's banks.
Types = dict[str, dict[str, str]]

#: The feedback an imported answer shows in the Lab (the file carries no feedback text).
IMPORTED = "Imported from an exported progress file: press Check to grade it here again."


def course_types() -> Types:
    """Return each bank's question types (the mapping needs them: single, flashcard)."""
    types: Types = {}
    for path in bank_paths():
        loaded = load_bank(path)
        types[loaded.stem] = {q.id: q.type for q in loaded.bank.questions}
    return types


def _stems(folder: Path, types: Types) -> list[str]:
    on_disk = {
        p.stem for p in folder.glob("*.json") if "." not in p.stem and not p.name.startswith(".")
    }
    return sorted(on_disk | set(types))


def lab_records(folder: Path, types: Types) -> Records:
    """Return what the Lab's progress files in ``folder`` hold, as portable records."""
    records: Records = {}
    for stem in _stems(folder, types):
        if not (folder / f"{stem}.json").exists():
            continue
        saved = Progress.load(stem, folder)
        kinds = types.get(stem, {})
        questions: dict[str, dict[str, transfer.Part]] = {}
        for qid, answer in saved.answers.items():
            if kinds.get(qid) == "flashcard":
                questions.setdefault(qid, {})["flashcard"] = Flashcard(
                    answer.correct, answer.updated
                )
                continue
            entered = answer.answer
            if kinds.get(qid) == "single" and isinstance(entered, str):
                entered = [entered]  # the portable shape: the list of the one key picked
            questions.setdefault(qid, {})["answer"] = Answer(
                entered, float(answer.score), bool(answer.correct), answer.attempts, answer.updated
            )
        for qid, explanation in saved.explanations.items():
            questions.setdefault(qid, {})["explanation"] = Explanation(
                explanation.text, explanation.compared, explanation.updated
            )
        if questions:
            records[stem] = questions
    return records


def _lab_answer(kind: str | None, part: transfer.Part) -> SavedAnswer | None:
    if isinstance(part, Answer):
        entered = part.answer
        if kind == "single" and isinstance(entered, list):
            entered = entered[0] if len(entered) == 1 else None
        return SavedAnswer(entered, part.score, part.correct, IMPORTED, part.attempts, part.updated)
    if isinstance(part, Flashcard) and kind == "flashcard":
        return SavedAnswer(part.known, float(part.known), part.known, IMPORTED, 1, part.updated)
    return None


@dataclass
class ImportReport:
    """What ``import_progress`` did: the merge's changes, the files written and their backups."""

    source: Path
    result: MergeResult
    written: list[Path]
    backups: list[Path]
    not_kept: list[str]  # parts the Lab has no place for (e.g. a flashcard mark on an explain)
    dry_run: bool = False

    def __str__(self) -> str:
        lines = [
            f"{'Would import' if self.dry_run else 'Imported'} {self.source}: "
            f"{self.result.summary()}."
        ]
        lines += [f"  {change}" for change in self.result.changes if change.action != "same"]
        lines += [f"  {line}" for line in self.not_kept]
        if self.backups:
            lines.append(
                "The files before the import are kept: " + ", ".join(p.name for p in self.backups)
            )
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        import html

        return f"<pre>{html.escape(str(self))}</pre>"


def export_progress(path: str | Path, folder: Path | None = None) -> Path:
    """Write every answer, explanation and flashcard mark saved in JupyterLab to ``path``.

    The file (JSON, :mod:`lrcourse.quiz.transfer`'s format) imports into the book's progress page
    ("Import progress") or another Lab with :func:`import_progress`. Return the path written.
    """
    folder = folder or progress_dir()
    records = lab_records(folder, course_types())
    path = Path(path)
    data = transfer.dump(records, "jupyterlab", now())
    path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    return path


def import_progress(
    path: str | Path, folder: Path | None = None, *, dry_run: bool = False
) -> ImportReport:
    """Merge the progress file ``path`` (exported from the book or a Lab) into the Lab's files.

    Per question, the better answer (then the newer) and the newer explanation and flashcard mark
    are kept; the report lists what was added, replaced or kept. Every bank file changed is kept
    first as ``<stem>.before-import-<n>.json``. ``dry_run=True`` reports without writing. A file
    that is not a progress file raises :class:`~lrcourse.quiz.errors.ProgressFileError` (naming
    the file and what is wrong) and changes nothing.
    """
    folder = folder or progress_dir()
    theirs = transfer.load(path)  # first: a bad file changes nothing
    types = course_types()
    mine = lab_records(folder, types)
    result = transfer.merge(mine, theirs)
    not_kept: list[str] = []
    written: list[Path] = []
    backups: list[Path] = []
    for bank in sorted(theirs):
        kinds = types.get(bank, {})
        progress = Progress.load(bank, folder)
        answers: dict[str, SavedAnswer] = {}
        explanations: dict[str, SavedExplanation] = {}
        for qid, parts in sorted(result.records.get(bank, {}).items()):
            for name, part in parts.items():
                if isinstance(part, Explanation):
                    explanations[qid] = SavedExplanation(part.text, part.updated, part.compared)
                    continue
                saved = _lab_answer(kinds.get(qid), part)
                if saved is None:
                    if bank in theirs and name in theirs[bank].get(qid, {}):
                        not_kept.append(
                            f"{bank} {qid} {name}: not kept in JupyterLab (it has no {name} for "
                            f"a {kinds.get(qid, 'removed')} question); it stays in the book"
                        )
                    continue
                before = progress.answers.get(qid)
                if before is not None and _same(before, saved):
                    saved = SavedAnswer(
                        before.answer,
                        before.score,
                        before.correct,
                        before.feedback,
                        saved.attempts,
                        saved.updated,
                    )
                answers[qid] = saved
        if (answers, explanations) == (progress.answers, progress.explanations):
            continue
        if dry_run:
            continue
        if progress.path.exists():
            number = 1
            while (aside := folder / f"{bank}.before-import-{number}.json").exists():
                number += 1
            aside.write_bytes(progress.path.read_bytes())
            backups.append(aside)
        progress.answers, progress.explanations = answers, explanations
        progress.save()
        written.append(progress.path)
    return ImportReport(Path(path), result, written, backups, not_kept, dry_run)


def _same(before: SavedAnswer, after: SavedAnswer) -> bool:
    return (before.answer, before.score, before.correct) == (
        after.answer,
        after.score,
        after.correct,
    )
