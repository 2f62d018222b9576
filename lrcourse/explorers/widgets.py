"""Interactive explorers: ipywidgets controls that redraw a matplotlib figure from real torch runs.

Each public function returns a :class:`~lrcourse.display.dual_view.DualView`: live sliders in JupyterLab,
and in the static book a twin whose curves were computed by torch when the notebook ran
(:mod:`lrcourse.explorers.twin`). The controls of each scheduler come from the table in
:mod:`lrcourse.explorers.controls`; the numbers from :mod:`lrcourse.explorers.builders` (torch); this module only
builds widgets and draws.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from functools import cached_property
from typing import Any

import ipywidgets as widgets
from matplotlib.backends.backend_agg import FigureCanvasAgg

from lrcourse.display.dual_view import DualView
from lrcourse.display.figure import course_figure
from lrcourse.display.png import encode_png
from lrcourse.errors import LRCourseError
from lrcourse.explorers.builders import (
    compare_model,
    compose_model,
    descent_model,
    plateau_model,
    scheduler_model,
)
from lrcourse.explorers.controls import Control, Settings
from lrcourse.explorers.formulas import formula_html
from lrcourse.explorers.model import ExplorerModel, Frame, table_rows
from lrcourse.explorers.twin import twin_html

COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b")


class FigurePanel:
    """A model's figure in an ``ipywidgets.Image``: lines updated in place, re-rendered to PNG.

    A slider move calls ``set_data`` on the existing lines. While the axes limits stay put
    (limits are rounded to "nice" values, so most moves keep them), the cached background
    (axes, ticks, labels, legend) is restored and only the lines are drawn: blitting, as
    matplotlib's animation code does. An :class:`LRCourseError` raised while computing a frame
    is shown as a message; the last good figure stays.
    """

    def __init__(self, model: ExplorerModel) -> None:
        self.model = model
        count = len(model.panels)
        if model.side_by_side:
            self.figure = course_figure(4.6 * count, 3.4)
            axes = self.figure.subplots(1, count)
        else:
            self.figure = course_figure(7.0, 2.2 + 1.5 * count)
            axes = self.figure.subplots(count, 1, sharex=count > 1)
        self.axes = list(axes) if count > 1 else [axes]
        for ax, panel in zip(self.axes, model.panels, strict=True):
            ax.set_ylabel(panel.ylabel)
            ax.set_xlabel(panel.xlabel)
            if panel.title:
                ax.set_title(panel.title)
            if panel.log:
                ax.set_yscale("log")
            ax.grid(True, alpha=0.3)
        self.canvas = FigureCanvasAgg(self.figure)
        self.lines: dict[tuple[int, str], Any] = {}
        self.legend_keys: tuple[tuple[int, str], ...] = ()
        self.background: Any = None
        self.layout_frozen = False
        self.image = widgets.Image(format="png")
        self.message = widgets.HTML()
        self.frame: Frame | None = None
        self.full_draws = 0

    def show(self, settings: Settings) -> bool:
        """Compute the frame for ``settings`` and show it; return False (message shown) on a learner error."""
        try:
            frame = self.model.compute(settings)
        except LRCourseError as error:
            self.message.value = (
                f"<b style='color:#b00020'>⚠ {html.escape(str(error))}</b><br>"
                "<small>The figure shows the last valid setting; change a control to continue.</small>"
            )
            return False
        if self.message.value:
            self.message.value = ""
        self.frame = frame
        self.draw(frame)
        self.image.value = encode_png(self.canvas.buffer_rgba())
        return True

    def draw(self, frame: Frame) -> None:
        """Put the frame's series on the axes: update lines in place, then blit or fully redraw."""
        seen = set()
        for index, series in enumerate(frame.series):
            key = (series.panel, series.label)
            seen.add(key)
            line = self.lines.get(key)
            if line is None:
                line = self._new_line(series, index)
                self.lines[key] = line
                self.background = None
            line.set_data(series.xs(), series.y)
            line.set_visible(True)
        for key, line in self.lines.items():
            if key not in seen:
                line.set_visible(False)
        keys = tuple(sorted(seen))
        if keys != self.legend_keys:
            self.legend_keys = keys
            self._update_legends()
            self.background = None
        if self._fit_limits():
            self.background = None
        if self.background is None:
            self.canvas.draw()  # lines are animated: this draws everything but them
            self.background = self.canvas.copy_from_bbox(self.figure.bbox)
            self.full_draws += 1
            if not self.layout_frozen:
                # Constrained layout is the slow part of a draw; freeze it after the first one.
                self.figure.set_layout_engine("none")
                self.layout_frozen = True
                self.canvas.draw()
                self.background = self.canvas.copy_from_bbox(self.figure.bbox)
        else:
            self.canvas.restore_region(self.background)
        for line in self.lines.values():
            if line.get_visible():
                line.axes.draw_artist(line)

    def _update_legends(self) -> None:
        for panel, ax in enumerate(self.axes):
            visible = [
                line for (p, _), line in self.lines.items() if p == panel and line.get_visible()
            ]
            if len(visible) > 1:
                ax.legend(handles=visible, fontsize="small", loc="upper right")
            elif ax.get_legend() is not None:
                ax.get_legend().remove()

    def _fit_limits(self) -> bool:
        """Set each axes' limits to nice values around its visible data; return True if any moved."""
        moved = False
        for panel, (ax, spec) in enumerate(zip(self.axes, self.model.panels, strict=True)):
            xs: list[float] = []
            ys: list[float] = []
            for (p, _), line in self.lines.items():
                if p == panel and line.get_visible():
                    xs.extend(line.get_xdata())
                    ys.extend(line.get_ydata())
            ys = [y for y in ys if math.isfinite(y) and (not spec.log or y > 0)]
            if not xs or not ys:
                continue
            xlim = nice_limits(min(xs), max(xs), tight=not self.model.side_by_side)
            ylim = nice_log_limits(min(ys), max(ys)) if spec.log else nice_limits(min(ys), max(ys))
            if tuple(ax.get_xlim()) != xlim:
                ax.set_xlim(xlim)
                moved = True
            if tuple(ax.get_ylim()) != ylim:
                ax.set_ylim(ylim)
                moved = True
        return moved

    def _new_line(self, series: Any, index: int) -> Any:
        ax = self.axes[series.panel]
        color = COLORS[index % len(COLORS)]
        options: dict[str, Any] = {"label": series.label, "color": color, "animated": True}
        if series.style == "steps":
            options["drawstyle"] = "steps-post"
        elif series.style == "points":
            options.update(marker="o", linestyle="none", markersize=3)
        elif series.style == "xy":
            options.update(marker=".")
        elif series.label.endswith("alone") or series.label == "patience":
            options.update(linestyle="--", linewidth=1, alpha=0.7)
        else:
            options.update(marker=".", markersize=4)
        (line,) = ax.plot([], [], **options)
        return line


