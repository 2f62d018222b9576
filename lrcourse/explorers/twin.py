"""The kernel-free twin of an explorer: torch frames for every control setting, embedded as JSON.

At notebook-execution time :func:`twin_payload` runs the model's ``compute`` (real torch) for
every combination of the static controls' values and packs the frames; :func:`twin_html` wraps
them in markup that ``lrcourse/static/explorer.js`` (shipped with the book) turns into labelled
``<input type=range>`` sliders, an SVG figure and a table of values. No kernel, no network.

Packing keeps the page light: identical curves are stored once, runs of equal values are
stored as (value, count), and values are the exact float64 bytes in base64, so what the page
shows is bit-for-bit what torch produced.
"""

from __future__ import annotations

import base64
import html
import itertools
import json
import struct
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from lrcourse.errors import LRCourseError
from lrcourse.explorers.controls import Control, Settings
from lrcourse.explorers.formulas import formula_html
from lrcourse.explorers.model import ExplorerModel, Frame

#: Most frames one twin embeds; controls with many values are thinned (every other value) past it.
MAX_FRAMES = 120
#: Largest embedded payload per explorer, in bytes; past it the domain is thinned further.
MAX_BYTES = 64 * 1024
#: Per-frame captions are embedded only while they stay this small (else JS writes one from the controls).
MAX_CAPTION_BYTES = 6 * 1024


@dataclass(frozen=True)
class StaticDomain:
    """The controls the twin lets a reader move (each with the values kept) and the fixed rest."""

    controls: tuple[Control, ...]
    values: tuple[tuple[Any, ...], ...]
    fixed: Settings

    def size(self) -> int:
        """Return how many frames the domain has."""
        size = 1
        for values in self.values:
            size *= len(values)
        return size

    def settings(self) -> list[Settings]:
        """Return every combination, the first control varying slowest (the order JS indexes)."""
        out = []
        for combo in itertools.product(*self.values):
            values = dict(self.fixed.values)
            values.update({c.name: v for c, v in zip(self.controls, combo, strict=True)})
            out.append(Settings(values))
        return out


def static_domain(
    model: ExplorerModel, settings: Settings | None = None, max_frames: int = MAX_FRAMES
) -> StaticDomain:
    """Return the twin's domain: static controls' values (thinned to ``max_frames``), others fixed."""
    settings = settings or model.default_settings()
    movable = [c for c in model.controls if c.static]
    values = [list(c.values()) for c in movable]
    for index, control in enumerate(movable):
        current = settings[control.name]
        if not any(v is current or v == current for v in values[index]):
            values[index].insert(control.index_of(current) + 1, current)
    exhausted: set[int] = set()
    while _product(values) > max_frames and len(exhausted) < len(values):
        widest = max(
            (i for i in range(len(values)) if i not in exhausted), key=lambda i: len(values[i])
        )
        thinned = _thin(values[widest], settings[movable[widest].name])
        if len(thinned) < len(values[widest]):
            values[widest] = thinned
        else:
            exhausted.add(widest)
    fixed = Settings({k: v for k, v in settings.values.items()})
    return StaticDomain(tuple(movable), tuple(tuple(v) for v in values), fixed)


def _thin(values: list[Any], current: Any) -> list[Any]:
    """Return every other value, counted from ``current``, keeping the first and the last."""
    start = _index(values, current) % 2
    last = len(values) - 1
    return [v for i, v in enumerate(values) if i % 2 == start or i in (0, last)]


def _product(values: Sequence[Sequence[Any]]) -> int:
    size = 1
    for v in values:
        size *= len(v)
    return size


def _index(values: Sequence[Any], value: Any) -> int:
    for i, candidate in enumerate(values):
        if candidate is value or candidate == value:
            return i
    return 0


