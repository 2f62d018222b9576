"""The book's twin embeds, for every setting a reader can choose, exactly what torch computes."""

from __future__ import annotations

import json
import re

import pytest

from lrcourse import SCHEDULER_NAMES, explore, learning_rate_explorer, trace_schedule
from lrcourse.explorers.builders import plateau_model, scheduler_model
from lrcourse.explorers.controls import SCHEDULER_CONTROLS
from lrcourse.explorers.twin import MAX_BYTES, decode_series, static_domain, twin_payload


def _payload_from_html(html: str) -> dict:
    match = re.search(
        r'<script type="application/json" class="lrc-explorer-data">(.*?)</script>', html, re.S
    )
    assert match, "the twin has no embedded data"
    return json.loads(match.group(1).replace("<\\/", "</"))


def test_every_scheduler_has_a_table_row_and_a_twin_within_budget():
    assert set(SCHEDULER_CONTROLS) == set(SCHEDULER_NAMES)
    for name in SCHEDULER_NAMES:
        html = explore(name).static_html
        payload = _payload_from_html(html)
        assert payload["controls"], f"{name}: the twin has nothing to move"
        assert all(c["kind"] in ("range", "select") for c in payload["controls"])
        assert len(html) <= MAX_BYTES + 2048, f"{name}: twin is {len(html)} bytes"
        assert "widget-state" not in html


SINGLE_SCHEDULERS = [
    n for n in SCHEDULER_NAMES if n not in ("ReduceLROnPlateau", "SequentialLR", "ChainedScheduler")
]


@pytest.mark.parametrize("name", SINGLE_SCHEDULERS)
def test_twin_frames_equal_trace_schedule_for_the_same_settings(name):
    model = scheduler_model(name)
    settings = model.default_settings()
    payload = twin_payload(model, settings)
    domain = static_domain(model, settings, payload["maxFrames"])
    # the JS indexes frames with the first control varying slowest; check every frame
    labels = [c["labels"] for c in payload["controls"]]
    assert [len(v) for v in domain.values] == [len(x) for x in labels]
    row = SCHEDULER_CONTROLS[name]
    for combo, frame in zip(domain.settings(), payload["frames"], strict=True):
        horizon = combo.horizon()
        params = {c.name: combo[c.name] for c in row.controls}
        if row.derived:
            params.update(row.derived(horizon))
        try:
            expected = trace_schedule(
                name,
                params,
                epochs=horizon.epochs,
                steps_per_epoch=horizon.steps_per_epoch,
                step_per=horizon.step_per,
                lr=combo.get("lr", 0.1),
            )
        except Exception as error:  # the twin must show the same refusal as a message
            assert "e" in frame and str(error) == frame["e"]
            continue
        assert decode_series(payload["series"][frame["y"][0]]) == list(expected.lr)


def test_twin_of_plateau_carries_metric_and_counter():
    payload = twin_payload(plateau_model())
    names = [c["name"] for c in payload["controls"]]
    assert {"metric", "patience", "factor", "threshold"} <= set(names)
    layout = payload["layouts"][payload["frames"][0]["l"]]
    assert [entry[0] for entry in layout] == [
        "lr",
        "metric",
        "best so far",
        "metric: beat best by > threshold",
        "num_bad_epochs",
        "patience",
    ]


def test_learning_rate_twin_has_a_keyboard_slider_over_lr():
    payload = _payload_from_html(learning_rate_explorer().static_html)
    (control,) = payload["controls"]
    assert control["name"] == "lr" and control["kind"] == "range"
    assert len(control["labels"]) >= 10
    assert len(payload["frames"]) == len(control["labels"])


def test_bad_settings_become_messages_in_the_twin():
    payload = twin_payload(scheduler_model("StepLR", {"gamma": -0.5}))
    errors = [frame["e"] for frame in payload["frames"] if "e" in frame]
    assert errors and all("rate must stay finite and >= 0" in e for e in errors)
    assert any("e" not in frame for frame in payload["frames"])