def nice_limits(low: float, high: float, *, tight: bool = False) -> tuple[float, float]:
    """Return axis limits around ``[low, high]`` rounded out to a 1-2-2.5-5 step (0 kept as floor).

    ``tight`` keeps the data ends exactly (used for the x axis of a schedule: step 0 to the end).
    """
    if tight and high > low:
        return (float(low), float(high))
    if low >= 0 and low <= 0.5 * high:
        low = 0.0
    span = high - low or abs(high) or 1.0
    raw = span / 5
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    # a little headroom, so a curve lying on its maximum is not hidden by the frame
    bottom = math.floor((low - 0.03 * span) / step) * step if low != 0 else 0.0
    top = math.ceil((high + 0.03 * span) / step) * step
    if top == bottom:
        top = bottom + step
    return (float(f"{bottom:.12g}"), float(f"{top:.12g}"))


def nice_log_limits(low: float, high: float) -> tuple[float, float]:
    """Return log-axis limits: the powers of ten around ``[low, high]``."""
    bottom = 10.0 ** math.floor(math.log10(low))
    top = 10.0 ** math.ceil(math.log10(high))
    if top == bottom:
        top *= 10
    return (bottom, top)


def control_widget(control: Control) -> widgets.Widget:
    """Return the ipywidget for one control: a slider, a dropdown or a checkbox."""
    common: dict[str, Any] = {
        "description": control.name,
        "style": {"description_width": "initial"},
        "layout": widgets.Layout(width="320px"),
    }
    if control.description:
        common["tooltip"] = control.description
    if control.kind == "int":
        return widgets.IntSlider(
            value=control.default,
            min=int(control.low),
            max=int(control.high),
            step=int(control.step),
            **common,
        )
    if control.kind == "float":
        return widgets.FloatSlider(
            value=control.default,
            min=control.low,
            max=control.high,
            step=control.step,
            readout_format=".3g",
            **common,
        )
    if control.kind == "log":
        return widgets.FloatLogSlider(
            value=control.default,
            base=10,
            min=control.low,
            max=control.high,
            step=control.step,
            readout_format=".3g",
            **common,
        )
    if control.kind == "bool":
        return widgets.Checkbox(value=bool(control.default), indent=False, **common)
    options = list(control.options)
    index = control.index_of(control.default)
    return widgets.Dropdown(options=options, index=index, **common)


