"""A progress display that updates while a comparison trains, in JupyterLab only.

Outside a Jupyter kernel (a script, pytest) it does nothing. Inside one it shows an ipywidgets
progress bar, a small table of the latest metrics per schedule and a figure of the validation
loss so far, updated through widget messages. Every refresh (a widget message, a PNG) is timed,
and the display refreshes only while its total stays under :data:`DISPLAY_SHARE` of the time
trained so far: showing progress costs a small, bounded share of the training it shows (a
message per epoch per run made a 6 s demo take over a minute in JupyterLab). What the notebook stores for the cell is only a fixed line of text (the widget view is
dropped by nbval's comparison and by the book), so executed notebooks stay deterministic.
"""

from __future__ import annotations

import html
import io
import math
import time
from collections.abc import Sequence
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg

from lrcourse.display.figure import course_figure

#: The live display may spend at most this share of the elapsed training time refreshing itself.
DISPLAY_SHARE = 0.05


def in_kernel() -> bool:
    """Return whether code runs inside a Jupyter kernel (where widgets can be shown)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython ships with the course
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


class _LiveView:
    """A widget whose plain-text form is a fixed description, not the widget's changing repr."""

    def __init__(self, widget: Any, text: str) -> None:
        self.widget = widget
        self.text = text

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        bundle = dict(self.widget._repr_mimebundle_(include=include, exclude=exclude) or {})
        bundle["text/plain"] = self.text
        return bundle


class LiveProgress:
    """Progress of several runs trained side by side: epochs done and latest metrics per run."""

    def __init__(
        self, labels: Sequence[str], *, epochs: int, title: str, enabled: bool = True
    ) -> None:
        self.labels = list(labels)
        self.epochs = epochs
        self.title = title
        self.enabled = enabled and in_kernel()
        self.rows: dict[str, str] = {label: "waiting" for label in self.labels}
        self.val_loss: dict[str, list[float]] = {label: [] for label in self.labels}
        self.bar: Any = None
        self.status: Any = None
        self.image: Any = None
        self.done = 0  # epochs finished, summed over the runs
        self.started = 0.0  # when training started (time.monotonic)
        self.spent = 0.0  # seconds spent refreshing the display
        self.draw_cost = 0.0  # seconds the last figure took

    def start(self, device: str) -> None:
        """Show the display (in a kernel) before the first epoch."""
        if not self.enabled:
            return
        import ipywidgets as widgets
        from IPython.display import display

        self.bar = widgets.IntProgress(
            value=0, min=0, max=self.epochs * len(self.labels), description="training"
        )
        self.status = widgets.HTML()
        self.image = widgets.Image(format="png")
        self.device = device
        self._render()
        text = f"{self.title} (live progress appears here in JupyterLab)"
        display(_LiveView(widgets.VBox([self.bar, self.status, self.image]), text))
        self.started = time.monotonic()

    def update(self, label: str, epoch: int, metrics: dict[str, float]) -> None:
        """Record that run ``label`` finished epoch ``epoch`` with ``metrics``."""
        if not self.enabled or self.bar is None:
            return
        self.rows[label] = _row(epoch, self.epochs, metrics)
        self.val_loss[label].append(metrics["val_loss"])
        self.done += 1
        budget = DISPLAY_SHARE * (time.monotonic() - self.started)
        if self.spent <= budget:
            self._timed(self._render)
            if self.spent + self.draw_cost <= budget:
                self._timed(self._draw)

    def finish(self) -> None:
        """Mark the display as done and draw the final figure."""
        if self.enabled and self.bar is not None:
            self.bar.description = "done"
            self.bar.bar_style = "success"
            self._render()
            self._draw()

    def _timed(self, refresh: Any) -> None:
        start = time.monotonic()
        refresh()
        self.spent += time.monotonic() - start

    def _draw(self) -> None:
        start = time.monotonic()
        figure = course_figure(5.0, 2.4)
        ax = figure.subplots()
        for index, (label, losses) in enumerate(self.val_loss.items()):
            shown = [v if math.isfinite(v) else math.nan for v in losses]  # a diverged run ends
            ax.plot(range(1, len(shown) + 1), shown, marker=".", color=f"C{index}", label=label)
        if any(math.isfinite(v) and v > 0 for losses in self.val_loss.values() for v in losses):
            ax.set_yscale("log")
        ax.set(xlabel="epoch", ylabel="validation loss", xlim=(0.5, self.epochs + 0.5))
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize="x-small")
        buffer = io.BytesIO()
        FigureCanvasAgg(figure).print_png(buffer)
        self.image.value = buffer.getvalue()
        self.draw_cost = time.monotonic() - start

    def _render(self) -> None:
        self.bar.value = self.done
        lines = "".join(
            f"<tr><td><b>{html.escape(label)}</b></td><td>{html.escape(row)}</td></tr>"
            for label, row in self.rows.items()
        )
        self.status.value = (
            f"<div>{html.escape(self.title)} on <code>{html.escape(self.device)}</code></div>"
            f"<table>{lines}</table>"
        )


def _row(epoch: int, epochs: int, metrics: dict[str, float]) -> str:
    """Return one run's line: its epoch and its means over the seeds that have not diverged.

    A diverged seed is named as such, never averaged in; a run whose seeds all diverged says so
    instead of printing ``nan`` losses.
    """
    shown = f"epoch {epoch}/{epochs}"
    diverged = int(metrics.get("diverged", 0))
    if not math.isfinite(metrics["train_loss"]):
        return f"{shown} · every seed diverged"
    shown += f" · train loss {metrics['train_loss']:.4f} · val loss {metrics['val_loss']:.4f}"
    accuracy = metrics.get("val_accuracy")
    if accuracy is not None and math.isfinite(accuracy):  # NaN for regression
        shown += f" · val acc {accuracy:.1%}"
    if diverged:
        shown += f" · {diverged} seed{'s' if diverged > 1 else ''} diverged (left out)"
    return shown
