"""Draw learning-rate traces with matplotlib. Drawing only: the numbers come from :mod:`lrcourse.trace`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from lrcourse.display.figure import course_figure
from lrcourse.errors import LRCourseError
from lrcourse.explorers.noisy_quadratic import NoisyDescent
from lrcourse.explorers.quadratic import DescentRun
from lrcourse.trace import ScheduleTrace

XAxis = Literal["step", "epoch"]


def new_figure(width: float = 6.4, height: float = 3.2) -> tuple[Figure, Axes]:
    """Return a course figure and its single axes."""
    figure = course_figure(width, height)
    return figure, figure.subplots()


def x_values(trace: ScheduleTrace, x: XAxis) -> Sequence[float]:
    """Return the x coordinates of a trace: optimizer steps, or epochs for ``x="epoch"``."""
    return trace.epochs if x == "epoch" else list(trace.steps)


def draw_traces(
    ax: Axes,
    traces: Sequence[ScheduleTrace],
    *,
    x: XAxis = "step",
    groups: Sequence[int] | None = None,
    log: bool = False,
    drawstyle: str = "steps-post",
) -> list:
    """Draw each trace's rates on ``ax`` and return the Line2D objects (one per trace and group)."""
    lines = []
    for trace in traces:
        for group in groups if groups is not None else range(len(trace.lrs)):
            label = trace.label if len(trace.lrs) == 1 else f"{trace.label} · group {group}"
            (line,) = ax.plot(
                x_values(trace, x), trace.lrs[group], label=label, drawstyle=drawstyle
            )
            lines.append(line)
    ax.set_xlabel("epoch" if x == "epoch" else "optimizer step")
    ax.set_ylabel("learning rate")
    if log:
        ax.set_yscale("log")
    ax.grid(True, alpha=0.3)
    if len(lines) > 1:
        ax.legend(fontsize="small")
    return lines


def plot_traces(
    traces: ScheduleTrace | Sequence[ScheduleTrace],
    *,
    x: XAxis = "step",
    log: bool = False,
    title: str | None = None,
    momentum: bool = False,
) -> Figure:
    """Return a figure of one or several traces; with ``momentum=True`` a second panel shows momentum."""
    traces = [traces] if isinstance(traces, ScheduleTrace) else list(traces)
    if momentum:
        figure = course_figure(6.4, 4.8)
        lr_ax, momentum_ax = figure.subplots(2, 1, sharex=True)
    else:
        figure, lr_ax = new_figure()
    draw_traces(lr_ax, traces, x=x, log=log)
    if title:
        lr_ax.set_title(title)
    if momentum:
        draw_momentum(momentum_ax, traces, x=x)
    return figure


def draw_momentum(ax: Axes, traces: Sequence[ScheduleTrace], *, x: XAxis = "step") -> list:
    """Draw the momentum (or Adam's beta1) of each trace's first group and return the lines."""
    lines = []
    for trace in traces:
        if trace.momentums is None:
            continue
        (line,) = ax.plot(
            x_values(trace, x), trace.momentums[0], label=trace.label, drawstyle="steps-post"
        )
        lines.append(line)
    ax.set_xlabel("epoch" if x == "epoch" else "optimizer step")
    ax.set_ylabel("momentum / beta1")
    ax.grid(True, alpha=0.3)
    return lines


def draw_descent(loss_ax: Axes, path_ax: Axes | None, runs: Sequence[DescentRun]) -> None:
    """Draw each run's loss per step (log scale) on ``loss_ax`` and its path in weight space on ``path_ax``."""
    for run in runs:
        loss_ax.plot(range(len(run.losses)), run.losses, marker=".", label=f"lr={run.lr:g}")
        if path_ax is not None:
            xs = [w[0] for w in run.weights]
            ys = [w[1] for w in run.weights]
            path_ax.plot(xs, ys, marker=".", label=f"lr={run.lr:g}")
    loss_ax.set_yscale("log")
    loss_ax.set_xlabel("step")
    loss_ax.set_ylabel("loss")
    loss_ax.grid(True, alpha=0.3)
    loss_ax.legend(fontsize="small")
    if path_ax is not None:
        path_ax.plot([0], [0], marker="*", color="black", markersize=10)
        path_ax.set_xlabel("w[0]")
        path_ax.set_ylabel("w[1]")
        path_ax.set_title("path (★ = minimum)")
        path_ax.grid(True, alpha=0.3)


