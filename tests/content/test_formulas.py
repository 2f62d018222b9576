"""Chapter 2's closed forms: each formula as written beside the grid, evaluated, equals torch's trace.

The table in notebooks/02_scheduler_family.ipynb ("The closed forms, as torch's docs give them")
writes each formula in words a reader can follow; here each row is transcribed into Python and
compared, step by step, with ``lrcourse.trace_schedule`` at the grid's settings (lr 0.1, 30 epochs).
The row's text is looked up verbatim in the notebook, so the page and this test change together.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

import lrcourse

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "02_scheduler_family.ipynb"
LR, EPOCHS = 0.1, 30
ONE_CYCLE = {"max_lr": 0.1, "total_steps": 30}
ETA_MAX = 0.1
ETA_START = ETA_MAX / 25
ETA_END = ETA_START / 1e4


def one_cycle(t: int) -> float:
    if t <= 8:
        return ETA_MAX + 0.5 * (ETA_START - ETA_MAX) * (1 + math.cos(math.pi * t / 8))
    return ETA_END + 0.5 * (ETA_MAX - ETA_END) * (1 + math.cos(math.pi * (t - 8) / 21))


# (scheduler, params, row label as written, formula as written, the formula in Python)
ROWS = [
    ("StepLR", {"step_size": 10, "gamma": 0.5}, "`StepLR(step_size=10, gamma=0.5)`",
     "η₀ · 0.5^⌊t / 10⌋", lambda t: LR * 0.5 ** (t // 10)),
    ("MultiStepLR", {"milestones": [8, 20], "gamma": 0.3},
     "`MultiStepLR(milestones=[8, 20], gamma=0.3)`",
     "η₀ · 0.3^k, k = the number of milestones ≤ t",
     lambda t: LR * 0.3 ** sum(m <= t for m in (8, 20))),
    ("ExponentialLR", {"gamma": 0.9}, "`ExponentialLR(gamma=0.9)`", "η₀ · 0.9^t",
     lambda t: LR * 0.9**t),
    ("ConstantLR", {"factor": 0.5, "total_iters": 10}, "`ConstantLR(factor=0.5, total_iters=10)`",
     "0.5 · η₀ for t < 10, then η₀", lambda t: 0.5 * LR if t < 10 else LR),
    ("LinearLR", {"start_factor": 0.1, "end_factor": 1.0, "total_iters": 10},
     "`LinearLR(start_factor=0.1, end_factor=1.0, total_iters=10)`",
     "η₀ · (0.1 + 0.9 · min(t, 10) / 10)", lambda t: LR * (0.1 + 0.9 * min(t, 10) / 10)),
    ("PolynomialLR", {"total_iters": 25, "power": 2.0}, "`PolynomialLR(total_iters=25, power=2.0)`",
     "η₀ · (1 − min(t, 25) / 25)²", lambda t: LR * (1 - min(t, 25) / 25) ** 2),
    ("CosineAnnealingLR", {"T_max": 30}, "`CosineAnnealingLR(T_max=30)`, `eta_min` = 0",
     "η_min + ½ (η₀ − η_min)(1 + cos(π t / 30))",
     lambda t: 0 + 0.5 * (LR - 0) * (1 + math.cos(math.pi * t / 30))),
    ("OneCycleLR", ONE_CYCLE, "`OneCycleLR(max_lr=0.1, total_steps=30)`, t ≤ 8",
     "η_max + ½ (η_start − η_max)(1 + cos(π t / 8))", one_cycle),
    ("OneCycleLR", ONE_CYCLE, "`OneCycleLR(max_lr=0.1, total_steps=30)`, t > 8",
     "η_end + ½ (η_max − η_end)(1 + cos(π (t − 8) / 21))", one_cycle),
]  # fmt: skip


def closed_forms_cell() -> str:
    cells = json.loads(NOTEBOOK.read_text())["cells"]
    sources = ["".join(cell["source"]) for cell in cells if cell["cell_type"] == "markdown"]
    return next(text for text in sources if "### The closed forms" in text)


@pytest.mark.parametrize(
    ("name", "params", "label", "written", "formula"),
    ROWS,
    ids=[f"{row[0]}-{index}" for index, row in enumerate(ROWS)],
)
def test_the_written_formula_equals_torchs_trace(name, params, label, written, formula):
    assert f"| {label} | {written} |" in closed_forms_cell()
    traced = lrcourse.trace_schedule(name, params, epochs=EPOCHS, lr=LR).lr
    assert len(traced) == EPOCHS
    assert [formula(t) for t in range(EPOCHS)] == pytest.approx(traced, rel=1e-9, abs=1e-15)


def test_the_table_has_one_row_per_formula_tested():
    rows = [line for line in closed_forms_cell().splitlines() if line.startswith("| `")]
    assert len(rows) == len(ROWS)


def test_a_wrong_formula_would_be_caught():
    traced = lrcourse.trace_schedule("StepLR", {"step_size": 10, "gamma": 0.5}, epochs=EPOCHS).lr
    off_by_one = [LR * 0.5 ** ((t + 1) // 10) for t in range(EPOCHS)]
    assert off_by_one != pytest.approx(traced, rel=1e-9)
