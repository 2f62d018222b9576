"""Page weight of the explorers' static twins: bytes per explorer, and per built page.

Part 1 builds the twin of every default explorer (real torch, as a notebook would) and prints
its size beside the payload budget (``lrcourse.explorers.twin.MAX_BYTES``). Part 2 reads the built book
(``_build/html``; run ``make book`` first) and prints, per page with explorers, the page size,
the bytes its twins take, and the size of the shared script and stylesheet.

Run: ``.venv/bin/python benchmarks/explorer_page_weight.py``.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")

from lrcourse import (
    SCHEDULER_NAMES,
    compare_explorer,
    compose_explorer,
    explore,
    learning_rate_explorer,
    plateau_explorer,
)
from lrcourse.explorers.twin import MAX_BYTES

ROOT = Path(__file__).resolve().parents[1]
BUILT = ROOT / "_build" / "html"
TWIN = re.compile(r'<div class="lrc-explorer".*?</script>', re.S)


def explorer_sizes() -> None:
    """Print the twin size and build time of every default explorer."""
    cases = [(name, lambda name=name: explore(name)) for name in SCHEDULER_NAMES]
    cases += [
        (
            "compare_explorer(3)",
            lambda: compare_explorer(["StepLR", "CosineAnnealingLR", "OneCycleLR"]),
        ),
        ("compose_explorer()", compose_explorer),
        ("plateau_explorer()", plateau_explorer),
        ("learning_rate_explorer()", learning_rate_explorer),
    ]
    print(f"{'explorer':28} {'twin KiB':>9} {'frames':>7} {'build s':>8} {'budget KiB':>11}")
    total = 0
    for label, make in cases:
        view = make()
        start = time.perf_counter()
        html = view.static_html
        elapsed = time.perf_counter() - start
        frames = html.count('"l":') + html.count('{"e":')
        total += len(html)
        print(
            f"{label:28} {len(html) / 1024:9.1f} {frames:7d} {elapsed:8.2f} {MAX_BYTES / 1024:11.0f}"
        )
    print(f"{'mean':28} {total / len(cases) / 1024:9.1f}")


def page_sizes() -> None:
    """Print the weight of every built page that holds explorer twins."""
    if not (BUILT / "index.html").exists():
        print(f"\n{BUILT} not built: run `make book` for the per-page table")
        return
    shared = sum((BUILT / "_static" / f).stat().st_size for f in ("explorer.js", "explorer.css"))
    print(f"\nshared explorer.js + explorer.css: {shared / 1024:.1f} KiB (cached across pages)")
    print(f"{'page':45} {'explorers':>9} {'twins KiB':>10} {'page KiB':>9}")
    for page in sorted(BUILT.glob("**/*.html")):
        text = page.read_text(encoding="utf-8")
        twins = TWIN.findall(text)
        if twins:
            twin_bytes = sum(len(t.encode()) for t in twins)
            print(
                f"{page.relative_to(BUILT).as_posix():45} {len(twins):9d} "
                f"{twin_bytes / 1024:10.1f} {len(text.encode()) / 1024:9.1f}"
            )


if __name__ == "__main__":
    explorer_sizes()
    page_sizes()
