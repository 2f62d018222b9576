"""plot_trace_grid draws one panel per trace, each holding exactly the rates torch produced."""

from __future__ import annotations

import io

import pytest
import torch

from lrcourse import LRCourseError, plot_trace_grid, plot_traces, trace_schedule
from lrcourse.display.figure import describe_figure


def plain_step_lr_rates(epochs: int) -> list[float]:
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    rates = []
    for _ in range(epochs):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return rates


def test_grid_has_one_visible_panel_per_trace_with_torch_rates():
    traces = [
        trace_schedule("StepLR", {"step_size": 2, "gamma": 0.5}, epochs=6),
        trace_schedule("ExponentialLR", {"gamma": 0.9}, epochs=6),
        trace_schedule("LinearLR", {}, epochs=6),
    ]
    figure = plot_trace_grid(traces, columns=2)
    visible = [ax for ax in figure.axes if ax.get_visible()]
    assert len(visible) == 3
    assert [ax.get_title().split("\n")[0] for ax in visible] == [
        "StepLR",
        "ExponentialLR",
        "LinearLR",
    ]
    assert visible[0].get_title() == "StepLR\nstep_size=2, gamma=0.5"  # parameters in the title
    assert list(visible[0].lines[0].get_ydata()) == plain_step_lr_rates(6)


def test_empty_grid_is_a_course_error():
    with pytest.raises(LRCourseError, match="at least one trace"):
        plot_trace_grid([])


def test_grid_panels_share_one_y_scale_unless_asked_not_to():
    traces = [
        trace_schedule("ConstantLR", {"factor": 0.5, "total_iters": 3}, epochs=6),
        trace_schedule("StepLR", {"step_size": 2, "gamma": 0.25}, epochs=6),
    ]
    shared = [ax for ax in plot_trace_grid(traces, columns=2).axes if ax.get_visible()]
    assert shared[0].get_ylim() == shared[1].get_ylim()
    separate = plot_trace_grid(traces, columns=2, share_y=False, title="t")
    panels = [ax for ax in separate.axes if ax.get_visible()]
    assert panels[0].get_ylim() != panels[1].get_ylim()
    assert "own y scale" in separate._suptitle.get_text()


def test_rates_spanning_decades_get_a_log_axis_and_others_start_at_zero():
    sweep = trace_schedule("ExponentialLR", {"gamma": 10.0}, epochs=5, lr=1e-4)
    halving = trace_schedule("StepLR", {"step_size": 2, "gamma": 0.5}, epochs=6)
    assert plot_traces(sweep).axes[0].get_yscale() == "log"
    linear = plot_traces(halving).axes[0]
    assert linear.get_yscale() == "linear" and linear.get_ylim()[0] == 0


def test_figure_png_carries_alt_text_saying_what_it_shows():
    traces = [trace_schedule("StepLR", {"step_size": 2, "gamma": 0.5}, epochs=6)]
    png = plot_trace_grid(traces, columns=1, title="One scheduler")._repr_png_()
    alt = png_description(png)
    assert alt.startswith("One scheduler")
    assert "learning rate" in alt and "optimizer step" in alt and "StepLR" in alt
    one = describe_figure(plot_traces(traces))
    assert one == "learning rate against optimizer step (StepLR(step_size=2, gamma=0.5))"


def png_description(png: bytes) -> str:
    """Return the PNG's ``Description`` text chunk, read with Pillow (not our own reader)."""
    from PIL import Image

    return Image.open(io.BytesIO(png)).text["Description"]
