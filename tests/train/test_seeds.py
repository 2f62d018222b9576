"""Several seeds as one batched model: equal to separate runs, categories for failed and erratic
runs, peak sweeps, and numbers printed at the precision their spread justifies."""

from dataclasses import replace

import pytest
import torch
from torch import nn

import lrcourse
from lrcourse import SchedulerSpec, compare_schedules
from lrcourse.train.seeds import SeedBatch
from lrcourse.train.stats import format_mean_sd, visible_shift

pytestmark = pytest.mark.usefixtures("one_torch_thread")

CONSTANT = SchedulerSpec("LambdaLR", {"lr_lambda": lambda epoch: 1.0})


def plain_run(task, seed, *, epochs, make_optimizer):
    """One seed's run as a learner writes it, in float64 like the engine: mean loss per epoch."""
    model = task.make_model(seed).double()
    optimizer = make_optimizer(model.parameters())
    losses = []
    for epoch in range(epochs):
        order = lrcourse.train.loop.epoch_order(task.train_size, seed, epoch)
        total = 0.0
        for start in range(0, task.train_size, 64):
            index = order[start : start + 64]
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(
                model(task.train_inputs[index].double()), task.train_targets[index]
            )
            loss.backward()
            optimizer.step()
            total += loss.item() * len(index)
        losses.append(total / task.train_size)
    return losses


def test_one_adam_over_the_stacked_seeds_equals_one_adam_per_seed():
    result = compare_schedules(
        {"c": CONSTANT}, optimizer="Adam", lr=0.01, epochs=2, seeds=[3, 7], live=False
    )
    for k, seed in enumerate((3, 7)):
        expected = plain_run(
            lrcourse.load_task("digits"),
            seed,
            epochs=2,
            make_optimizer=lambda params: torch.optim.Adam(params, lr=0.01),
        )
        assert result["c"].seed_train_loss[k] == pytest.approx(expected, rel=1e-9)


def test_the_seeds_train_in_float64():
    batch = SeedBatch(lrcourse.load_task("digits"), (0, 1))
    assert {p.dtype for p in batch.parameters()} == {torch.float64}
    assert batch.parameters()[0].shape[0] == 2


def test_a_rate_that_blows_up_is_reported_as_diverged_with_its_step_not_as_a_number():
    result = compare_schedules({"c": CONSTANT}, task="regression", lr=0.1, epochs=2, live=False)
    run = result["c"]
    assert all(step is not None and step < run.steps_per_epoch for step in run.diverged_at)
    assert run.kept() == []
    row = result.table_text().splitlines()[-1]
    assert "diverged" in row and "8 diverged (from step" in row and "±" not in row


def test_a_stable_rate_is_not_erratic_and_prints_its_numbers():
    result = compare_schedules(
        {"c": CONSTANT}, lr=0.05, epochs=2, seeds=4, check_erratic=True, live=False
    )
    assert len(result["c"].twin_final) == 4
    assert not result["c"].erratic()
    assert "erratic" not in result.table_text() and " ± " in result.table_text()


def test_twins_start_a_few_rounding_steps_from_their_seeds():
    task = lrcourse.load_task("digits")
    batch = SeedBatch(task, (0, 0), nudges=(0.0, 1e-6))
    first, twin = (p[0] for p in batch.parameters()), (p[1] for p in batch.parameters())
    for a, b in zip(first, twin, strict=True):
        assert not torch.equal(a, b)
        assert torch.allclose(a, b, rtol=2e-6, atol=0)


def test_a_peak_sweep_trains_every_schedule_at_every_peak_and_one_cycle_peaks_at_lr():
    result = compare_schedules(
        {"cycle": SchedulerSpec("OneCycleLR", {}), "constant": CONSTANT},
        lr=[0.05, 0.2],
        epochs=1,
        seeds=2,
        live=False,
    )
    assert [run.label for run in result.runs] == [
        "cycle · lr=0.05",
        "cycle · lr=0.2",
        "constant · lr=0.05",
        "constant · lr=0.2",
    ]
    assert max(result["cycle · lr=0.2"].lrs) == pytest.approx(0.2, rel=1e-3)
    best = result.best()
    assert [run.schedule for run in best.runs] == ["cycle", "constant"]
    for run in best.runs:
        others = [r for r in result.runs if r.schedule == run.schedule]
        assert run.val_loss[-1] == min(r.val_loss[-1] for r in others if r.kept())
    sweep = result.sweep_table_text()
    assert (
        "lr=0.05" in sweep and "lr=0.2" in sweep and sweep.count("*") == 1 + 2
    )  # the title, and one best peak per schedule


@pytest.mark.parametrize("lr", [[], [0.1, 0.1], [-1.0], "0.1", [True]])
def test_a_bad_peak_list_is_refused(lr):
    with pytest.raises(lrcourse.errors.TrainingConfigError, match="lr must be"):
        compare_schedules({"c": CONSTANT}, lr=lr, epochs=1, live=False)


def test_the_mean_is_printed_to_the_first_digit_of_the_spread():
    assert format_mean_sd([0.361, 0.372, 0.355]) == "0.363 ± 0.009"
    assert format_mean_sd([0.31, 0.52, 0.44]) == "0.4 ± 0.1"
    assert format_mean_sd([0.9611, 0.9722], scale=100) == "96.7 ± 0.8"
    assert format_mean_sd([0.12345]) == "0.1235"  # one seed: no spread to round to


def test_a_shift_is_visible_when_it_could_move_the_printed_mean():
    values = [0.36, 0.37, 0.35, 0.36]  # sd ~0.008: printed to 0.001
    assert not visible_shift(values, [v + 1e-6 for v in values])
    assert visible_shift(values, [v + 0.002 for v in values])


def test_noisy_digits_changes_a_fifth_of_the_training_labels_and_none_of_the_validation_labels():
    clean, noisy = lrcourse.load_task("digits"), lrcourse.load_task("noisy-digits")
    changed = (clean.train_targets != noisy.train_targets).float().mean().item()
    assert 0.15 < changed < 0.2  # 20% redrawn, about a tenth of those redraw their own digit
    assert torch.equal(clean.val_targets, noisy.val_targets)
    assert torch.equal(clean.train_inputs, noisy.train_inputs)


def test_a_model_off_the_fast_path_trains_each_seed_like_its_own_loop():
    # Tanh is not on the baddbmm fast path: the seeds go through vmap(functional_call).
    def build():
        return nn.Sequential(nn.Linear(64, 16), nn.Tanh(), nn.Linear(16, 10))

    task = replace(lrcourse.load_task("digits"), build_model=build, name="tanh digits")
    assert SeedBatch(task, (0, 1))._layers is None
    result = compare_schedules({"c": CONSTANT}, task=task, lr=0.05, epochs=1, seeds=2, live=False)
    for k, seed in enumerate((0, 1)):
        [expected] = plain_run(
            task,
            seed,
            epochs=1,
            make_optimizer=lambda params: torch.optim.SGD(params, lr=0.05, momentum=0.9),
        )
        assert result["c"].seed_train_loss[k][0] == pytest.approx(expected, rel=1e-9)
