"""Explorer twins in Chromium: sliders move with the keyboard, curves change, values equal torch.

Chapter 1 of the built book holds two explorers (SGD on the bowl, StepLR). Three more
(OneCycleLR, the warm-up composer, ReduceLROnPlateau) are rendered into a scratch page that loads
the very ``explorer.js``/``explorer.css`` the built book ships, so every kind of twin is driven
by a real browser. Expected values come from plain torch loops written here.
"""

from __future__ import annotations

import math
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from torch.optim import lr_scheduler

from tests.browser.conftest import BUILT_BOOK, serve_directory


def _sgd(lr: float = 0.1) -> torch.optim.SGD:
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr, momentum=0.9)


def _run(optimizer, scheduler, steps: int, step_every: int = 1, metrics=None) -> list[float]:
    lrs = []
    for step in range(steps):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        if (step + 1) % step_every == 0:
            if metrics is None:
                scheduler.step()
            else:
                scheduler.step(metrics[step // step_every])
    return lrs


def _explorer(tab, title: str):
    root = tab.locator(f'div.lrc-explorer[aria-label="{title} explorer"]')
    assert root.count() == 1, f"expected one {title} explorer on {tab.url}"
    root.first.scroll_into_view_if_needed()
    assert root.first.get_attribute("data-ready") == "1", "explorer.js did not start"
    return root.first


def _state(root) -> dict:
    return root.evaluate(
        """root => ({
            values: Object.fromEntries([...root.querySelectorAll('[data-control]')].map(
                i => [i.dataset.control, i.dataset.value ?? i.options[i.selectedIndex].text])),
            paths: [...root.querySelectorAll('path.lrc-curve')].map(p => p.getAttribute('d')),
            rows: [...root.querySelectorAll('table.lrc-values tr[data-step]')].map(
                r => [...r.children].map(c => c.dataset.exact ?? c.textContent)),
            fixed: root.querySelector('.lrc-fixed')?.textContent ?? '',
            message: root.querySelector('.lrc-message').textContent,
        })"""
    )


def _press(root, control: str, key: str, times: int = 1) -> None:
    """Focus the labelled range input of ``control`` and press ``key``; reverse at the end of the range."""
    slider = root.locator(f'input[type="range"][data-control="{control}"]')
    assert slider.count() == 1, f"no keyboard slider for {control}"
    label = root.locator(f'label[for="{slider.get_attribute("id")}"]')
    assert control in label.text_content(), "each slider has a visible label"
    position, last = int(slider.input_value()), int(slider.get_attribute("max"))
    if key == "ArrowLeft" and position == 0:
        key = "ArrowRight"
    elif key == "ArrowRight" and position == last:
        key = "ArrowLeft"
    slider.focus()
    for _ in range(times):
        slider.press(key)


def _slide(tab, title: str, control: str, key: str, times: int) -> tuple[dict, dict]:
    """Move ``control`` of the explorer titled ``title``; return its state before and after.

    Asserts that the curve was redrawn.
    """
    root = _explorer(tab, title)
    before = _state(root)
    _press(root, control, key, times)
    after = _state(root)
    assert after["paths"] != before["paths"], "the curve did not change"
    return before, after


def _fixed(state: dict) -> dict[str, str]:
    text = state["fixed"].split(":", 1)[-1]
    return dict(part.strip().split("=", 1) for part in text.split(",") if "=" in part)


def _assert_rows_match(state: dict, expected: list[float], column: int = 2) -> None:
    assert state["rows"], "the values table is empty"
    for row in state["rows"]:
        step, shown = int(row[0]), float(row[column])
        assert shown == pytest.approx(expected[step], rel=1e-12, abs=0), f"step {step}"


def test_chapter_one_step_lr_slider_matches_torch(page, book_url):
    tab, requests = page
    tab.goto(f"{book_url}/notebooks/01_learning_rate.html", wait_until="load")
    before, after = _slide(tab, "StepLR", "step_size", "ArrowLeft", 3)
    assert after["message"] == ""
    step_size, gamma = int(after["values"]["step_size"]), float(after["values"]["gamma"])
    assert step_size != int(before["values"]["step_size"])
    fixed = _fixed(after)
    epochs, per_epoch, lr = int(fixed["epochs"]), int(fixed["steps_per_epoch"]), float(fixed["lr"])
    assert after["values"]["step_per"] == "per epoch"
    optimizer = _sgd(lr)
    scheduler = lr_scheduler.StepLR(optimizer, step_size=step_size, gamma=gamma)
    _assert_rows_match(after, _run(optimizer, scheduler, epochs * per_epoch, per_epoch))
    assert requests.external() == [], f"requests left 127.0.0.1: {requests.external()}"


def test_chapter_one_learning_rate_slider_matches_torch_sgd(page, book_url):
    tab, requests = page
    tab.goto(f"{book_url}/notebooks/01_learning_rate.html", wait_until="load")
    before, after = _slide(tab, "SGD on the quadratic bowl", "lr", "ArrowRight", 5)
    lr = float(after["values"]["lr"])
    assert lr != float(before["values"]["lr"])
    weights = torch.nn.Parameter(torch.tensor([2.0, 1.0], dtype=torch.float64))
    curvature = torch.tensor([1.0, 10.0], dtype=torch.float64)
    optimizer = torch.optim.SGD([weights], lr=lr)
    losses = []
    for _ in range(30):
        optimizer.zero_grad()
        loss = 0.5 * (curvature * weights**2).sum()
        losses.append(loss.item())
        loss.backward()
        optimizer.step()
    losses.append((0.5 * (curvature * weights.detach() ** 2).sum()).item())
    _assert_rows_match(after, losses)
    assert requests.external() == []


METRIC = [1.0, 0.8, 0.7, 0.69, 0.69, 0.7, 0.68, 0.68, 0.69, 0.7, 0.66, 0.66, 0.67, 0.67, 0.68] * 2


@pytest.fixture(scope="module")
def scratch_url(tmp_path_factory) -> Iterator[str]:
    """Serve a page of three more twins that loads the built book's own explorer.js and CSS."""
    from lrcourse import compose_explorer, explore, plateau_explorer

    shipped = BUILT_BOOK / "_static" / "explorer.js"
    if not shipped.exists():
        pytest.fail(f"{shipped} is missing: run `make book` first")
    root = tmp_path_factory.mktemp("twins")
    shutil.copytree(BUILT_BOOK / "_static", root / "_static")
    twins = [
        explore("OneCycleLR", epochs=10, steps_per_epoch=4),
        compose_explorer(epochs=20, steps_per_epoch=1),
        plateau_explorer({"patience": 2}, metric=METRIC, epochs=len(METRIC)),
    ]
    body = "\n".join(view.static_html for view in twins)
    Path(root / "twins.html").write_text(
        "<!doctype html><html><head><meta charset='utf-8'>"
        "<link rel='stylesheet' href='_static/explorer.css'></head>"
        f"<body>{body}<script src='_static/explorer.js'></script></body></html>"
    )
    with serve_directory(root) as url:
        yield f"{url}/twins.html"


def test_one_cycle_twin_slider_matches_torch(page, scratch_url):
    tab, requests = page
    tab.goto(scratch_url, wait_until="load")
    before, after = _slide(tab, "OneCycleLR", "pct_start", "ArrowRight", 2)
    values = after["values"]
    assert float(values["pct_start"]) != float(before["values"]["pct_start"])
    steps = 10 * 4
    optimizer = _sgd()
    scheduler = lr_scheduler.OneCycleLR(
        optimizer,
        max_lr=float(values["max_lr"]),
        pct_start=float(values["pct_start"]),
        anneal_strategy=values["anneal_strategy"],
        total_steps=steps,
    )
    assert values["step_per"] == "per batch"
    _assert_rows_match(after, _run(optimizer, scheduler, steps))
    assert requests.external() == []


def test_composer_twin_slider_matches_torch(page, scratch_url):
    tab, requests = page
    tab.goto(scratch_url, wait_until="load")
    before, after = _slide(tab, "SequentialLR", "warmup_iters", "ArrowRight", 2)
    warm, start = int(after["values"]["warmup_iters"]), float(after["values"]["start_factor"])
    assert warm != int(before["values"]["warmup_iters"])
    assert after["values"]["combiner"] == "SequentialLR"
    optimizer = _sgd()
    warmup = lr_scheduler.LinearLR(optimizer, start_factor=start, total_iters=warm)
    cosine = lr_scheduler.CosineAnnealingLR(optimizer, T_max=20 - warm, eta_min=0.0)
    scheduler = lr_scheduler.SequentialLR(optimizer, [warmup, cosine], milestones=[warm])
    _assert_rows_match(after, _run(optimizer, scheduler, 20))
    assert requests.external() == []


def test_plateau_twin_patience_slider_matches_torch(page, scratch_url):
    tab, requests = page
    tab.goto(scratch_url, wait_until="load")
    before, after = _slide(tab, "ReduceLROnPlateau", "patience", "ArrowLeft", 2)
    values = after["values"]
    assert int(values["patience"]) != int(before["values"]["patience"])
    optimizer = _sgd()
    scheduler = lr_scheduler.ReduceLROnPlateau(
        optimizer,
        factor=float(values["factor"]),
        patience=int(values["patience"]),
        threshold=float(values["threshold"]),
    )
    expected = _run(optimizer, scheduler, len(METRIC), metrics=METRIC)
    assert min(expected) < 0.1, "this metric stalls: torch must cut the rate"
    _assert_rows_match(after, expected)
    assert requests.external() == []


def test_built_pages_embed_no_widget_state_and_load_the_explorer_script():
    pages = sorted(BUILT_BOOK.glob("**/*.html"))
    assert pages, "the book is not built"
    with_state = [p.name for p in pages if "widget-state+json" in p.read_text(encoding="utf-8")]
    assert with_state == [], f"pages embedding ipywidgets state: {with_state}"
    chapter = (BUILT_BOOK / "notebooks" / "01_learning_rate.html").read_text(encoding="utf-8")
    assert "_static/explorer.js" in chapter and 'class="lrc-explorer"' in chapter


def test_every_explorer_in_the_book_draws_without_script_errors(page, book_url):
    tab, requests = page
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(f"{error}\n{error.stack}"))
    pages = [
        p
        for p in sorted(BUILT_BOOK.glob("**/*.html"))
        if 'class="lrc-explorer"' in p.read_text(encoding="utf-8")
    ]
    assert pages, "no built page holds an explorer"
    drawn = 0
    for html in pages:
        tab.goto(f"{book_url}/{html.relative_to(BUILT_BOOK).as_posix()}", wait_until="load")
        roots = tab.locator("div.lrc-explorer")
        for index in range(roots.count()):
            root = roots.nth(index)
            assert root.get_attribute("data-ready") == "1", f"{html.name}: explorer {index} idle"
            curves = root.locator("path.lrc-curve").count()
            message = root.locator(".lrc-message").text_content()
            assert curves > 0 or message, f"{html.name}: explorer {index} shows nothing"
            drawn += 1
    ours = [e for e in errors if "explorer.js" in e]
    assert ours == [], ours
    assert drawn >= 3
    assert requests.external() == []


def test_values_table_names_its_columns_rounds_and_keeps_the_exact_float(page, book_url):
    tab, _ = page
    tab.goto(f"{book_url}/notebooks/01_learning_rate.html", wait_until="networkidle")
    root = _explorer(tab, "StepLR")
    heads = root.locator("table.lrc-values th").all_inner_texts()
    assert heads[:3] == ["optimizer step", "epoch", "rate (lr)"]
    cells = root.locator("table.lrc-values td.lrc-number")
    shown, exact = cells.nth(1).inner_text(), cells.nth(1).get_attribute("data-exact")
    assert len(shown) <= len(exact) and float(shown) == pytest.approx(float(exact), rel=1e-3)
    assert cells.nth(1).get_attribute("title") == exact
    root.get_by_label(re.compile("exact values")).check()
    assert cells.nth(1).inner_text() == exact


def test_rate_axis_starts_at_zero_and_can_switch_to_log(page, book_url):
    tab, _ = page
    tab.goto(f"{book_url}/notebooks/01_learning_rate.html", wait_until="networkidle")
    root = _explorer(tab, "StepLR")

    def y_ticks() -> list[float]:
        texts = root.locator('g.lrc-panel text[text-anchor="end"]')  # the y axis's labels
        return [float(t) for t in texts.evaluate_all("texts => texts.map(t => t.textContent)")]

    assert min(y_ticks()) == 0
    root.get_by_label(re.compile("log y axis")).check()
    logged = y_ticks()
    assert logged and all(t > 0 and math.log10(t) == round(math.log10(t)) for t in logged)
