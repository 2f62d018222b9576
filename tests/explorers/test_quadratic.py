"""Chapter 1's problem: SGD on a quadratic bowl, checked against a plain torch loop."""

import pytest
import torch

from lrcourse import SchedulerConfigError, plot_descent, run_gradient_descent
from lrcourse.explorers.quadratic import VERDICTS, bowl_loss


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
    ("lr", "verdict"),
    [
        (0.001, "crawls"),
        (0.05, "converges"),
        (0.15, "zig-zags but converges"),
        (0.19, "zig-zags but converges"),
        (0.2, "stalls at the edge"),
        (0.1995, "stalls at the edge"),
        (0.201, "diverges"),
        (0.25, "diverges"),
    ],
)
def test_verdicts_follow_the_recorded_path(lr, verdict):
    assert run_gradient_descent(lr, steps=30).verdict() == verdict


def test_the_chapters_five_rates_give_every_verdict_in_order():
    rates = (0.005, 0.05, 0.15, 0.2, 0.21)
    assert tuple(run_gradient_descent(lr, steps=30).verdict() for lr in rates) == VERDICTS


def test_without_noise_the_best_constant_rate_sits_next_to_two_over_the_curvature_sum():
    sweep = [round(0.01 * k, 2) for k in range(1, 20)]
    best = min(sweep, key=lambda lr: run_gradient_descent(lr, steps=30).final_loss)
    assert abs(best - 2 / (1 + 10)) < 0.01


def test_at_the_edge_the_steep_coordinate_keeps_its_size_forever():
    run = run_gradient_descent(0.2, steps=100)
    assert run.verdict() == "stalls at the edge"
    assert [abs(w[1]) for w in run.weights[-3:]] == [1.0, 1.0, 1.0]
    assert run.final_loss > 0.5 * 10 * 1.0**2 - 1e-9  # the steep term alone never shrinks


def largest_curvature() -> float:
    """Return the bowl's largest Hessian eigenvalue, computed by torch's autograd."""
    curvature = torch.tensor([1.0, 10.0], dtype=torch.float64)
    hessian = torch.autograd.functional.hessian(
        lambda w: bowl_loss(w, curvature), torch.tensor([2.0, 1.0], dtype=torch.float64)
    )
    return torch.linalg.eigvalsh(hessian).max().item()


def test_runs_zig_zag_exactly_above_one_over_the_largest_curvature():
    threshold = 1 / largest_curvature()
    assert threshold == pytest.approx(0.1)
    assert run_gradient_descent(threshold * 0.95).zigzagging_coordinates() == ()
    assert run_gradient_descent(threshold * 1.05).zigzagging_coordinates() == (1,)
    assert run_gradient_descent(0.15).zigzagging_coordinates() == (1,)


def test_runs_diverge_exactly_above_two_over_the_largest_curvature():
    edge = 2 / largest_curvature()
    assert run_gradient_descent(edge * 0.98).verdict() != "diverges"
    assert run_gradient_descent(edge * 1.02).verdict() == "diverges"


def test_non_positive_rate_is_refused():
    with pytest.raises(SchedulerConfigError, match="lr must be > 0"):
        run_gradient_descent(0.0)


def test_plot_descent_displays_as_png():
    figure = plot_descent([run_gradient_descent(0.1, steps=3)])
    png = figure._repr_png_()
    assert png.startswith(b"\x89PNG")
    assert len(figure.axes) == 2
