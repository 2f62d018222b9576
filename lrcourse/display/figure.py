"""Figures that display themselves in Jupyter and the built book, without pyplot's global state."""

from __future__ import annotations

import io
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

#: Longest alt text a figure carries (screen readers read all of it).
MAX_ALT = 600

#: Figures are drawn at this many pixels per displayed pixel: sharp on phones and HiDPI screens.
PIXEL_DENSITY = 2


def describe_figure(figure: Figure) -> str:
    """Return a figure's alt text: its title, what each panel plots against what, and its curves.

    E.g. "The 15 schedulers…; 15 panels of learning rate against optimizer step: LambdaLR, …".
    """
    parts = []
    if figure.get_suptitle():
        parts.append(figure.get_suptitle())
    panels = [ax for ax in figure.axes if ax.get_visible()]
    phrases = []
    for ax in panels:
        y = ax.get_ylabel() or figure_label(figure, "y")
        x = ax.get_xlabel() or figure_label(figure, "x")
        scale = ", log scale" if ax.get_yscale() == "log" else ""
        phrases.append(f"{y} against {x}{scale}" if y and x else "")
    titles = [" ".join(ax.get_title().split()) for ax in panels]
    if len(panels) > 1 and len(set(phrases)) == 1:
        parts.append(f"{len(panels)} panels of {phrases[0]}: " + ", ".join(titles))
    else:
        for ax, phrase, title in zip(panels, phrases, titles, strict=True):
            labels = [str(line.get_label()) for line in ax.lines]
            labels = [label for label in labels if not label.startswith("_")]
            curves = f" ({', '.join(labels)})" if labels else ""
            lead = f"{title}: " if title and phrase else title
            parts.append(" ".join(f"{lead}{phrase}{curves}".split()))
    text = "; ".join(part for part in parts if part)
    return text if len(text) <= MAX_ALT else text[: MAX_ALT - 1] + "…"


def figure_label(figure: Figure, axis: str) -> str:
    """Return the figure-wide ``supxlabel``/``supylabel`` text (``axis`` "x" or "y"), or ""."""
    label = getattr(figure, f"_sup{axis}label", None)
    return label.get_text() if label is not None else ""


class CourseFigure(Figure):
    """A matplotlib figure that shows itself as a PNG in Jupyter without pyplot's global state.

    Figures made here are not registered with pyplot, so they never leak or pile up between cells;
    ``_repr_png_`` is what lets a notebook (and the built book) display one as a cell's result.
    The PNG carries the figure's alt text (:func:`describe_figure`, the ``Description`` text
    chunk), which the book's build (``book/_ext/accessible_pages.py``) reads into the image's
    ``alt``: a screen reader hears what the figure shows instead of its file name.
    """

    def _repr_png_(self) -> bytes:
        """Return the PNG at :data:`PIXEL_DENSITY` times the figure's size in pixels."""
        buffer = io.BytesIO()
        canvas = FigureCanvasAgg(self)
        dpi = self.dpi
        try:
            self.dpi = dpi * PIXEL_DENSITY
            canvas.print_png(buffer, metadata={"Description": describe_figure(self)})
        finally:
            self.dpi = dpi
        return buffer.getvalue()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> tuple[dict, dict]:
        """Return the dense PNG with its display size (JupyterLab and the book show it at that
        size, so it is sharp on a phone or a high-density screen, not twice as large)."""
        width = round(float(self.get_size_inches()[0]) * self.dpi)  # height follows the image
        return (
            {"image/png": self._repr_png_(), "text/plain": repr(self)},
            {"image/png": {"width": width}},
        )


def course_figure(width: float = 6.4, height: float = 3.2) -> CourseFigure:
    """Return an empty :class:`CourseFigure` of the given size in inches, with constrained layout."""
    return CourseFigure(figsize=(width, height), layout="constrained")
