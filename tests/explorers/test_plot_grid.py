"""plot_trace_grid draws one panel per trace, each holding exactly the rates torch produced."""

from __future__ import annotations

import pytest
import torch

from lrcourse import LRCourseError, plot_trace_grid, trace_schedule


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
    assert [ax.get_title() for ax in visible] == ["StepLR", "ExponentialLR", "LinearLR"]
    assert list(visible[0].lines[0].get_ydata()) == plain_step_lr_rates(6)


def test_empty_grid_is_a_course_error():
    with pytest.raises(LRCourseError, match="at least one trace"):
        plot_trace_grid([])
