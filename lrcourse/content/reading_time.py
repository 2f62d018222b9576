"""How long a chapter takes a learner who reads it, runs its code, does its exercises and quiz.

The one place the course's reading times come from (each chapter's "**Reading time:**" line is
this estimate; ``tests/content/test_chapter_pages.py`` fails when they differ, and
``python -m lrcourse.content.reading_time --write`` rewrites the lines):

* prose: the words of the markdown cells at 200 words a minute;
* code: 5 seconds per non-blank line of the code cells (read it, run it, look at its output);
* exercises: 5 minutes per ``### Exercise N`` heading;
* quiz: per question of the chapter's bank, 1 minute for a choice, numeric or predict question,
  2 for an explanation, 3 for code to write or fix, half a minute per flashcard;

rounded to the nearest 5 minutes. The rates are calibrated on issue 26's trial, where a learner
doing the exercises took 8-10 hours over chapters 1-8 whose stated times (words at 200 a minute,
half a minute per code cell, a minute per question) summed to 5.3 hours: this method puts the
same chapters at about 9 hours.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import nbformat

from lrcourse.quiz.bank import bank_paths, load_bank

WORDS_PER_MINUTE = 200
SECONDS_PER_CODE_LINE = 5
MINUTES_PER_EXERCISE = 5
MINUTES_PER_QUESTION = {
    "single": 1.0,
    "multiple": 1.0,
    "numeric": 1.0,
    "predict": 1.0,
    "explain": 2.0,
    "code": 3.0,
    "fix-loop": 3.0,
    "flashcard": 0.5,
}
EXERCISE = re.compile(r"^### Exercise \d", re.MULTILINE)
#: The line each chapter opens with (its minutes are this module's estimate).
HEADER = re.compile(
    r"\*\*Reading time:\*\* about (?P<minutes>\d+) minutes with the code, the exercises and the "
    r"quiz \(\[how it is estimated\]\(\.\./book/index\.md\)\)"
)


@dataclass(frozen=True)
class ReadingTime:
    """A chapter's estimate, part by part (minutes)."""

    words: int
    code_lines: int
    exercises: int
    questions: dict[str, int]

    @property
    def minutes(self) -> float:
        """Return the unrounded estimate."""
        quiz = sum(MINUTES_PER_QUESTION[kind] * n for kind, n in self.questions.items())
        return (
            self.words / WORDS_PER_MINUTE
            + self.code_lines * SECONDS_PER_CODE_LINE / 60
            + self.exercises * MINUTES_PER_EXERCISE
            + quiz
        )

    @property
    def stated(self) -> int:
        """Return the minutes a chapter states: the estimate to the nearest 5 (at least 5)."""
        return max(5, 5 * round(self.minutes / 5))


def chapter_bank_types(chapter: int) -> dict[str, int]:
    """Return how many questions of each type the bank of ``chapter`` holds (none: empty)."""
    for path in bank_paths():
        loaded = load_bank(path)
        if loaded.bank.chapter == chapter:
            return dict(Counter(q.type for q in loaded.bank.questions))
    return {}


def reading_time(notebook: str | Path) -> ReadingTime:
    """Return the estimate of the chapter notebook ``NN_<slug>.ipynb``."""
    path = Path(notebook)
    cells = nbformat.read(path, as_version=4).cells
    markdown = [c.source for c in cells if c.cell_type == "markdown"]
    code = [c.source for c in cells if c.cell_type == "code"]
    return ReadingTime(
        words=sum(len(source.split()) for source in markdown),
        code_lines=sum(1 for source in code for line in source.splitlines() if line.strip()),
        exercises=sum(len(EXERCISE.findall(source)) for source in markdown),
        questions=chapter_bank_types(int(path.stem[:2])),
    )


def write_stated(notebook: str | Path) -> bool:
    """Put the estimate into the chapter's Reading time line (text only); return True if changed.

    The estimate counts the line's own words, and a new number never changes their count.
    """
    path = Path(notebook)
    text = path.read_text(encoding="utf-8")
    minutes = reading_time(path).stated
    new, count = HEADER.subn(
        lambda m: m.group(0).replace(f"about {m['minutes']} ", f"about {minutes} "), text, count=1
    )
    if not count:
        raise ValueError(f"{path}: no '**Reading time:** about N minutes ...' line")
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


def main(argv: list[str]) -> int:
    """Print each chapter's estimate; with ``--write``, update the chapters' lines."""
    root = Path(__file__).resolve().parents[2] / "notebooks"
    total = 0.0
    for path in sorted(root.glob("0[1-9]_*.ipynb")):
        estimate = reading_time(path)
        total += estimate.minutes
        changed = write_stated(path) if "--write" in argv else False
        print(
            f"{path.name}: {estimate.stated} min ({estimate.minutes:.1f}: {estimate.words} words, "
            f"{estimate.code_lines} code lines, {estimate.exercises} exercises, "
            f"{sum(estimate.questions.values())} questions){' (written)' if changed else ''}"
        )
    print(f"all chapters: {total / 60:.1f} h")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
