"""Explorers redraw from real torch runs when a control moves, and show errors instead of raising."""

from __future__ import annotations

import re

import pytest
import torch

from lrcourse import (
    SCHEDULER_NAMES,
    compare_explorer,
    compose_explorer,
    explore,
    learning_rate_explorer,
    plateau_explorer,
)
from lrcourse.display.dual_view import DualView
from lrcourse.errors import SchedulerConfigError


def _lr_curve(view) -> tuple[float, ...]:
    frame = view.explorer.panel.frame
    return frame.series[0].y


def test_learning_rate_slider_redraws_the_figure():
    view = learning_rate_explorer(lr=0.05)
    assert isinstance(view, DualView)
    explorer = view.explorer
    slider = explorer.controls["lr"]
    before, caption_before = explorer.panel.image.value, explorer.caption.value
    slider.value = 0.19
    assert explorer.panel.image.value != before
    assert explorer.caption.value != caption_before
    assert "0.190" in explorer.caption.value


@pytest.mark.parametrize("name", SCHEDULER_NAMES)
def test_every_scheduler_has_an_explorer_whose_controls_redraw_it(name):
    view = explore(name)
    assert isinstance(view, DualView)
    explorer = view.explorer
    assert explorer.panel.message.value == "", explorer.panel.message.value
    image = explorer.panel.image.value
    assert bytes(image).startswith(b"\x89PNG")
    # the first control that is not a loop option belongs to the scheduler itself
    control = next(c for c in explorer.model.controls if c.name not in ("epochs", "lr"))
    widget = explorer.controls[control.name]
    values = control.values()
    current = control.index_of(widget.value)
    changed = False
    for candidate in [*values[current + 1 :], *reversed(values[:current])]:
        if control.kind == "choice":
            widget.index = control.index_of(candidate)
        else:
            widget.value = candidate
        if explorer.panel.image.value != image:
            changed = True
            break
    assert changed, f"moving {control.name} never changed the {name} figure"
    assert explorer.panel.message.value == ""


def test_step_lr_explorer_curve_equals_a_plain_torch_loop():
    view = explore("StepLR", epochs=12, steps_per_epoch=1)
    explorer = view.explorer
    explorer.controls["step_size"].value = 3
    explorer.controls["gamma"].value = 0.3
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.3)
    expected = []
    for _ in range(12):
        expected.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    assert _lr_curve(view) == tuple(expected)


def test_per_batch_toggle_steps_the_scheduler_every_batch():
    view = explore("ExponentialLR", epochs=3, steps_per_epoch=4)
    explorer = view.explorer
    explorer.controls["gamma"].value = 0.5
    per_epoch = _lr_curve(view)
    explorer.controls["step_per"].value = "batch"
    per_batch = _lr_curve(view)
    assert len(per_epoch) == len(per_batch) == 12
    assert per_epoch[:4] == (0.1,) * 4  # one scheduler.step() per epoch: flat within an epoch
    assert per_batch[1] == pytest.approx(0.05) and per_batch[4] == pytest.approx(0.1 * 0.5**4)


def test_one_cycle_has_a_momentum_panel_from_torch():
    view = explore("OneCycleLR", epochs=5, steps_per_epoch=4)
    frame = view.explorer.panel.frame
    momentum = next(s for s in frame.series if s.label == "momentum")
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=20)
    expected = []
    for _ in range(20):
        expected.append(optimizer.param_groups[0]["momentum"])
        optimizer.step()
        scheduler.step()
    assert momentum.y == tuple(expected)


def test_cyclic_momentum_panel_moves_with_its_controls():
    view = explore("CyclicLR")
    explorer = view.explorer
    first = next(s for s in explorer.panel.frame.series if s.label == "momentum").y
    explorer.controls["base_momentum"].value = 0.6
    second = next(s for s in explorer.panel.frame.series if s.label == "momentum").y
    assert min(second) == pytest.approx(0.6) and min(first) == pytest.approx(0.8)


def test_one_cycle_with_zero_total_steps_shows_a_message_then_recovers():
    view = explore("OneCycleLR", epochs=10)
    explorer = view.explorer
    good = explorer.panel.image.value
    explorer.controls["epochs"].value = 0
    message = explorer.panel.message.value
    assert "total_steps" in message and "positive" in message
    assert explorer.panel.image.value == good  # the last valid figure stays
    explorer.controls["epochs"].value = 8
    assert explorer.panel.message.value == ""
    assert len(_lr_curve(view)) == 8 * 4