def plot_descent(runs: DescentRun | Sequence[DescentRun], *, path: bool = True) -> Figure:
    """Return a figure of SGD runs on the quadratic bowl: loss per step, and (optionally) the path."""
    runs = [runs] if isinstance(runs, DescentRun) else list(runs)
    figure = course_figure(9.0 if path else 6.4, 3.4)
    if path:
        loss_ax, path_ax = figure.subplots(1, 2)
    else:
        loss_ax, path_ax = figure.subplots(), None
    draw_descent(loss_ax, path_ax, runs)
    return figure


def plot_noisy_descent(runs: NoisyDescent | Sequence[NoisyDescent]) -> Figure:
    """Return a figure of noisy SGD over seeds: the loss (mean, quartile band) and the rate per step.

    The band spans the middle half of the seeds (25th to 75th percentile) rather than mean ± sd:
    the loss is skewed (never below 0), and on the log axis a mean - sd below 0 could not be drawn.
    """
    runs = [runs] if isinstance(runs, NoisyDescent) else list(runs)
    if not runs:
        raise LRCourseError("plot_noisy_descent(runs) needs at least one run; got an empty list")
    figure = course_figure(10.0, 3.6)
    loss_ax, rate_ax = figure.subplots(1, 2, width_ratios=(3, 2))
    for run in runs:
        steps = range(run.steps + 1)
        (line,) = loss_ax.plot(steps, run.mean().tolist(), label=run.label, linewidth=1.2)
        loss_ax.fill_between(
            steps,
            run.quantile(0.25).tolist(),
            run.quantile(0.75).tolist(),
            color=line.get_color(),
            alpha=0.15,
            linewidth=0,
        )
        rate_ax.plot(range(run.steps), run.lrs, color=line.get_color(), label=run.label)
    loss_ax.set_yscale("log")
    loss_ax.set_xlabel("optimizer step")
    loss_ax.set_ylabel("loss")
    loss_ax.set_title(
        f"mean over {runs[0].seeds} seeds; band: middle half of the seeds", fontsize="small"
    )
    loss_ax.grid(True, alpha=0.3)
    loss_ax.legend(fontsize="small")
    rate_ax.set_xlabel("optimizer step")
    rate_ax.set_ylabel("lr")
    rate_ax.set_title("the rate optimizer.step() used", fontsize="small")
    rate_ax.grid(True, alpha=0.3)
    return figure


def plot_trace_grid(
    traces: Sequence[ScheduleTrace],
    *,
    columns: int = 5,
    x: XAxis = "step",
    log: bool = False,
    title: str | None = None,
) -> Figure:
    """Return a small-multiples figure: one panel per trace, titled with the trace's label.

    Each panel keeps its own y range (shapes, not magnitudes, are what a grid compares); the
    label is cut at the first ``(`` so that ``StepLR(step_size=2)`` titles its panel ``StepLR``.
    """
    traces = list(traces)
    if not traces:
        raise LRCourseError("plot_trace_grid(traces) needs at least one trace; got an empty list")
    columns = max(1, min(columns, len(traces)))
    rows = -(-len(traces) // columns)
    figure = course_figure(2.3 * columns, 1.9 * rows)
    axes = figure.subplots(rows, columns, squeeze=False)
    for index, ax in enumerate(axes.flat):
        if index >= len(traces):
            ax.set_visible(False)
            continue
        trace = traces[index]
        draw_traces(ax, [trace], x=x, log=log)
        ax.set_title(trace.label.split("(")[0], fontsize="small")
        ax.tick_params(labelsize="x-small")
        ax.set_xlabel("")
        ax.set_ylabel("")
    if title:
        figure.suptitle(title)
    figure.supxlabel("epoch" if x == "epoch" else "optimizer step", fontsize="small")
    figure.supylabel("learning rate", fontsize="small")
    return figure
