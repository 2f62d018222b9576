"""Draw learning-rate traces with matplotlib. Drawing only: the numbers come from :mod:`lrcourse.trace`."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from typing import Literal

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from lrcourse.display.figure import course_figure
from lrcourse.errors import LRCourseError
from lrcourse.explorers.noisy_quadratic import NoisyDescent
from lrcourse.explorers.quadratic import DescentRun
from lrcourse.trace import ScheduleTrace

XAxis = Literal["step", "epoch"]
#: Rates whose largest and smallest (all positive) differ by this factor get a log y axis.
DECADES_FOR_LOG = 1000.0


def new_figure(width: float = 6.4, height: float = 3.2) -> tuple[Figure, Axes]:
    """Return a course figure and its single axes."""
    figure = course_figure(width, height)
    return figure, figure.subplots()


def spans_decades(traces: Sequence[ScheduleTrace]) -> bool:
    """Return True when every rate is positive and the largest is 1000x the smallest or more."""
    rates = [rate for trace in traces for group in trace.lrs for rate in group]
    if not rates or min(rates) <= 0 or not all(math.isfinite(rate) for rate in rates):
        return False
    return max(rates) / min(rates) >= DECADES_FOR_LOG


def x_values(trace: ScheduleTrace, x: XAxis) -> Sequence[float]:
    """Return the x coordinates of a trace: optimizer steps, or epochs for ``x="epoch"``."""
    return trace.epochs if x == "epoch" else list(trace.steps)


#: The first curve solid, the others dashed, each in its own pattern (overlaps stay visible).
LINESTYLES = ("-", (0, (6, 3)), (0, (1.5, 2.5)), (0, (8, 3, 2, 3)))


def draw_traces(
    ax: Axes,
    traces: Sequence[ScheduleTrace],
    *,
    x: XAxis = "step",
    groups: Sequence[int] | None = None,
    log: bool | None = False,
    drawstyle: str = "steps-post",
) -> list[Line2D]:
    """Draw each trace's rates on ``ax`` and return the Line2D objects (one per trace and group).

    ``log=None`` chooses: a log y axis when the rates span three decades or more (a range test),
    else a linear one from 0, so a halving looks like a halving.
    """
    lines: list[Line2D] = []
    for trace in traces:
        for group in groups if groups is not None else range(len(trace.lrs)):
            label = trace.label if len(trace.lrs) == 1 else f"{trace.label} · group {group}"
            # Each later curve dashed in its own pattern: schedules that share a stretch
            # (StepLR and MultiStepLR until the last drop) do not hide each other.
            (line,) = ax.plot(
                x_values(trace, x),
                trace.lrs[group],
                label=label,
                drawstyle=drawstyle,
                linestyle=LINESTYLES[len(lines) % len(LINESTYLES)],
            )
            lines.append(line)
    ax.set_xlabel("epoch" if x == "epoch" else "optimizer step")
    ax.set_ylabel("learning rate")
    if log is None:
        log = spans_decades(traces)
    if log:
        ax.set_yscale("log")
    elif all(min(group) >= 0 for trace in traces for group in trace.lrs if len(group)):
        ax.set_ylim(bottom=0)
    ax.grid(True, alpha=0.3)
    if len(lines) > 1:
        ax.legend(fontsize="small")
    return lines


def plot_traces(
    traces: ScheduleTrace | Sequence[ScheduleTrace],
    *,
    x: XAxis = "step",
    log: bool | None = None,
    title: str | None = None,
    momentum: bool = False,
) -> Figure:
    """Return a figure of one or several traces; with ``momentum=True`` a second panel shows momentum.

    The y axis is logarithmic when the rates span three decades or more (``log=None``, the
    default), else linear from 0; pass ``log=True`` or ``False`` to choose.
    """
    traces = [traces] if isinstance(traces, ScheduleTrace) else list(traces)
    figure: Figure
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
    share_y: bool = True,
) -> Figure:
    """Return a small-multiples figure: one panel per trace, titled with the trace's label.

    Panels share one y scale by default, so ConstantLR's x2 and StepLR's x4 look as different
    as they are (``share_y=False`` gives each panel its own range, and the figure says so). Each
    title holds the scheduler's name over its parameters. The figure is as wide as the book's
    text column (7.5 in), so its 9-pt tick labels are shown at their size, not scaled down.
    """
    traces = list(traces)
    if not traces:
        raise LRCourseError("plot_trace_grid(traces) needs at least one trace; got an empty list")
    columns = max(1, min(columns, len(traces)))
    rows = -(-len(traces) // columns)
    width = min(7.5, 2.3 * columns)
    figure = course_figure(width, (width / columns) * 1.05 * rows + 0.6)
    axes = figure.subplots(rows, columns, squeeze=False, sharex=True, sharey=share_y)
    for index, ax in enumerate(axes.flat):
        if index >= len(traces):
            ax.set_visible(False)
            continue
        trace = traces[index]
        draw_traces(ax, [trace], x=x, log=log)
        ax.set_title(panel_title(trace.label, width / columns), fontsize=8)
        ax.tick_params(labelsize=8)
        ax.set_xlabel("")
        ax.set_ylabel("")
    for ax in axes.flat[len(traces) - columns : len(traces)]:
        ax.xaxis.set_tick_params(labelbottom=True)  # the last row's hidden neighbours left a gap
    if title:
        figure.suptitle(title + ("" if share_y else " (each panel on its own y scale)"))
    figure.supxlabel("epoch" if x == "epoch" else "optimizer step", fontsize=9)
    figure.supylabel("learning rate" + (" (shared scale)" if share_y else ""), fontsize=9)
    return figure


def panel_title(label: str, panel_inches: float) -> str:
    """Return a trace label as a panel title: the scheduler's name (cut between its words if it is
    too long for the panel), then its parameters wrapped below."""
    width = max(12, int(panel_inches * 14))  # about 14 characters of 8-pt text per inch
    name, _, params = label.partition("(")
    lines = [name]
    if len(name) > width:
        cuts = [i for i, char in enumerate(name) if char.isupper() and 0 < i <= width]
        if cuts:
            lines = [name[: cuts[-1]], name[cuts[-1] :]]
    params = params.rstrip(")")
    if params:
        lines += textwrap.wrap(params, width)[:3]
    return "\n".join(lines)