def test_negative_gamma_shows_a_message_then_a_valid_gamma_recovers():
    view = explore("ExponentialLR", {"gamma": -0.5}, steps_per_epoch=1)
    explorer = view.explorer
    assert "gamma" in explorer.panel.message.value
    assert explorer.panel.frame is None
    explorer.controls["gamma"].value = 0.9
    assert explorer.panel.message.value == ""
    assert _lr_curve(view)[1] == pytest.approx(0.09)


def test_unknown_parameter_is_named_in_the_message():
    view = explore("StepLR", {"step_sise": 3})
    assert "step_size" in view.explorer.panel.message.value


def test_unknown_scheduler_name_raises_with_a_suggestion():
    with pytest.raises(SchedulerConfigError, match="Did you mean 'StepLR'"):
        explore("StepLr")


def test_compare_overlays_two_to_four_schedules():
    view = compare_explorer(["StepLR", "CosineAnnealingLR", ("ExponentialLR", {"gamma": 0.8})])
    frame = view.explorer.panel.frame
    assert len(frame.series) == 3 and frame.table == (0, 1, 2)
    with pytest.raises(SchedulerConfigError, match="2 to 4"):
        compare_explorer(["StepLR"])


def test_compose_sequential_is_linear_warmup_then_cosine():
    view = compose_explorer(warmup_iters=3, start_factor=0.1, epochs=10, steps_per_epoch=1)
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
    warm = torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=0.1, total_iters=3)
    cosine = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=7, eta_min=0.0)
    scheduler = torch.optim.lr_scheduler.SequentialLR(optimizer, [warm, cosine], milestones=[3])
    expected = []
    for _ in range(10):
        expected.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    assert _lr_curve(view) == tuple(expected)
    view.explorer.controls["combiner"].value = "ChainedScheduler"
    assert _lr_curve(view) != tuple(expected)


def test_plateau_explorer_shows_metric_improvements_and_patience_counter_from_torch():
    view = plateau_explorer({"patience": 2, "factor": 0.5}, metric="loss that flattens at 1.0")
    frame = view.explorer.panel.frame
    by_label = {s.label: s for s in frame.series}
    metrics = by_label["metric"].y
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, patience=2, factor=0.5)
    lrs, bad, better = [], [], []
    for metric in metrics:
        lrs.append(optimizer.param_groups[0]["lr"])
        best_before = scheduler.best
        optimizer.step()
        scheduler.step(metric)
        bad.append(float(scheduler.num_bad_epochs))
        if scheduler.best != best_before:
            better.append(metric)
    assert by_label["lr"].y == tuple(lrs)
    assert by_label["num_bad_epochs"].y == tuple(bad)
    assert by_label["metric: beat best by > threshold"].y == tuple(better)
    assert 0 < len(better) < len(metrics)
    assert min(lrs) < 0.1, "the flat metric should make the scheduler cut the rate"
    before = by_label["lr"].y
    view.explorer.controls["patience"].value = 6
    assert _lr_curve(view) != before


def test_explorer_options_are_checked():
    with pytest.raises(SchedulerConfigError, match="epochs"):
        explore("StepLR", epoch=5)


def test_blitted_redraw_equals_a_full_redraw():
    import io

    import numpy as np
    from PIL import Image

    view = explore("CosineAnnealingLR")
    panel = view.explorer.panel
    draws = panel.full_draws
    view.explorer.controls["eta_min"].value = 0.01  # same limits: only the line is redrawn
    assert panel.full_draws == draws, "a move that keeps the limits should blit"
    blitted = np.asarray(Image.open(io.BytesIO(bytes(panel.image.value))).convert("RGB"))
    panel.background = None
    panel.draw(panel.frame)
    full = np.asarray(panel.canvas.buffer_rgba())[:, :, :3]
    assert panel.full_draws == draws + 1
    assert np.array_equal(blitted, full)