def column_name(label: str, ylabel: str = "") -> str:
    """Return a values-table column's name: ``rate (lr)`` for the rate; a curve named after a
    setting on another quantity's panel says which quantity it holds (``loss (lr=0.05)``, not
    ``lr=0.05``). ``explorer.js`` names the book's columns by the same rule."""
    if label == "lr":
        return "rate (lr)"
    if ylabel and ylabel != "learning rate" and ylabel not in label:
        return f"{ylabel} ({label})"
    return label


def epoch_text(x: float, steps_per_epoch: int) -> str:
    """Return an epoch position as a learner counts it: ``2`` at an epoch's start, ``2 + 3/4``
    three batches into epoch 2 of 4 batches each (not ``2.75``). ``explorer.js`` does the same."""
    whole = math.floor(x + 1e-9)
    batch = round((x - whole) * steps_per_epoch)
    if steps_per_epoch <= 1 or batch == 0:
        return f"{whole:g}" if abs(x - whole) < 1e-9 else f"{x:.4g}"
    return f"{whole} + {batch}/{steps_per_epoch}"


def _steps_per_epoch(xs: Sequence[float]) -> int:
    """Return how many points one epoch holds in an evenly spaced x (1 when it is per epoch)."""
    if len(xs) < 2 or xs[1] <= xs[0]:
        return 1
    return max(1, round(1 / (xs[1] - xs[0])))


def values_table(
    frame: Frame | None,
    label: str = "lr",
    xlabel: str = "epoch",
    ylabels: Sequence[str] = (),
) -> str:
    """Return an HTML table of the frame's values at evenly spaced steps, with named columns.

    Columns: the optimizer step (for a rate trace; ``#`` otherwise), the x value under the
    panel's axis name (``xlabel``), then each series (``rate (lr)`` for the learning rate). Values
    read rounded to 4 significant digits; each cell's tooltip holds torch's exact float.
    """
    if frame is None:
        return ""
    rows = table_rows(frame)
    shown = [frame.series[i] for i in frame.table if i < len(frame.series)]
    names = [
        column_name(s.label, ylabels[s.panel] if s.panel < len(ylabels) else "") for s in shown
    ] or [column_name(label)]
    index_name = "optimizer step" if xlabel == "epoch" else "#"
    head = "".join(f"<th>{html.escape(name)}</th>" for name in [index_name, xlabel, *names])
    first = shown[0] if shown else None
    per_epoch = _steps_per_epoch(first.xs()) if first is not None and xlabel == "epoch" else 1

    def x_text(x: float) -> str:
        return epoch_text(x, per_epoch) if xlabel == "epoch" else f"{x:.4g}"

    body = "".join(
        f"<tr><td>{i}</td><td>{x_text(x)}</td>"
        + "".join(f"<td title='{v!r}'>{v:.4g}</td>" for v in values)
        + "</tr>"
        for i, x, values in rows
    )
    return (
        "<details><summary>values (rounded; hover for the exact float)</summary>"
        f"<table class='lrc-values'><tr>{head}</tr>{body}</table></details>"
    )


