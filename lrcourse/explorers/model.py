"""What an explorer shows for given control settings, computed by real torch: the UI-free core.

An :class:`ExplorerModel` is a list of controls plus a ``compute(settings) -> Frame`` function.
The JupyterLab widget calls ``compute`` when a control moves and draws the frame with matplotlib;
the book's twin calls it for every combination of control values at build time and embeds the
frames for JavaScript to draw. Both faces therefore show the same torch-computed numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from lrcourse.explorers.controls import Control, Settings
from lrcourse.explorers.formulas import Formula

SeriesStyle = Literal["steps", "line", "points", "xy"]


@dataclass(frozen=True)
class Panel:
    """One axes of an explorer figure: its labels and whether its y axis is logarithmic."""

    ylabel: str
    xlabel: str = "epoch"
    log: bool = False
    title: str = ""


@dataclass(frozen=True)
class Series:
    """One curve: ``y`` values drawn at ``x`` (default: ``index / x_divisor``) on panel ``panel``."""

    label: str
    y: tuple[float, ...]
    panel: int = 0
    style: SeriesStyle = "steps"
    x: tuple[float, ...] | None = None
    x_divisor: int = 1

    def xs(self) -> tuple[float, ...]:
        """Return the x coordinate of every point."""
        if self.x is not None:
            return self.x
        return tuple(i / self.x_divisor for i in range(len(self.y)))


@dataclass(frozen=True)
class Frame:
    """Everything one setting of the controls shows: curves, a caption and a table of values.

    ``table`` holds the indices of the series whose values are listed under the figure (one
    column each, rows ``step``, ``epoch``), so a reader can compare them with what torch prints.
    """

    series: tuple[Series, ...]
    caption: str = ""
    table: tuple[int, ...] = (0,)


@dataclass(frozen=True)
class ExplorerModel:
    """An explorer's controls, panels, and the function that computes a frame from settings."""

    title: str
    controls: tuple[Control, ...]
    panels: tuple[Panel, ...]
    compute: Callable[[Settings], Frame]
    table_label: str = "lr"
    side_by_side: bool = False
    formula: Formula | None = None

    def default_settings(self) -> Settings:
        """Return the settings every control starts at."""
        return Settings({control.name: control.default for control in self.controls})

    def control(self, name: str) -> Control:
        """Return the control called ``name``."""
        for control in self.controls:
            if control.name == name:
                return control
        raise KeyError(f"{self.title} has no control {name!r}")


def table_rows(frame: Frame, max_rows: int = 12) -> list[tuple[int, float, tuple[float, ...]]]:
    """Return ``(index, x, values)`` rows of the frame's table series, evenly spaced, at most ``max_rows``.

    The static twin's JavaScript picks the same indices (``round(i * (n - 1) / (rows - 1))``),
    so a browser test can check the shown values against torch.
    """
    columns = [frame.series[i] for i in frame.table if i < len(frame.series)]
    if not columns:
        return []
    first = columns[0]
    xs = first.xs()
    rows = []
    for i in pick_rows(len(first.y), max_rows):
        rows.append((i, xs[i], tuple(c.y[i] if i < len(c.y) else float("nan") for c in columns)))
    return rows


def pick_rows(count: int, max_rows: int = 12) -> list[int]:
    """Return up to ``max_rows`` evenly spaced indices of ``range(count)``, first and last included."""
    if count <= max_rows:
        return list(range(count))
    return sorted({round(i * (count - 1) / (max_rows - 1)) for i in range(max_rows)})


def settings_label(controls: Sequence[Control], settings: Settings, names: Sequence[str]) -> str:
    """Return ``name=value, ...`` for the named controls, values shown as the controls show them."""
    shown = []
    for control in controls:
        if control.name in names:
            shown.append(f"{control.name}={_code_value(control, settings[control.name])}")
    return ", ".join(shown)


def _code_value(control: Control, value: Any) -> str:
    if control.kind == "choice":
        label = control.label_of(value)
        return label if not isinstance(value, str) else repr(value)
    return control.label_of(value)
