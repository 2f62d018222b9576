"""The training demos: the same numbers as a plain torch loop, schedulers stepped when they should be."""

import pytest
import torch
from torch import nn
from torch.optim import lr_scheduler

import lrcourse
from lrcourse import SchedulerSpec, compare_schedules, pick_device, trace_schedule, trace_scheduler
from lrcourse.errors import DeviceError, LRCourseError, TrainingConfigError
from lrcourse.train.loop import TrainingRun

EPOCHS = 3


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def plain_torch_run(make_scheduler, *, epochs, seed=0, step_per="epoch", dtype=torch.float32):
    """The loop a learner would write, with the batch order lrcourse documents (seed, epoch)."""
    task = lrcourse.load_task("digits")
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10)).to(dtype)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = make_scheduler(optimizer)
    losses, lrs = [], []
    for epoch in range(epochs):
        order = torch.randperm(
            task.train_size, generator=torch.Generator().manual_seed(seed * 1_000_003 + epoch)
        )
        total = 0.0
        for start in range(0, task.train_size, 64):
            index = order[start : start + 64]
            lrs.append(optimizer.param_groups[0]["lr"])
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(
                model(task.train_inputs[index].to(dtype)), task.train_targets[index]
            )
            loss.backward()
            optimizer.step()
            if step_per == "batch":
                scheduler.step()
            total += loss.item() * len(index)
        losses.append(total / task.train_size)
        if step_per == "epoch":
            scheduler.step()
    return model, losses, lrs


def test_each_seed_of_the_batched_model_matches_its_own_plain_torch_loop():
    def step_lr(opt):
        return lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)

    result = compare_schedules(
        {"StepLR": step_lr}, epochs=EPOCHS, seeds=3, device="cpu", live=False
    )
    run = result["StepLR"]
    assert run.seeds == (0, 1, 2)
    for k, seed in enumerate(run.seeds):
        # The batched seeds compute in float64 (lrcourse.train.seeds says why).
        _, losses, lrs = plain_torch_run(step_lr, epochs=EPOCHS, seed=seed, dtype=torch.float64)
        assert run.seed_lrs[k] == pytest.approx(lrs, rel=0, abs=0)
        assert run.seed_train_loss[k] == pytest.approx(losses, rel=1e-9)
    mean_first_epoch = sum(curve[0] for curve in run.seed_train_loss) / 3
    assert run.train_loss[0] == pytest.approx(mean_first_epoch, rel=1e-12)
    assert run.step_per == "epoch"


def test_the_seeds_of_one_schedule_differ_and_the_table_gives_mean_and_sd():
    spec = SchedulerSpec("StepLR", {"step_size": 2})
    result = compare_schedules({"s": spec}, epochs=2, seeds=4, device="cpu", live=False)
    finals = [curve[-1] for curve in result["s"].seed_val_loss]
    assert len(set(finals)) == 4
    assert "4 seeds, mean ± sd" in result.table_text()
    assert " ± " in result.table_text().splitlines()[-1]


def test_one_seed_prints_plain_numbers():
    spec = SchedulerSpec("StepLR", {"step_size": 2})
    result = compare_schedules({"s": spec}, epochs=1, seeds=1, seed=5, device="cpu", live=False)
    assert result.seeds == (5,)
    assert "seed 5" in result.table_text() and "±" not in result.table_text()


@pytest.mark.parametrize("seeds", [0, -2, [], [1, 1], True, 2.5])
def test_bad_seeds_are_refused(no_training, seeds):
    with pytest.raises(TrainingConfigError, match="seeds must"):
        compare_schedules({"s": SchedulerSpec("StepLR", {"step_size": 1})}, seeds=seeds)


def test_same_seed_same_numbers_and_another_seed_differs():
    schedules = {"cosine": SchedulerSpec("CosineAnnealingLR", {"T_max": EPOCHS})}
    first = compare_schedules(schedules, epochs=EPOCHS, seed=3, device="cpu", live=False)
    second = compare_schedules(schedules, epochs=EPOCHS, seed=3, device="cpu", live=False)
    other = compare_schedules(schedules, epochs=EPOCHS, seed=4, device="cpu", live=False)
    assert first == second
    assert first.table_text() == second.table_text()
    assert first.runs[0].val_loss != other.runs[0].val_loss


def test_runs_start_from_the_same_weights_and_batches():
    # Two identical schedules under different labels must give identical runs.
    spec = SchedulerSpec("StepLR", {"step_size": 2})
    result = compare_schedules({"a": spec, "b": spec}, epochs=2, device="cpu", live=False)
    a, b = result.runs
    assert a.train_loss == b.train_loss and a.val_accuracy == b.val_accuracy


