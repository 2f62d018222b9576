"""Chapter 1's problem: SGD on a quadratic bowl, checked against a plain torch loop."""

import pytest
import torch

from lrcourse import SchedulerConfigError, plot_descent, run_gradient_descent


def test_descent_matches_a_plain_sgd_loop():
    run = run_gradient_descent(0.1, steps=5, curvatures=(1.0, 10.0), start=(2.0, 1.0))
    w = torch.nn.Parameter(torch.tensor([2.0, 1.0], dtype=torch.float64))
    optimizer = torch.optim.SGD([w], lr=0.1)
    for step in range(5):
        assert run.weights[step] == tuple(w.detach().tolist())
        optimizer.zero_grad()
        (0.5 * (torch.tensor([1.0, 10.0], dtype=torch.float64) * w**2).sum()).backward()
        optimizer.step()
    assert run.weights[5] == tuple(w.detach().tolist())


@pytest.mark.parametrize(
    ("lr", "verdict"), [(0.001, "crawls"), (0.15, "converges"), (0.25, "diverges")]
)
def test_verdicts_follow_the_loss(lr, verdict):
    assert run_gradient_descent(lr, steps=30).verdict() == verdict


def test_non_positive_rate_is_refused():
    with pytest.raises(SchedulerConfigError, match="lr must be > 0"):
        run_gradient_descent(0.0)


def test_plot_descent_displays_as_png():
    figure = plot_descent([run_gradient_descent(0.1, steps=3)])
    png = figure._repr_png_()
    assert png.startswith(b"\x89PNG")
    assert len(figure.axes) == 2
