"""Seconds per chapter-sized training demo on this machine, against the 10 s budget per demo.

"Warm" times a demo in a process that has already imported lrcourse (as a notebook kernel has by
its second cell), median of ``REPEATS``, including the figure rendered to PNG. "Cold" runs the
biggest demo in a fresh Python process, imports included (torch's first optimizer imports
torch._dynamo, which alone takes seconds on a busy machine).

Run: ``.venv/bin/python benchmarks/demo_times.py``
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from lrcourse import (
    SchedulerSpec,
    compare_schedules,
    lr_range_test,
    resume_run,
    save_checkpoint,
    start_run,
)

BUDGET_SECONDS = 10.0
REPEATS = 3

WARMUP_COSINE = SchedulerSpec(
    "SequentialLR",
    {
        "schedulers": [
            ("LinearLR", {"start_factor": 0.1, "total_iters": 2}),
            ("CosineAnnealingLR", {"T_max": 10}),
        ],
        "milestones": [2],
    },
)
FIVE_SCHEDULES = {
    "constant": SchedulerSpec("ConstantLR", {"factor": 1.0, "total_iters": 0}),
    "StepLR": SchedulerSpec("StepLR", {"step_size": 4, "gamma": 0.3}),
    "OneCycleLR": SchedulerSpec("OneCycleLR", {"max_lr": 0.5}),
    "ReduceLROnPlateau": SchedulerSpec("ReduceLROnPlateau", {"factor": 0.3, "patience": 1}),
    "warm-up + cosine": WARMUP_COSINE,
}


def five_schedules_12_epochs() -> None:
    """The biggest comparison a chapter is expected to show, with its figure."""
    result = compare_schedules(FIVE_SCHEDULES, epochs=12, seed=0, live=False)
    result.table_text()
    result.figure()._repr_png_()


def two_schedules_per_batch() -> None:
    """Chapters 5-6 style: two schedules stepped per batch for 8 epochs, with the figure."""
    schedules = {
        "warm-up + cosine": WARMUP_COSINE,
        "cosine": SchedulerSpec("CosineAnnealingLR", {"T_max": 184}),
    }
    result = compare_schedules(schedules, epochs=8, lr=1.0, step_per="batch", seed=0, live=False)
    result.figure()._repr_png_()


def regression_rates() -> None:
    """Chapter 1 style: three rates on the ill-conditioned regression, 10 epochs."""
    schedules = {
        f"lr x{factor}": SchedulerSpec("ConstantLR", {"factor": factor, "total_iters": 1000})
        for factor in (0.01, 0.1, 1.0)
    }
    compare_schedules(schedules, task="regression", epochs=10, live=False).figure()._repr_png_()


def range_test_200_steps() -> None:
    """Chapter 7: a 200-step range test up to lr=10, with its figure."""
    lr_range_test(steps=200, end_lr=10.0).figure()._repr_png_()


def checkpoint_and_resume() -> None:
    """Train 4 epochs, save, resume in fresh objects, train 4 more (OneCycleLR per batch)."""
    spec = SchedulerSpec("OneCycleLR", {"max_lr": 0.5})
    with tempfile.TemporaryDirectory() as folder:
        path = save_checkpoint(start_run(spec, epochs=8).train(4), Path(folder) / "run.pt")
        resume_run(path, spec).train(4)


DEMOS: dict[str, Callable[[], None]] = {
    "5 schedules x 12 epochs, digits (+figure)": five_schedules_12_epochs,
    "2 schedules x 8 epochs per batch (+figure)": two_schedules_per_batch,
    "3 rates x 10 epochs, regression (+figure)": regression_rates,
    "lr_range_test 200 steps (+figure)": range_test_200_steps,
    "checkpoint at epoch 4, resume, 4 more": checkpoint_and_resume,
}


COLD_CODE = """
import time
start = time.perf_counter()
import torch
torch_done = time.perf_counter()
import lrcourse
imported = time.perf_counter()
torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)  # torch imports torch._dynamo here
first_optimizer = time.perf_counter()
import sys
sys.path.insert(0, "benchmarks")
import demo_times
demo_times.five_schedules_12_epochs()
done = time.perf_counter()
print(torch_done - start, imported - torch_done, first_optimizer - imported, done - first_optimizer)
"""


def cold_seconds() -> tuple[float, list[float]]:
    """Return a fresh process's wall time for the biggest demo, and its parts (see COLD_CODE)."""
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", COLD_CODE], check=True, capture_output=True, text=True
    ).stdout
    return time.perf_counter() - start, [float(part) for part in out.split()]


def main() -> None:
    """Time each demo and print a table against the budget."""
    five_schedules_12_epochs()  # warm-up: first-call imports and allocations
    width = max(len(name) for name in DEMOS)
    print(f"{'demo (warm, median of ' + str(REPEATS) + ')':<{width}}  {'seconds':>8}  budget")
    for name, demo in DEMOS.items():
        times = []
        for _ in range(REPEATS):
            start = time.perf_counter()
            demo()
            times.append(time.perf_counter() - start)
        seconds = statistics.median(times)
        verdict = "ok" if seconds <= BUDGET_SECONDS else "OVER"
        print(f"{name:<{width}}  {seconds:>8.2f}  {verdict} (<= {BUDGET_SECONDS:g} s)")
    cold, (torch_s, lrcourse_s, dynamo_s, demo_s) = cold_seconds()
    verdict = "ok" if cold <= BUDGET_SECONDS else "OVER"
    label = "cold process: import + 5 x 12 demo"
    print(f"{label:<{width}}  {cold:>8.2f}  {verdict} (<= {BUDGET_SECONDS:g} s)")
    print(
        f"  of which: import torch {torch_s:.2f} s, import lrcourse {lrcourse_s:.2f} s, "
        f"first optimizer (torch._dynamo import) {dynamo_s:.2f} s, the demo {demo_s:.2f} s"
    )


if __name__ == "__main__":
    main()