class Explorer:
    """The live face of an explorer: one widget per control, a caption, a figure and a values table."""

    def __init__(self, model: ExplorerModel) -> None:
        self.model = model
        self.controls = {control.name: control_widget(control) for control in model.controls}
        self.caption = widgets.HTML()
        self.table = widgets.HTML()
        self.panel = FigurePanel(model)
        for widget in self.controls.values():
            widget.observe(lambda _change: self.redraw(), names="value")
        boxes = widgets.Box(
            list(self.controls.values()),
            layout=widgets.Layout(flex_flow="row wrap", grid_gap="2px 12px"),
        )
        parts = [boxes, self.caption, self.panel.message, self.panel.image, self.table]
        if model.formula is not None:  # the rule as torch's docs write it, above its controls
            parts.insert(0, widgets.HTML(formula_html(model.formula)))
        self.widget = widgets.VBox(parts)
        self.widget.add_class("lrc-live-explorer")
        self.redraw()

    def settings(self) -> Settings:
        """Return the current value of every control."""
        return Settings({name: widget.value for name, widget in self.controls.items()})

    def redraw(self) -> bool:
        """Recompute and redraw from the controls; return False when an error message is shown."""
        ok = self.panel.show(self.settings())
        if ok and self.panel.frame is not None:
            self.caption.value = f"<code>{html.escape(self.panel.frame.caption)}</code>"
            xlabel = self.model.panels[0].xlabel if self.model.panels else "epoch"
            ylabels = [panel.ylabel for panel in self.model.panels]
            self.table.value = values_table(
                self.panel.frame, self.model.table_label, xlabel, ylabels
            )
        return ok


class ExplorerView(DualView):
    """A DualView of an explorer: the live widget, and its twin computed by torch on first display."""

    def __init__(self, model: ExplorerModel) -> None:
        self.explorer = Explorer(model)
        self.model = model
        self._start = self.explorer.settings()
        self.widget = self.explorer.widget

    @cached_property
    def static_html(self) -> str:  # type: ignore[override]
        """Return the book's twin, computed from the settings the explorer started with."""
        return twin_html(self.model, self._start)


def explore(scheduler_name: str, params: dict[str, Any] | None = None, **options: Any) -> DualView:
    """Return an explorer of one torch scheduler: sliders for its main parameters and the loop.

    ``params`` set the starting values (e.g. ``{"step_size": 3}``); ``options`` set the loop
    (``epochs``, ``step_per="epoch"|"batch"``, ``steps_per_epoch``, ``lr``). ReduceLROnPlateau
    opens :func:`plateau_explorer`; SequentialLR and ChainedScheduler open :func:`compose_explorer`.
    """
    return ExplorerView(scheduler_model(scheduler_name, params, **options))


def compare_explorer(schedules: Sequence[Any], **options: Any) -> DualView:
    """Return an explorer overlaying 2-4 schedules (names, ``SchedulerSpec`` or ``(name, params)``)."""
    return ExplorerView(compare_model(schedules, **options))


def compose_explorer(combiner: str = "SequentialLR", **options: Any) -> DualView:
    """Return an explorer of a LinearLR warm-up then a decay, combined by SequentialLR or ChainedScheduler."""
    return ExplorerView(compose_model(combiner, **options))


def plateau_explorer(params: dict[str, Any] | None = None, **options: Any) -> DualView:
    """Return a ReduceLROnPlateau explorer driven by a visible metric, with its patience counter."""
    return ExplorerView(plateau_model(params, **options))


def learning_rate_explorer(
    lr: float = 0.05, *, steps: int = 30, reference_lr: float | None = None
) -> DualView:
    """Return an explorer with a log-scale slider on SGD's ``lr`` that reruns descent on the quadratic bowl."""
    return ExplorerView(descent_model(lr, steps=steps, reference_lr=reference_lr))