def test_one_cycle_is_stepped_per_batch_and_matches_torch():
    spec = SchedulerSpec("OneCycleLR", {"max_lr": 0.5})
    result = compare_schedules({"one-cycle": spec}, epochs=EPOCHS, device="cpu", live=False)
    run = result["one-cycle"]
    steps = run.steps_per_epoch * EPOCHS
    expected = trace_schedule(
        "OneCycleLR",
        {"max_lr": 0.5, "total_steps": steps},
        epochs=EPOCHS,
        steps_per_epoch=run.steps_per_epoch,
        step_per="batch",
    )
    assert run.step_per == "batch"
    assert run.lrs == pytest.approx(expected.lr, rel=1e-12)
    assert len(set(run.lrs[: run.steps_per_epoch])) == run.steps_per_epoch  # moves every batch


def test_plateau_is_driven_by_each_seeds_own_validation_loss():
    spec = SchedulerSpec("ReduceLROnPlateau", {"factor": 0.5, "patience": 0, "threshold": 0.02})
    result = compare_schedules({"plateau": spec}, epochs=6, seeds=4, device="cpu", live=False)
    run = result["plateau"]
    for k in range(4):
        expected = trace_scheduler(
            lambda opt: lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=0, threshold=0.02),
            epochs=6,
            steps_per_epoch=run.steps_per_epoch,
            metrics=run.seed_val_loss[k],
        )
        assert run.seed_lrs[k] == pytest.approx(expected.lr, rel=1e-12)
    assert min(run.seed_final_lr) < run.lrs[0]  # the threshold is strict enough that it reduces
    assert len(set(run.seed_lrs)) > 1  # seeds meet their plateaus at different epochs


def test_warmup_then_cosine_composition_follows_torch():
    spec = SchedulerSpec(
        "SequentialLR",
        {
            "schedulers": [
                ("LinearLR", {"start_factor": 0.1, "total_iters": 2}),
                ("CosineAnnealingLR", {"T_max": 2}),
            ],
            "milestones": [2],
        },
    )
    result = compare_schedules({"warm-up": spec}, epochs=4, device="cpu", live=False)
    run = result["warm-up"]
    expected = trace_schedule(spec, epochs=4, steps_per_epoch=run.steps_per_epoch)
    assert run.lrs == pytest.approx(expected.lr, rel=1e-12)


def test_regression_task_has_no_accuracy_and_a_rate_too_high_diverges():
    schedules = {
        "lr 0.001": lambda opt: lr_scheduler.ConstantLR(opt, factor=0.01, total_iters=100),
        "lr 0.1": lambda opt: lr_scheduler.ConstantLR(opt, factor=1.0),
    }
    result = compare_schedules(schedules, task="regression", epochs=2, device="cpu", live=False)
    assert result["lr 0.001"].val_accuracy is None
    assert torch.isfinite(torch.tensor(result["lr 0.001"].val_loss)).all()
    assert not torch.isfinite(torch.tensor(result["lr 0.1"].val_loss[-1]))
    assert "diverged" in result.table_text()


def test_asking_for_an_unknown_schedule_names_the_ones_there():
    result = compare_schedules(
        {"a": SchedulerSpec("StepLR", {"step_size": 1})}, epochs=1, device="cpu", live=False
    )
    with pytest.raises(TrainingConfigError, match="no schedule 'b'; schedules: a"):
        result["b"]
    assert repr(result) == "Comparison(task='digits', epochs=1, seed=0, runs=['a'])"


def test_figure_has_loss_accuracy_and_rate_panels():
    spec = SchedulerSpec("StepLR", {"step_size": 1})
    figure = compare_schedules({"s": spec}, epochs=1, device="cpu", live=False).figure()
    assert len(figure.axes) == 3
    assert figure._repr_png_().startswith(b"\x89PNG")


# ---- device --------------------------------------------------------------------------------


def test_pick_device_prefers_the_override_then_the_environment(monkeypatch):
    monkeypatch.setenv("LRCOURSE_DEVICE", "cpu")
    assert pick_device() == torch.device("cpu")
    assert pick_device("cpu") == torch.device("cpu")


