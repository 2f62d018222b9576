"""A progress display that updates while a comparison trains, in JupyterLab only.

Outside a Jupyter kernel (a script, pytest) it does nothing. Inside one it shows an ipywidgets
progress bar, a small table of the latest metrics per schedule and a figure of the validation
loss so far (redrawn at most once a second, so drawing never dominates training), updated through widget
messages. What the notebook stores for the cell is only a fixed line of text (the widget view is
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

#: Redraw the live figure at most this often (seconds): a PNG costs ~0.1 s on a busy CPU.
REDRAW_EVERY = 1.0


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
        self.last_drawn = 0.0

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

    def update(self, label: str, epoch: int, metrics: dict[str, float]) -> None:
        """Record that run ``label`` finished epoch ``epoch`` with ``metrics``."""
        if not self.enabled or self.bar is None:
            return
        accuracy = metrics.get("val_accuracy")
        shown = f"epoch {epoch}/{self.epochs} · train loss {metrics['train_loss']:.4f}"
        shown += f" · val loss {metrics['val_loss']:.4f}"
        if accuracy is not None and accuracy == accuracy:  # NaN for regression
            shown += f" · val acc {accuracy:.1%}"
        self.rows[label] = shown
        self.val_loss[label].append(metrics["val_loss"])
        self.bar.value += 1
        self._render()
        if time.monotonic() - self.last_drawn >= REDRAW_EVERY:
            self._draw()

    def finish(self) -> None:
        """Mark the display as done and draw the final figure."""
        if self.enabled and self.bar is not None:
            self.bar.description = "done"
            self.bar.bar_style = "success"
            self._draw()

    def _draw(self) -> None:
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
        self.last_drawn = time.monotonic()

    def _render(self) -> None:
        lines = "".join(
            f"<tr><td><b>{html.escape(label)}</b></td><td>{html.escape(row)}</td></tr>"
            for label, row in self.rows.items()
        )
        self.status.value = (
            f"<div>{html.escape(self.title)} on <code>{html.escape(self.device)}</code></div>"
            f"<table>{lines}</table>"
        )