def test_png_encoder_round_trips_through_pil():
    import io

    import numpy as np
    from PIL import Image

    from lrcourse.display.png import encode_png

    rgba = np.random.default_rng(0).integers(0, 256, size=(7, 5, 4), dtype=np.uint8)
    decoded = np.asarray(Image.open(io.BytesIO(encode_png(rgba))))
    assert decoded.shape == (7, 5, 3)
    assert np.array_equal(decoded, rgba[:, :, :3])


def test_sequential_lr_with_its_own_children_is_explored_as_written():
    view = explore(
        "SequentialLR",
        {
            "schedulers": [
                ("ConstantLR", {"factor": 0.5, "total_iters": 2}),
                ("ExponentialLR", {"gamma": 0.9}),
            ],
            "milestones": [2],
        },
        epochs=6,
        steps_per_epoch=1,
    )
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
    first = torch.optim.lr_scheduler.ConstantLR(optimizer, factor=0.5, total_iters=2)
    second = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.9)
    scheduler = torch.optim.lr_scheduler.SequentialLR(optimizer, [first, second], milestones=[2])
    expected = []
    for _ in range(6):
        expected.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    assert _lr_curve(view) == tuple(expected)
    assert set(view.explorer.controls) == {"epochs", "step_per", "steps_per_epoch", "lr"}


def test_a_larger_plateau_threshold_counts_fewer_improvements():
    view = plateau_explorer(metric="noisy improving loss")
    explorer = view.explorer

    def improvements() -> int:
        series = {s.label: s for s in explorer.panel.frame.series}
        return len(series["metric: beat best by > threshold"].y)

    explorer.controls["threshold"].value = 1e-4
    small = improvements()
    explorer.controls["threshold"].value = 0.1
    assert improvements() < small


def test_the_compare_explorer_starts_where_the_chapter_says_not_snapped():
    from lrcourse.explorers.builders import compare_model

    schedules = [("StepLR", {"step_size": 3}), ("MultiStepLR", {"milestones": [3, 6]})]
    (epochs,) = [c for c in compare_model(schedules, epochs=12).controls if c.name == "epochs"]
    assert epochs.default == 12 and 12 in epochs.values() and epochs.index_of(12) == 1
    (plain,) = [c for c in compare_model(schedules).controls if c.name == "epochs"]
    assert plain.values() == (10, 20, 30, 40)


def test_overlapping_schedules_are_drawn_in_different_line_styles():
    from lrcourse import SchedulerSpec
    from lrcourse.display.figure import course_figure
    from lrcourse.explorers.plots import draw_traces
    from lrcourse.trace import trace_schedule

    specs = [("StepLR", {"step_size": 3}), ("MultiStepLR", {"milestones": [3, 6]})]
    traces = [trace_schedule(SchedulerSpec(*spec), epochs=12) for spec in specs]
    lines = draw_traces(course_figure().subplots(), traces)
    assert len({str(line.get_linestyle()) for line in lines}) == 2


def test_a_values_column_says_which_quantity_it_holds():
    from lrcourse.explorers.builders import descent_model
    from lrcourse.explorers.widgets import column_name, values_table

    model = descent_model(0.05)
    frame = model.compute(model.default_settings())
    assert column_name("lr=0.05", "loss") == "loss (lr=0.05)"  # ch1 headed the loss "lr=0.05"
    assert column_name("lr") == "rate (lr)" and column_name("StepLR", "learning rate") == "StepLR"
    assert column_name("metric", "metric") == "metric"
    ylabels = [panel.ylabel for panel in model.panels]
    assert "<th>loss (lr=0.05)</th>" in values_table(frame, "loss", "step", ylabels)


def test_a_batch_position_reads_as_epoch_plus_batches_not_a_fraction():
    from lrcourse.explorers.builders import scheduler_model
    from lrcourse.explorers.widgets import epoch_text, values_table

    assert epoch_text(2.75, 4) == "2 + 3/4" and epoch_text(3.0, 4) == "3"
    assert epoch_text(5.0, 1) == "5" and epoch_text(0.25, 4) == "0 + 1/4"
    model = scheduler_model("OneCycleLR", None, epochs=5, steps_per_epoch=4, step_per="batch")
    table = values_table(model.compute(model.default_settings()), "lr", "epoch")
    cells = re.findall(r"<tr><td>\d+</td><td>([^<]*)</td>", table)
    assert cells and all(re.fullmatch(r"\d+( \+ \d/4)?", cell) for cell in cells), cells
