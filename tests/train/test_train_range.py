"""The learning-rate range test: rates from a real ExponentialLR, a suggestion below the blow-up."""

import math

import pytest
import torch

from lrcourse import load_task, trace_schedule
from lrcourse.errors import DeviceError, TrainingConfigError
from lrcourse.train.range_test import lr_range_test, smooth

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_rates_come_from_a_real_exponential_scheduler():
    result = lr_range_test("regression", start_lr=1e-4, end_lr=1.0, steps=40, device="cpu")
    gamma = (1.0 / 1e-4) ** (1 / 39)
    expected = trace_schedule(
        "ExponentialLR", {"gamma": gamma}, epochs=40, lr=1e-4, optimizer_params={"momentum": 0.9}
    )
    assert result.lrs == pytest.approx(expected.lr, rel=1e-12)
    assert result.lrs[0] == pytest.approx(1e-4) and result.lrs[-1] == pytest.approx(1.0)


def test_suggestion_lies_before_the_blow_up_and_the_minimum():
    result = lr_range_test("regression", start_lr=1e-5, end_lr=1.0, steps=60, device="cpu")
    assert result.diverged_at is not None  # a rate of 1 on this problem diverges
    assert not math.isfinite(result.losses[-1]) or result.losses[-1] > 10 * min(result.losses)
    assert result.lrs[0] < result.suggestion <= result.lr_at_min_loss < result.diverged_lr


def test_same_seed_same_curve():
    first = lr_range_test("digits", steps=30, device="cpu")
    assert first == lr_range_test("digits", steps=30, device="cpu")
    assert first.summary() == lr_range_test("digits", steps=30, device="cpu").summary()


def test_losses_match_a_plain_torch_run_of_the_first_steps():
    result = lr_range_test("digits", start_lr=1e-3, end_lr=1e-1, steps=5, device="cpu", seeds=2)
    task = load_task("digits")
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10))
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=100 ** (1 / 4))
    order = torch.randperm(task.train_size, generator=torch.Generator().manual_seed(0))
    losses = []
    for step in range(5):
        index = order[step * 64 : (step + 1) * 64]
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(
            model(task.train_inputs[index]), task.train_targets[index]
        )
        loss.backward()
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
    assert result.seed_losses[0] == pytest.approx(losses, rel=1e-5)
    mean = [(a + b) / 2 for a, b in zip(*result.seed_losses, strict=True)]
    assert result.losses == pytest.approx(mean, rel=1e-12)
    assert result.seed_losses[1] != result.seed_losses[0]  # seed 1: other weights, other batches


def test_smoothing_is_a_bias_corrected_average():
    assert smooth([2.0, 2.0, 2.0], 0.9) == pytest.approx([2.0, 2.0, 2.0])
    # second value: (0.5 * (0.5 * 1.0) + 0.5 * 3.0) / (1 - 0.5**2)
    assert smooth([1.0, 3.0], 0.5) == pytest.approx([1.0, (0.25 + 1.5) / 0.75])


def test_figure_uses_a_log_rate_axis():
    figure = lr_range_test("regression", steps=30, device="cpu").figure()
    assert figure.axes[0].get_xscale() == "log"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"start_lr": 1.0, "end_lr": 0.1}, "0 < start_lr < end_lr"),
        ({"start_lr": 0.0}, "0 < start_lr < end_lr"),
        ({"steps": 2}, "steps must be"),
        ({"smoothing": 1.0}, "smoothing"),
    ],
)
def test_bad_settings_are_refused(options, message):
    with pytest.raises(TrainingConfigError, match=message):
        lr_range_test("digits", device="cpu", **options)


def test_unknown_device_is_refused():
    with pytest.raises(DeviceError):
        lr_range_test(device="npu")