def test_pick_device_falls_back_to_cpu(monkeypatch):
    monkeypatch.delenv("LRCOURSE_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert pick_device() == torch.device("cpu")


@pytest.mark.parametrize("name", ["gpu", "tpu0", "meta"])
def test_unknown_device_names_the_valid_choices(name):
    with pytest.raises(DeviceError, match="cuda, mps, cpu"):
        pick_device(name)


def test_unavailable_device_says_what_is_available(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(DeviceError, match=r"no cuda device.*Available here: .*cpu"):
        pick_device("cuda")


def test_bad_environment_device_names_the_variable(monkeypatch):
    monkeypatch.setenv("LRCOURSE_DEVICE", "gpu")
    with pytest.raises(DeviceError, match="LRCOURSE_DEVICE='gpu'"):
        pick_device()


# ---- bad input fails before training --------------------------------------------------------


@pytest.fixture
def no_training(monkeypatch):
    def fail(self):
        raise AssertionError("training started")

    monkeypatch.setattr(TrainingRun, "train_epoch", fail)


def test_unknown_device_fails_before_training(no_training):
    with pytest.raises(DeviceError):
        compare_schedules({"s": SchedulerSpec("StepLR", {"step_size": 1})}, device="gpu")


@pytest.mark.parametrize("empty", [{}, []])
def test_empty_schedule_list_is_refused(no_training, empty):
    with pytest.raises(TrainingConfigError, match="schedules is empty"):
        compare_schedules(empty)


def test_plateau_fed_no_metric_is_refused(no_training):
    spec = SchedulerSpec("ReduceLROnPlateau", {})
    with pytest.raises(TrainingConfigError, match="needs a metric but monitor=None"):
        compare_schedules({"plateau": spec}, monitor=None)


def test_plateau_stepped_per_batch_is_refused(no_training):
    spec = SchedulerSpec("ReduceLROnPlateau", {})
    with pytest.raises(TrainingConfigError, match="step_per='batch' would feed it no metric"):
        compare_schedules({"plateau": spec}, step_per="batch")


def test_plateau_inside_sequential_is_reported_with_its_label(no_training):
    def make(opt):
        return lr_scheduler.SequentialLR(
            opt,
            [lr_scheduler.LinearLR(opt, total_iters=2), lr_scheduler.ReduceLROnPlateau(opt)],
            milestones=[2],
        )

    with pytest.raises(
        TrainingConfigError, match=r"'warm plateau'.*does not support `ReduceLROnPlateau`"
    ):
        compare_schedules({"warm plateau": make})


def test_one_cycle_too_short_is_refused(no_training):
    spec = SchedulerSpec("OneCycleLR", {"max_lr": 0.5, "total_steps": 10})
    with pytest.raises(TrainingConfigError, match="total_steps=10"):
        compare_schedules({"short": spec}, epochs=2)


def test_bad_scheduler_parameter_names_the_schedule(no_training):
    with pytest.raises(LRCourseError, match=r"'mine'.*step_size"):
        compare_schedules({"mine": SchedulerSpec("StepLR", {"step_sise": 2})})


def test_a_function_returning_no_scheduler_is_refused(no_training):
    with pytest.raises(TrainingConfigError, match="returned float"):
        compare_schedules({"oops": lambda opt: 0.1})


@pytest.mark.parametrize("epochs", [0, -1, 2.5, True])
def test_bad_epochs_are_refused(no_training, epochs):
    with pytest.raises(TrainingConfigError, match="epochs must be"):
        compare_schedules({"s": SchedulerSpec("StepLR", {"step_size": 1})}, epochs=epochs)


def test_unknown_task_lists_the_tasks(no_training):
    with pytest.raises(TrainingConfigError, match="digits, regression"):
        compare_schedules({"s": SchedulerSpec("StepLR", {"step_size": 1})}, task="mnist")


def test_a_list_of_specs_is_labelled_by_the_specs():
    specs = [
        SchedulerSpec("StepLR", {"step_size": 1}),
        SchedulerSpec("ExponentialLR", {"gamma": 0.5}),
    ]
    result = compare_schedules(specs, epochs=1, device="cpu", live=False)
    assert [run.label for run in result.runs] == [
        "StepLR(step_size=1)",
        "ExponentialLR(gamma=0.5)",
    ]


def test_step_per_naming_an_unknown_schedule_is_refused(no_training):
    spec = SchedulerSpec("StepLR", {"step_size": 1})
    with pytest.raises(TrainingConfigError, match=r"unknown schedule.*typo"):
        compare_schedules({"a": spec}, step_per={"typo": "batch"})


def test_a_monitor_the_demo_does_not_record_is_refused(no_training):
    spec = SchedulerSpec("ReduceLROnPlateau", {})
    with pytest.raises(TrainingConfigError, match="val_loss, train_loss, val_accuracy"):
        compare_schedules({"plateau": spec}, monitor="val_f1")


def test_a_scheduler_built_on_another_optimizer_is_refused(no_training):
    stray = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    with pytest.raises(TrainingConfigError, match="another optimizer"):
        compare_schedules({"stray": lambda opt: lr_scheduler.StepLR(stray, step_size=1)})


def test_a_composition_holding_a_per_batch_scheduler_steps_per_batch():
    spec = SchedulerSpec(
        "SequentialLR",
        {
            "schedulers": [
                ("ConstantLR", {"factor": 0.5, "total_iters": 5}),
                ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 5}),
            ],
            "milestones": [5],
        },
    )
    run = compare_schedules({"c": spec}, epochs=1, device="cpu", live=False)["c"]
    expected = trace_schedule(spec, epochs=1, steps_per_epoch=run.steps_per_epoch, step_per="batch")
    assert run.step_per == "batch"
    assert run.lrs == pytest.approx(expected.lr, rel=1e-12)


def test_a_comparison_figure_draws_rates_a_decade_apart_on_a_log_axis():
    constant = SchedulerSpec("ConstantLR", {"factor": 1.0, "total_iters": 0})
    apart = compare_schedules({"constant": constant}, lr=[0.01, 0.5], epochs=1, seeds=1, live=False)
    close = compare_schedules({"constant": constant}, lr=[0.1, 0.5], epochs=1, seeds=1, live=False)
    assert apart.figure().axes[-1].get_yscale() == "log"
    assert close.figure().axes[-1].get_yscale() == "linear"
