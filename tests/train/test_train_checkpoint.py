"""Checkpoint and resume: a resumed run continues exactly like the uninterrupted one."""

import pytest
import torch
from torch.optim import lr_scheduler

from lrcourse import SchedulerSpec, start_run
from lrcourse.errors import TrainingConfigError
from lrcourse.train.checkpoint import resume_run, save_checkpoint

TOTAL, CUT = 4, 2

SCHEDULES = {
    "OneCycleLR per batch": SchedulerSpec("OneCycleLR", {"max_lr": 0.5}),
    "ReduceLROnPlateau": SchedulerSpec(
        "ReduceLROnPlateau", {"factor": 0.5, "patience": 0, "threshold": 0.5}
    ),
    "warm-up then cosine": SchedulerSpec(
        "SequentialLR",
        {
            "schedulers": [
                ("LinearLR", {"start_factor": 0.1, "total_iters": 2}),
                ("CosineAnnealingLR", {"T_max": 2}),
            ],
            "milestones": [2],
        },
    ),
}


@pytest.mark.parametrize("label", SCHEDULES)
def test_resumed_run_equals_the_uninterrupted_run(tmp_path, label):
    schedule = SCHEDULES[label]
    whole = start_run(schedule, epochs=TOTAL, device="cpu", label=label).train(TOTAL)

    first_half = start_run(schedule, epochs=TOTAL, device="cpu", label=label).train(CUT)
    path = save_checkpoint(first_half, tmp_path / "run.pt")
    del first_half
    resumed = resume_run(path, schedule, device="cpu").train(TOTAL - CUT)

    assert resumed.history() == whole.history()  # losses, accuracies, every step's rate
    for name, tensor in whole.model.state_dict().items():
        assert torch.equal(resumed.model.state_dict()[name], tensor), name
    assert resumed.scheduler.state_dict() == whole.scheduler.state_dict()


def test_resume_works_with_a_function_schedule_and_adam(tmp_path):
    def cyclic(opt):
        return lr_scheduler.CyclicLR(opt, base_lr=1e-4, max_lr=1e-2, step_size_up=10)

    options = {"device": "cpu", "optimizer": "Adam", "lr": 1e-3}
    whole = start_run(cyclic, **options).train(3)
    path = save_checkpoint(start_run(cyclic, **options).train(1), tmp_path / "c.pt")
    resumed = resume_run(path, cyclic, device="cpu").train(2)  # Adam's settings come from the file
    assert resumed.step_per == "batch"
    assert resumed.history() == whole.history()
    assert torch.equal(resumed.model[0].weight, whole.model[0].weight)


def test_resume_with_another_scheduler_is_refused(tmp_path):
    spec = SchedulerSpec("StepLR", {"step_size": 1})
    path = save_checkpoint(start_run(spec, device="cpu").train(1), tmp_path / "s.pt")
    with pytest.raises(
        TrainingConfigError, match=r"holds a StepLR scheduler.*builds ExponentialLR"
    ):
        resume_run(path, SchedulerSpec("ExponentialLR", {"gamma": 0.9}), device="cpu")


def test_a_file_that_is_not_a_checkpoint_is_refused(tmp_path):
    path = tmp_path / "notes.pt"
    path.write_text("not a checkpoint")
    with pytest.raises(TrainingConfigError, match="could not be read"):
        resume_run(path, SchedulerSpec("StepLR", {"step_size": 1}), device="cpu")
    with pytest.raises(TrainingConfigError, match="does not exist"):
        resume_run(tmp_path / "missing.pt", SchedulerSpec("StepLR", {"step_size": 1}))
