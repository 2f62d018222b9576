"""Figures that display themselves in Jupyter and the built book, without pyplot's global state."""

from __future__ import annotations

import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


class CourseFigure(Figure):
    """A matplotlib figure that shows itself as a PNG in Jupyter without pyplot's global state.

    Figures made here are not registered with pyplot, so they never leak or pile up between cells;
    ``_repr_png_`` is what lets a notebook (and the built book) display one as a cell's result.
    """

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        FigureCanvasAgg(self).print_png(buffer)
        return buffer.getvalue()


def course_figure(width: float = 6.4, height: float = 3.2) -> CourseFigure:
    """Return an empty :class:`CourseFigure` of the given size in inches, with constrained layout."""
    return CourseFigure(figsize=(width, height), layout="constrained")
