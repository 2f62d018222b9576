"""Every end-of-chapter exercise's solution runs, and prints what its page says it prints.

An exercise is a markdown cell of a chapter notebook: ``### Exercise N: title``, the task, and a
``<details><summary>Solution</summary>`` block holding an explanation, a ``python`` block and, after
"It prints:", a ``text`` block. The solution code is run here in a fresh namespace (the real torch
classes) and its output must equal the text block exactly, so a solution can't drift from torch.
"""

from __future__ import annotations

import contextlib
import io
import re
import warnings
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
CHAPTERS = sorted((ROOT / "notebooks").glob("0[1-9]_*.ipynb"))

EXERCISE = re.compile(r"^### Exercise (?P<number>\d+): (?P<title>.+)$", re.MULTILINE)
SOLUTION = re.compile(
    r"<details><summary>Solution</summary>\n\n(?P<body>.*?)\n</details>", re.DOTALL
)
CODE = re.compile(
    r"```python\n(?P<code>.*?)```\n\nIt prints:\n\n```text\n(?P<output>.*?)```", re.DOTALL
)


def exercises(path: Path) -> list[tuple[str, str]]:
    """(id, markdown) of each exercise cell of a notebook, in order."""
    notebook = nbformat.read(path, as_version=4)
    found = []
    for cell in notebook.cells:
        heading = EXERCISE.search(cell.source) if cell.cell_type == "markdown" else None
        if heading:
            found.append((f"{path.stem}-ex{heading['number']}", cell.source))
    return found


ALL = [exercise for path in CHAPTERS for exercise in exercises(path)]


@pytest.mark.parametrize("path", CHAPTERS, ids=[path.stem for path in CHAPTERS])
def test_every_chapter_ends_with_numbered_exercises(path):
    found = exercises(path)
    assert len(found) >= 2, f"{path.name}: fewer than two exercises"
    numbers = [int(EXERCISE.search(source)["number"]) for _, source in found]
    assert numbers == list(range(1, len(found) + 1)), f"{path.name}: exercises numbered {numbers}"
    sources = [cell.source for cell in nbformat.read(path, as_version=4).cells]
    section = next(i for i, source in enumerate(sources) if source.startswith("## Exercises"))
    first = sources.index(found[0][1])
    assert section < first, f"{path.name}: the exercises are not under '## Exercises'"


@pytest.mark.parametrize(("exercise_id", "source"), ALL, ids=[exercise[0] for exercise in ALL])
def test_the_solution_prints_what_the_page_says(exercise_id, source):
    solution = SOLUTION.search(source)
    assert solution, f"{exercise_id}: no <details><summary>Solution</summary> block"
    task = source[: solution.start()]
    assert len(task.split()) > 10, f"{exercise_id}: the task is missing"
    code = CODE.search(solution["body"])
    assert code, f"{exercise_id}: no python block followed by 'It prints:' and a text block"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(code["code"], exercise_id, "exec"), {"__name__": "__exercise__"})
    assert printed.getvalue() == code["output"]


def test_a_solution_that_drifts_from_torch_is_caught():
    drifted = (
        "### Exercise 1: a halving\n\nHalve the rate every 2 epochs and print the first four rates"
        " of the schedule, one per epoch.\n\n<details><summary>Solution</summary>\n\n"
        "```python\nimport torch\nfrom torch.optim.lr_scheduler import StepLR\n\n"
        "optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)\n"
        "scheduler = StepLR(optimizer, step_size=2, gamma=0.5)\nfor _ in range(4):\n"
        "    print(scheduler.get_last_lr()[0])\n    optimizer.step()\n    scheduler.step()\n```\n\n"
        "It prints:\n\n```text\n0.05\n0.05\n0.025\n0.025\n```\n\n</details>"
    )
    with pytest.raises(AssertionError, match=r"0\.1"):
        test_the_solution_prints_what_the_page_says("drifted", drifted)