class _Pool:
    """Stores each distinct float array once, run-length encoded, as base64 float64 bytes."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []
        self.index: dict[bytes, int] = {}

    def add(self, values: Sequence[float]) -> int:
        raw = struct.pack(f"<{len(values)}d", *values)
        if raw in self.index:
            return self.index[raw]
        runs: list[float] = []
        counts: list[int] = []
        for value in values:
            if runs and counts and _same(runs[-1], value):
                counts[-1] += 1
            else:
                runs.append(value)
                counts.append(1)
        item: dict[str, Any] = {
            "v": base64.b64encode(struct.pack(f"<{len(runs)}d", *runs)).decode()
        }
        if any(c != 1 for c in counts):
            item["n"] = counts
        self.index[raw] = len(self.items)
        self.items.append(item)
        return self.index[raw]


def _same(a: float, b: float) -> bool:
    return struct.pack("<d", a) == struct.pack("<d", b)


def _frame_json(frame: Frame, pool: _Pool, layouts: list[str], captions: dict[str, int]) -> dict:
    layout = json.dumps(
        [[s.label, s.panel, s.style, s.x_divisor] for s in frame.series], separators=(",", ":")
    )
    if layout not in layouts:
        layouts.append(layout)
    out: dict[str, Any] = {
        "l": layouts.index(layout),
        "y": [pool.add(s.y) for s in frame.series],
        "t": list(frame.table),
    }
    if any(s.x is not None for s in frame.series):
        out["x"] = [-1 if s.x is None else pool.add(s.x) for s in frame.series]
    out["c"] = captions.setdefault(frame.caption, len(captions))
    return out


def twin_payload(
    model: ExplorerModel, settings: Settings | None = None, *, max_bytes: int = MAX_BYTES
) -> dict[str, Any]:
    """Return the JSON-ready data of a model's twin: controls, panels and every frame (real torch).

    The domain is thinned (fewer values per slider) until the payload fits in ``max_bytes``.
    """
    settings = settings or model.default_settings()
    cache: dict[tuple, Frame | LRCourseError] = {}
    max_frames = MAX_FRAMES
    while True:
        payload = _payload(model, settings, max_frames, cache)
        size = len(json.dumps(payload, separators=(",", ":")))
        if size <= max_bytes or max_frames <= 8:
            return payload
        max_frames //= 2


def _key(settings: Settings) -> tuple:
    return tuple((k, id(v) if callable(v) else repr(v)) for k, v in sorted(settings.values.items()))


def _payload(
    model: ExplorerModel, settings: Settings, max_frames: int, cache: dict
) -> dict[str, Any]:
    domain = static_domain(model, settings, max_frames)
    pool = _Pool()
    layouts: list[str] = []
    captions: dict[str, int] = {}
    frames = []
    for combo in domain.settings():
        key = _key(combo)
        if key not in cache:
            try:
                cache[key] = model.compute(combo)
            except LRCourseError as error:
                cache[key] = error
        result = cache[key]
        if isinstance(result, LRCourseError):
            frames.append({"e": str(result)})
        else:
            frames.append(_frame_json(result, pool, layouts, captions))
    if sum(len(c) for c in captions) > MAX_CAPTION_BYTES:
        captions = {}
        for frame in frames:
            frame.pop("c", None)
    controls = []
    for control, values in zip(domain.controls, domain.values, strict=True):
        controls.append(
            {
                "name": control.name,
                "description": control.description,
                "kind": "select" if control.kind in ("choice", "bool") else "range",
                "labels": [control.label_of(v) for v in values],
                "start": _index(values, settings[control.name]),
            }
        )
        if control.kind in ("int", "float", "log"):
            controls[-1]["values"] = list(values)
    fixed = [f"{c.name}={c.label_of(settings[c.name])}" for c in model.controls if not c.static]
    return {
        "title": model.title,
        "maxFrames": max_frames,
        "controls": controls,
        "fixed": fixed,
        "panels": [
            {"ylabel": p.ylabel, "xlabel": p.xlabel, "log": p.log, "title": p.title}
            for p in model.panels
        ],
        "tableLabel": model.table_label,
        "layouts": [json.loads(layout) for layout in layouts],
        "captions": list(captions),
        "series": pool.items,
        "frames": frames,
    }


def decode_series(item: dict[str, Any]) -> list[float]:
    """Return the float values of one packed series (what the twin's JavaScript does, in Python)."""
    raw = base64.b64decode(item["v"])
    runs = struct.unpack(f"<{len(raw) // 8}d", raw)
    counts = item.get("n") or [1] * len(runs)
    out: list[float] = []
    for value, count in zip(runs, counts, strict=True):
        out.extend([value] * count)
    return out


def twin_html(model: ExplorerModel, settings: Settings | None = None) -> str:
    """Return the self-contained HTML of a model's twin (drawn by ``lrcourse/static/explorer.js``)."""
    payload = json.dumps(twin_payload(model, settings), separators=(",", ":"))
    payload = payload.replace("</", "<\\/")
    title = html.escape(model.title)
    formula = formula_html(model.formula) if model.formula is not None else ""
    return (
        f'{formula}<div class="lrc-explorer" data-lrc-explorer="1" aria-label="{title} explorer">'
        f'<script type="application/json" class="lrc-explorer-data">{payload}</script>'
        f"<noscript>This explorer needs JavaScript; run the notebook to use the live version."
        f"</noscript></div>"
    )


def with_static(model: ExplorerModel, names: Sequence[str]) -> ExplorerModel:
    """Return ``model`` with exactly the controls ``names`` movable in the twin."""
    controls = tuple(replace(c, static=c.name in names) for c in model.controls)
    return replace(model, controls=controls)
