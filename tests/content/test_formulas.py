"""Chapter 2's closed forms: each formula as written beside the grid, evaluated, equals torch's trace.

The table in notebooks/02_scheduler_family.ipynb ("The closed forms, as torch's docs give them")
writes each formula in LaTeX; here each row is transcribed into Python and compared, step by step,
with ``lrcourse.trace_schedule`` at the grid's settings (lr 0.1, 30 epochs). The row's text is
looked up verbatim in the notebook, so the page and this test change together.
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
CYCLIC = {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 5}
BASE_LR, MAX_LR, STEP_SIZE = 0.01, 0.1, 5


def one_cycle(t: int) -> float:
    if t <= 8:
        return ETA_MAX + 0.5 * (ETA_START - ETA_MAX) * (1 + math.cos(math.pi * t / 8))
    return ETA_END + 0.5 * (ETA_MAX - ETA_END) * (1 + math.cos(math.pi * (t - 8) / 21))


def cyclic(t: int, halve_each_cycle: bool) -> float:
    """Smith's triangle, as the code torch's docs cite writes it: ``cycle`` and ``x``."""
    cycle = math.floor(1 + t / (2 * STEP_SIZE))
    x = abs(t / STEP_SIZE - 2 * cycle + 1)
    scale = 1 / 2 ** (cycle - 1) if halve_each_cycle else 1.0
    return BASE_LR + (MAX_LR - BASE_LR) * max(0, 1 - x) * scale


def warm_restarts(t_cur: int, t_i: int, eta_min: float = 0.0) -> float:
    """SGDR, as torch's docs write it: ``T_cur`` steps since the last restart, cycle ``T_i``."""
    return eta_min + 0.5 * (LR - eta_min) * (1 + math.cos(math.pi * t_cur / t_i))


def doubling_cycles(t: int) -> float:
    """T_0=10, T_mult=2: cycles of 10 then 20 steps cover the grid's 30."""
    return warm_restarts(t, 10) if t < 10 else warm_restarts(t - 10, 20)


