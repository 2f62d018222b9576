"""Benchmark: slider move -> redrawn explorer figure, against a bare matplotlib set_ydata + draw.

A "move" sets a control's value the way ipywidgets does when the learner drags it; the explorer
then runs the torch scheduler, updates its lines in place, draws and encodes the PNG the widget
shows. The baseline, measured in the same run on a figure of the same size, is the least any
matplotlib-based widget must pay: ``line.set_ydata(...)`` and ``canvas.draw()``.

Run: ``.venv/bin/python benchmarks/explorer_redraw.py [--moves 200]``. Targets: p50 <= 25 ms and
p50 ratio (explorer / baseline) <= 1.3.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("MPLBACKEND", "Agg")

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from lrcourse import explore


def percentile(samples: list[float], q: float) -> float:
    """Return the q-th percentile (0-100) of ``samples`` by nearest rank."""
    ordered = sorted(samples)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1))))
    return ordered[rank]


def time_explorer(scheduler: str, control: str, moves: int) -> list[float]:
    """Return the seconds each of ``moves`` slider moves took, from value set to new PNG."""
    view = explore(scheduler)
    explorer = view.explorer
    widget = explorer.controls[control]
    values = explorer.model.control(control).values()
    samples = []
    for move in range(moves + 5):
        value = values[move % len(values)]
        if value == widget.value:
            value = values[(move + 1) % len(values)]
        before = explorer.panel.image.value
        start = time.perf_counter()
        widget.value = value
        elapsed = time.perf_counter() - start
        assert explorer.panel.image.value is not before, "the figure was not redrawn"
        assert explorer.panel.message.value == "", explorer.panel.message.value
        if move >= 5:  # the first moves warm caches (fonts, tick text)
            samples.append(elapsed)
    return samples


def time_baseline(curve: tuple[float, ...], moves: int, size: tuple[float, float]) -> list[float]:
    """Return the seconds of ``set_ydata`` + ``canvas.draw()`` on a bare figure of the same size."""
    curves = [curve]
    figure = Figure(figsize=size)
    canvas = FigureCanvasAgg(figure)
    ax = figure.subplots()
    (line,) = ax.plot(range(len(curves[0])), curves[0], drawstyle="steps-post")
    scaled = [[v * (1 + 0.01 * k) for v in curves[0]] for k in range(7)]
    samples = []
    for move in range(moves + 5):
        start = time.perf_counter()
        line.set_ydata(scaled[move % len(scaled)])
        canvas.draw()
        elapsed = time.perf_counter() - start
        if move >= 5:
            samples.append(elapsed)
    return samples


def main() -> None:
    """Measure each case and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=200)
    args = parser.parse_args()
    cases = [("StepLR", "gamma"), ("CosineAnnealingLR", "T_max"), ("OneCycleLR", "pct_start")]
    rows = []
    for scheduler, control in cases:
        view = explore(scheduler)
        size = tuple(view.explorer.panel.figure.get_size_inches())
        # interleave so both see the same machine load
        explorer_samples, baseline_samples = [], []
        for _ in range(2):
            explorer_samples += time_explorer(scheduler, control, args.moves // 2)
            curve = view.explorer.panel.frame.series[0].y
            baseline_samples += time_baseline(curve, args.moves // 2, size)
        rows.append((f"{scheduler}.{control}", "explorer move", explorer_samples))
        rows.append((f"{scheduler}.{control}", "baseline set_ydata+draw", baseline_samples))
    print(f"{'case':28} {'what':26} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'ratio p50':>10}")
    for index in range(0, len(rows), 2):
        (case, what, ours), (_, base_what, base) = rows[index], rows[index + 1]
        ratio = statistics.median(ours) / statistics.median(base)
        for label, samples, shown_ratio in (
            (what, ours, f"{ratio:.2f}"),
            (base_what, base, "1.00"),
        ):
            print(
                f"{case:28} {label:26} {len(samples):4d} {1000 * percentile(samples, 50):8.2f} "
                f"{1000 * percentile(samples, 95):8.2f} {shown_ratio:>10}"
            )
    print("targets: explorer p50 <= 25 ms, ratio <= 1.3")


if __name__ == "__main__":
    main()
