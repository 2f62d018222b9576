"""Steps per second: the course's demo trainer vs an idiomatic DataLoader loop, same model and data.

Both train the digits MLP (64-64-10, SGD with momentum, StepLR stepped per epoch) for
the same number of epochs, and evaluate on the validation set after each epoch. The baseline is
the loop most tutorials show: ``DataLoader(TensorDataset(...), shuffle=True)`` and
``running_loss += loss.item()`` every step. Each configuration runs ``REPEATS`` times,
interleaved, and the median is reported, because this machine is shared.

Run: ``.venv/bin/python benchmarks/train_throughput.py [--device cpu|cuda] [--batch-sizes 64 128]
[--hidden 64]``
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from lrcourse import SchedulerSpec, pick_device, start_run
from lrcourse.train.tasks import digits_task

REPEATS = 5
#: Pause before each timed run: the OpenMP threads of a multi-threaded run spin for a while after
#: it ends, and would otherwise be billed to the next run's CPU time.
SETTLE_SECONDS = 0.3


def dataloader_loop(
    device: torch.device, epochs: int, threads: int, batch_size: int, hidden: int
) -> tuple[int, tuple[float, float]]:
    """Train with the idiomatic DataLoader loop; return (steps, (wall s, CPU s))."""
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    task = digits_task(hidden=hidden)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, hidden), nn.ReLU(), nn.Linear(hidden, 10)).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=5, gamma=0.5)
    train_loader = DataLoader(
        TensorDataset(task.train_inputs, task.train_targets),
        batch_size=batch_size,
        shuffle=True,
        generator=torch.Generator().manual_seed(0),
    )
    val_loader = DataLoader(TensorDataset(task.val_inputs, task.val_targets), batch_size=256)
    steps = 0
    start, cpu_start = time.perf_counter(), time.process_time()
    for _epoch in range(epochs):
        model.train()
        running_loss = 0.0
        for inputs, targets in train_loader:
            inputs, targets = inputs.to(device), targets.to(device)
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(inputs), targets)
            loss.backward()
            optimizer.step()
            running_loss += loss.item() * len(targets)
            steps += 1
        scheduler.step()
        model.eval()
        correct, val_loss = 0, 0.0
        with torch.no_grad():
            for inputs, targets in val_loader:
                inputs, targets = inputs.to(device), targets.to(device)
                outputs = model(inputs)
                val_loss += nn.functional.cross_entropy(outputs, targets, reduction="sum").item()
                correct += (outputs.argmax(dim=1) == targets).sum().item()
    if device.type == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start, time.process_time() - cpu_start
    torch.set_num_threads(previous)
    return steps, seconds


def course_trainer(
    device: torch.device, epochs: int, batch_size: int, hidden: int
) -> tuple[int, tuple[float, float]]:
    """Train with lrcourse's trainer (device tensors, slices, no sync inside an epoch)."""
    spec = SchedulerSpec("StepLR", {"step_size": 5, "gamma": 0.5})
    run = start_run(spec, task=digits_task(hidden=hidden), device=device, batch_size=batch_size)
    start, cpu_start = time.perf_counter(), time.process_time()
    run.train(epochs)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return len(run.lrs), (time.perf_counter() - start, time.process_time() - cpu_start)


def measure(
    device: torch.device, epochs: int, batch_size: int, hidden: int
) -> dict[str, list[tuple[float, float]]]:
    """Return (steps per wall second, steps per CPU second) of each loop, REPEATS runs, interleaved."""
    default_threads = torch.get_num_threads()
    configurations = {
        "lrcourse trainer (1 thread, tensor slices)": lambda: course_trainer(
            device, epochs, batch_size, hidden
        ),
        "DataLoader loop, same 1 thread": lambda: dataloader_loop(
            device, epochs, 1, batch_size, hidden
        ),
        f"DataLoader loop, torch default ({default_threads} threads)": lambda: dataloader_loop(
            device, epochs, default_threads, batch_size, hidden
        ),
    }
    for run in configurations.values():  # warm-up: imports, allocator, first-call costs
        run()
    rates: dict[str, list[tuple[float, float]]] = {name: [] for name in configurations}
    for _ in range(REPEATS):
        for name, run in configurations.items():
            time.sleep(SETTLE_SECONDS)
            steps, (wall, cpu) = run()
            rates[name].append((steps / wall, steps / cpu))
    return rates


def main() -> None:
    """Print, for each batch size the chapters use, the median steps/s of each loop."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default=None, help="cpu, cuda, mps (default: pick_device())")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[64, 128])
    parser.add_argument("--hidden", type=int, default=64, help="hidden width (the course uses 64)")
    args = parser.parse_args()
    device = pick_device(args.device)
    print(
        f"digits MLP 64-{args.hidden}-10, SGD(momentum=0.9), {args.epochs} epochs + validation each"
    )
    print(f"device {device}, median of {REPEATS} interleaved runs (min..max shown)")
    print("steps/s: per wall-clock second; steps/CPU-s: per second of this process's CPU time,")
    print("which a busy shared machine disturbs less (it still counts idle-spinning threads)")
    for batch_size in args.batch_sizes:
        rates = measure(device, args.epochs, batch_size, args.hidden)
        wall = {name: statistics.median(r[0] for r in runs) for name, runs in rates.items()}
        cpu = {name: statistics.median(r[1] for r in runs) for name, runs in rates.items()}
        ours = next(iter(rates))
        width = max(len(name) for name in rates)
        print(f"\nbatch size {batch_size}")
        print(
            f"{'loop':<{width}}  {'steps/s':>8}  {'min..max':>11}  {'trainer is':>10}"
            f"  {'steps/CPU-s':>11}  {'trainer is':>10}"
        )
        for name, runs in rates.items():
            spread = f"{min(r[0] for r in runs):.0f}..{max(r[0] for r in runs):.0f}"
            print(
                f"{name:<{width}}  {wall[name]:>8.0f}  {spread:>11}  {wall[ours] / wall[name]:>9.1f}x"
                f"  {cpu[name]:>11.0f}  {cpu[ours] / cpu[name]:>9.1f}x"
            )


if __name__ == "__main__":
    main()