# (scheduler, params, row label as written, formula as written, the formula in Python)
ROWS = [
    ("StepLR", {"step_size": 10, "gamma": 0.5}, "`StepLR(step_size=10, gamma=0.5)`",
     r"$\eta_0 \cdot 0.5^{\lfloor t/10 \rfloor}$", lambda t: LR * 0.5 ** (t // 10)),
    ("MultiStepLR", {"milestones": [8, 20], "gamma": 0.3},
     "`MultiStepLR(milestones=[8, 20], gamma=0.3)`",
     r"$\eta_0 \cdot 0.3^{k}$, $k$ = the number of milestones $\le t$",
     lambda t: LR * 0.3 ** sum(m <= t for m in (8, 20))),
    ("ExponentialLR", {"gamma": 0.9}, "`ExponentialLR(gamma=0.9)`", r"$\eta_0 \cdot 0.9^{t}$",
     lambda t: LR * 0.9**t),
    ("ConstantLR", {"factor": 0.5, "total_iters": 10}, "`ConstantLR(factor=0.5, total_iters=10)`",
     r"$0.5 \cdot \eta_0$ for $t < 10$, then $\eta_0$", lambda t: 0.5 * LR if t < 10 else LR),
    ("LinearLR", {"start_factor": 0.1, "end_factor": 1.0, "total_iters": 10},
     "`LinearLR(start_factor=0.1, end_factor=1.0, total_iters=10)`",
     r"$\eta_0 \left(0.1 + 0.9 \cdot \min(t, 10)/10\right)$",
     lambda t: LR * (0.1 + 0.9 * min(t, 10) / 10)),
    ("PolynomialLR", {"total_iters": 25, "power": 2.0}, "`PolynomialLR(total_iters=25, power=2.0)`",
     r"$\eta_0 \left(1 - \min(t, 25)/25\right)^2$", lambda t: LR * (1 - min(t, 25) / 25) ** 2),
    ("CosineAnnealingLR", {"T_max": 30}, "`CosineAnnealingLR(T_max=30)`, `eta_min` = 0",
     r"$\eta_{\min} + \tfrac{1}{2}(\eta_0 - \eta_{\min})\left(1 + \cos(\pi t/30)\right)$",
     lambda t: 0 + 0.5 * (LR - 0) * (1 + math.cos(math.pi * t / 30))),
    ("CosineAnnealingWarmRestarts", {"T_0": 10},
     "`CosineAnnealingWarmRestarts(T_0=10)`, `T_mult=1`, `eta_min` = 0",
     r"$\eta_{\min} + \tfrac{1}{2}(\eta_0 - \eta_{\min})\left(1 + \cos(\pi T_{cur}/T_i)\right)$, "
     r"$T_i = 10$, $T_{cur} = t - 10 \lfloor t/10 \rfloor$",
     lambda t: warm_restarts(t - 10 * (t // 10), 10)),
    ("CosineAnnealingWarmRestarts", {"T_0": 10, "T_mult": 2},
     "`CosineAnnealingWarmRestarts(T_0=10, T_mult=2)`, `eta_min` = 0",
     r"$\eta_{\min} + \tfrac{1}{2}(\eta_0 - \eta_{\min})\left(1 + \cos(\pi T_{cur}/T_i)\right)$, "
     r"$T_{cur} = t$ and $T_i = 10$ for $t < 10$, $T_{cur} = t - 10$ and $T_i = 20$ for "
     r"$10 \le t < 30$",
     doubling_cycles),
    ("CyclicLR", CYCLIC,
     '`CyclicLR(base_lr=0.01, max_lr=0.1, step_size_up=5)`, `mode="triangular"`',
     r"$\eta_{\text{base}} + (\eta_{\max} - \eta_{\text{base}}) \cdot \max(0, 1 - x)$, "
     r"$\text{cycle} = \lfloor 1 + t/10 \rfloor$, $x = \lvert t/5 - 2 \cdot \text{cycle} + 1 \rvert$",
     lambda t: cyclic(t, halve_each_cycle=False)),
    ("CyclicLR", {**CYCLIC, "mode": "triangular2"},
     '`CyclicLR(base_lr=0.01, max_lr=0.1, step_size_up=5)`, `mode="triangular2"`',
     r"$\eta_{\text{base}} + (\eta_{\max} - \eta_{\text{base}}) \cdot \max(0, 1 - x) / 2^{\text{cycle} - 1}$, "
     r"$\text{cycle} = \lfloor 1 + t/10 \rfloor$, $x = \lvert t/5 - 2 \cdot \text{cycle} + 1 \rvert$",
     lambda t: cyclic(t, halve_each_cycle=True)),
    ("OneCycleLR", ONE_CYCLE, r"`OneCycleLR(max_lr=0.1, total_steps=30)`, $t \le 8$",
     r"$\eta_{\max} + \tfrac{1}{2}(\eta_{\text{start}} - \eta_{\max})\left(1 + \cos(\pi t/8)\right)$",
     one_cycle),
    ("OneCycleLR", ONE_CYCLE, "`OneCycleLR(max_lr=0.1, total_steps=30)`, $t > 8$",
     r"$\eta_{\text{end}} + \tfrac{1}{2}(\eta_{\max} - \eta_{\text{end}})\left(1 + \cos(\pi (t - 8)/21)\right)$",
     one_cycle),
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


def test_the_written_formulas_are_math_and_keep_the_table_intact():
    """Every formula cell is LaTeX between dollars, and no ``|`` inside math splits a table row."""
    for _, _, label, written, _ in ROWS:
        assert written.startswith("$") and written.endswith("$") and written.count("$") % 2 == 0
        assert "|" not in written and "|" not in label


def test_a_wrong_formula_would_be_caught():
    traced = lrcourse.trace_schedule("StepLR", {"step_size": 10, "gamma": 0.5}, epochs=EPOCHS).lr
    off_by_one = [LR * 0.5 ** ((t + 1) // 10) for t in range(EPOCHS)]
    assert off_by_one != pytest.approx(traced, rel=1e-9)


def test_a_restart_formula_that_ignores_t_mult_would_be_caught():
    """The SGDR row's cycle bookkeeping matters: restarting every T_0 steps misses T_mult=2."""
    traced = lrcourse.trace_schedule(
        "CosineAnnealingWarmRestarts", {"T_0": 10, "T_mult": 2}, epochs=EPOCHS
    ).lr
    every_ten = [warm_restarts(t - 10 * (t // 10), 10) for t in range(EPOCHS)]
    assert every_ten != pytest.approx(traced, rel=1e-9)
