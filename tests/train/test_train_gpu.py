"""The GPU path, run for real where a CUDA device exists; skipped (reason shown by ``-ra``) elsewhere.

CI has no GPU, so these run on the device machine: ``python -m pytest tests/test_train_gpu.py``.
What they measured there is in ``benchmarks/RESULTS.md``.
"""

import warnings

import pytest
import torch
from torch.profiler import ProfilerActivity, profile

from lrcourse import SchedulerSpec, compare_schedules, pick_device, start_run
from lrcourse.train.checkpoint import resume_run, save_checkpoint

pytestmark = pytest.mark.skipif(
    not torch.cuda.is_available(),
    reason="no CUDA device here: the GPU path is checked on a GPU machine (benchmarks/RESULTS.md)",
)

ONE_CYCLE = SchedulerSpec("OneCycleLR", {"max_lr": 0.5})
PLATEAU = SchedulerSpec("ReduceLROnPlateau", {"factor": 0.5, "patience": 0, "threshold": 0.5})


def test_the_automatic_choice_is_cuda_and_everything_lives_there(monkeypatch):
    monkeypatch.delenv("LRCOURSE_DEVICE", raising=False)
    assert pick_device().type == "cuda"
    run = start_run(ONE_CYCLE, epochs=1)
    assert run.task.train_inputs.device.type == "cuda"
    assert run.task.val_targets.device.type == "cuda"
    assert {p.device.type for p in run.model.parameters()} == {"cuda"}


def test_same_seed_same_numbers_on_cuda():
    first = start_run(ONE_CYCLE, device="cuda", epochs=3).train(3).history()
    second = start_run(ONE_CYCLE, device="cuda", epochs=3).train(3).history()
    assert first == second


def test_cuda_follows_the_same_schedule_and_lands_near_cpu():
    gpu = start_run(ONE_CYCLE, device="cuda", epochs=3).train(3).history()
    cpu = start_run(ONE_CYCLE, device="cpu", epochs=3).train(3).history()
    assert gpu.lrs == cpu.lrs  # the schedule does not depend on the device
    # Float sums run in another order on the GPU, so losses differ in the last digits only.
    assert gpu.train_loss == pytest.approx(cpu.train_loss, rel=1e-3)
    assert gpu.val_accuracy == pytest.approx(cpu.val_accuracy, abs=0.01)


def test_a_resumed_cuda_run_equals_the_uninterrupted_one(tmp_path):
    whole = start_run(PLATEAU, device="cuda", epochs=4).train(4)
    path = save_checkpoint(start_run(PLATEAU, device="cuda", epochs=4).train(2), tmp_path / "r.pt")
    resumed = resume_run(path, PLATEAU, device="cuda").train(2)
    assert resumed.history() == whole.history()
    for name, tensor in whole.model.state_dict().items():
        assert torch.equal(resumed.model.state_dict()[name], tensor), name


def test_an_epoch_copies_to_the_device_once_and_waits_for_it_once():
    """No per-step host<->device traffic: the counts must not grow with the number of batches."""
    run = start_run(ONE_CYCLE, device="cuda", epochs=4)
    run.train(1)  # warm-up: first-call allocations and kernel loads
    steps, epochs = run.task.steps_per_epoch, 2
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
            torch.cuda.set_sync_debug_mode("warn")  # warns of each call that waits for the GPU
            try:
                run.train(epochs)
            finally:
                torch.cuda.set_sync_debug_mode("default")
            torch.cuda.synchronize()
    syncs = [w for w in caught if "called a synchronizing CUDA operation" in str(w.message)]
    copies_in = [e for e in prof.events() if "Memcpy HtoD" in e.name]
    copies_out = [e for e in prof.events() if "Memcpy DtoH" in e.name]
    print(
        f"\n{steps} steps/epoch x {epochs} epochs: {len(syncs)} syncs, "
        f"{len(copies_in)} host-to-device and {len(copies_out)} device-to-host copies"
    )
    assert steps >= 10
    # Per epoch: the batch order goes in (one copy), the epoch's metrics come out (one copy).
    assert len(syncs) <= 2 * epochs
    assert len(copies_in) <= epochs
    assert len(copies_out) <= epochs


def test_a_comparison_runs_on_cuda_and_says_so():
    result = compare_schedules(
        {"one-cycle": ONE_CYCLE, "plateau": PLATEAU}, epochs=3, seed=0, live=False, device="cuda"
    )
    assert result.device.startswith("cuda")
    assert [run.label for run in result.runs] == ["one-cycle", "plateau"]
