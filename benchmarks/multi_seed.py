"""Wall time of training 1 seed vs 8 seeds with the course's multi-seed engine, beside its baseline.

Every demo trains 8 seeds per schedule as one batched model (``lrcourse.train.seeds``). This
measures what that costs: ``compare_schedules`` with one schedule (``CosineAnnealingLR``) on the
chapters' model (the digits MLP, 64-64-10, SGD with momentum) and batch size (64), for 26 epochs
(598 optimizer steps), with 1 seed and with 8 seeds. The baseline beside it is the plain
single-model loop (``start_run``: one ``nn.Module``, one optimizer) for the same steps: what
8 seeds would cost run one after another is 8 times that. Each configuration runs ``REPEATS``
times, interleaved, on one thread, and the median is reported. Times are CPU seconds of this
process (``time.process_time``): on a shared machine wall time mostly measures the neighbours.

The engine computes in float64 so that the demos' printed digits hold on any CPU (see
``lrcourse.train.seeds``); the same measurement in float32 is printed beside it, to show what
that choice costs.

Target (issue 12): 8 seeds <= 1.5x the wall time of 1 seed.

Run: ``.venv/bin/python benchmarks/multi_seed.py [--device cpu|cuda] [--repeats 5]``
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from lrcourse import SchedulerSpec, compare_schedules, pick_device, start_run
from lrcourse.train import seeds as seed_engine

EPOCHS = 26  # x 23 steps per epoch at batch 64 = 598 steps
SCHEDULE = SchedulerSpec("CosineAnnealingLR", {"T_max": EPOCHS})


def engine(seeds: int, device: torch.device) -> float:
    """Return the CPU time of compare_schedules on ``seeds`` seeds (validation every epoch)."""
    start = time.process_time()
    compare_schedules({"cosine": SCHEDULE}, epochs=EPOCHS, seeds=seeds, device=device, live=False)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.process_time() - start


def plain(device: torch.device) -> float:
    """Return the CPU time of one plain single-model run (the baseline) for the same steps."""
    start = time.process_time()
    start_run(SCHEDULE, device=device, epochs=EPOCHS).train(EPOCHS)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    device = pick_device(args.device)
    torch.set_num_threads(1)
    engine(1, device)  # warm-up: first-call allocations, kernel loads
    configurations = [(dtype, seeds) for dtype in ("float64", "float32") for seeds in (1, 8)]
    plain_name = "plain 1 seed (float32)"
    times: dict[str, list[float]] = {plain_name: []}
    for _ in range(args.repeats):
        times[plain_name].append(plain(device))
        for dtype, seeds in configurations:
            seed_engine.COMPUTE_DTYPE = getattr(torch, dtype)
            times.setdefault(f"engine {seeds} seeds ({dtype})", []).append(engine(seeds, device))
        seed_engine.COMPUTE_DTYPE = torch.float64
    median = {name: statistics.median(values) for name, values in times.items()}
    print(
        f"digits MLP 64-64-10, batch 64, {EPOCHS * 23} steps, {device}, torch {torch.__version__}"
    )
    print(f"median CPU seconds of {args.repeats} interleaved repeats, one thread")
    for name, value in median.items():
        print(f"  {name:<26} {value:6.2f} s")
    sequential = 8 * median[plain_name]
    for dtype in ("float64", "float32"):
        one, eight = median[f"engine 1 seeds ({dtype})"], median[f"engine 8 seeds ({dtype})"]
        print(
            f"{dtype}: 8 seeds / 1 seed = {eight / one:.2f}x (target <= 1.5x); 8 plain runs one "
            f"after another take {sequential:.2f} s: batched is {sequential / eight:.1f}x faster"
        )


if __name__ == "__main__":
    main()
