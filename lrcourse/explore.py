"""Interactive explorers for JupyterLab: ipywidgets controls that redraw a matplotlib figure.

Every curve comes from :mod:`lrcourse.trace` (real torch schedulers) or from runs of torch's own
optimizers; this module only wires controls to those functions and draws the result.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import ipywidgets as widgets
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from lrcourse.errors import LRCourseError
from lrcourse.plot import course_figure, draw_descent
from lrcourse.quadratic import run_gradient_descent


class FigurePanel:
    """A matplotlib figure shown in an ``ipywidgets.Image``, re-rendered to PNG on each redraw."""

    def __init__(self, figure: Figure, draw: Callable[[Figure], None]) -> None:
        self.figure = figure
        self.canvas = FigureCanvasAgg(figure)
        self.draw = draw
        self.image = widgets.Image(format="png")
        self.message = widgets.HTML()

    def redraw(self) -> None:
        """Call ``draw(figure)`` and show the new image; show an LRCourseError as a message instead."""
        try:
            self.draw(self.figure)
        except LRCourseError as error:
            self.message.value = f"<b style='color:#b00020'>⚠ {error}</b>"
            return
        self.message.value = ""
        buffer = io.BytesIO()
        self.canvas.print_png(buffer)
        self.image.value = buffer.getvalue()


def learning_rate_explorer(
    lr: float = 0.05, *, steps: int = 30, reference_lr: float | None = None
) -> widgets.VBox:
    """Return a widget: a log-scale slider on SGD's ``lr`` that reruns descent on the quadratic bowl."""
    slider = widgets.FloatLogSlider(
        value=lr,
        base=10,
        min=-3,
        max=-0.6,
        step=0.05,
        description="lr",
        readout_format=".3f",
        continuous_update=True,
    )
    verdict = widgets.HTML()
    figure = course_figure(9.0, 3.4)

    def draw(fig: Figure) -> None:
        fig.clear()
        loss_ax, path_ax = fig.subplots(1, 2)
        runs = [run_gradient_descent(slider.value, steps=steps)]
        if reference_lr is not None:
            runs.append(run_gradient_descent(reference_lr, steps=steps))
        draw_descent(loss_ax, path_ax, runs)
        verdict.value = (
            f"lr = {slider.value:.3f}: after {steps} steps the loss is "
            f"{runs[0].final_loss:.3g} → <b>{runs[0].verdict()}</b>"
        )

    panel = FigurePanel(figure, draw)
    slider.observe(lambda _change: panel.redraw(), names="value")
    panel.redraw()
    return widgets.VBox([slider, verdict, panel.message, panel.image])
