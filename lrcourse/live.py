"""A progress display that updates while a comparison trains, in JupyterLab only.

Outside a Jupyter kernel (a script, pytest) it does nothing. Inside one it shows an ipywidgets
progress bar and a small table of the latest metrics per schedule, updated through widget
messages. What the notebook stores for the cell is only a fixed line of text (the widget view is
dropped by nbval's comparison and by the book), so executed notebooks stay deterministic.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any


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
        self.bar: Any = None
        self.status: Any = None

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
        self.device = device
        self._render()
        text = f"{self.title}: live progress shows in JupyterLab while it trains"
        display(_LiveView(widgets.VBox([self.bar, self.status]), text))

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
        self.bar.value += 1
        self._render()

    def finish(self) -> None:
        """Mark the display as done."""
        if self.enabled and self.bar is not None:
            self.bar.description = "done"
            self.bar.bar_style = "success"

    def _render(self) -> None:
        lines = "".join(
            f"<tr><td><b>{html.escape(label)}</b></td><td>{html.escape(row)}</td></tr>"
            for label, row in self.rows.items()
        )
        self.status.value = (
            f"<div>{html.escape(self.title)} on <code>{html.escape(self.device)}</code></div>"
            f"<table>{lines}</table>"
        )
