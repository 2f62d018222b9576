"""The live progress display: widgets in a kernel, nothing elsewhere, fixed text in the notebook."""

import time

import IPython.display
import pytest

import lrcourse.train.live
from lrcourse import SchedulerSpec, compare_schedules

SCHEDULES = {  # on the regression task the base rate 0.1 diverges; a hundredth of it does not
    "lr 0.001": SchedulerSpec("ConstantLR", {"factor": 0.01, "total_iters": 100}),
    "lr 0.1": SchedulerSpec("StepLR", {"step_size": 100}),
}


def test_outside_a_kernel_nothing_is_displayed(monkeypatch):
    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda *a, **k: shown.append(a))
    assert not lrcourse.train.live.in_kernel()
    compare_schedules(SCHEDULES, task="regression", epochs=2, device="cpu", live=True)
    assert shown == []


@pytest.fixture
def fake_kernel(monkeypatch):
    shown = []
    monkeypatch.setattr(lrcourse.train.live, "in_kernel", lambda: True)
    monkeypatch.setattr(IPython.display, "display", lambda obj, **k: shown.append(obj))
    return shown


def test_in_a_kernel_the_display_updates_and_stores_fixed_text(fake_kernel):
    compare_schedules(SCHEDULES, task="regression", epochs=3, device="cpu", live=True)
    (view,) = fake_kernel
    bundle = view._repr_mimebundle_()
    assert bundle["text/plain"] == (
        "2 schedules × 3 epochs × 8 seeds on regression (live progress appears here in JupyterLab)"
    )
    assert "application/vnd.jupyter.widget-view+json" in bundle
    bar, status, image = view.widget.children
    assert bar.value == bar.max == 6 and bar.bar_style == "success"
    assert "epoch 3/3" in status.value and "<code>cpu</code>" in status.value
    assert bytes(image.value).startswith(
        b"\x89PNG"
    )  # drawn at least once, even with a diverged run


def test_live_false_shows_nothing_even_in_a_kernel(fake_kernel):
    compare_schedules(SCHEDULES, task="regression", epochs=1, device="cpu", live=False)
    assert fake_kernel == []


@pytest.fixture
def shown_rows(fake_kernel, monkeypatch):
    """Each run's line in the display's table after each epoch it reported, in order."""
    rows = []
    update = lrcourse.train.live.LiveProgress.update

    def recording(self, label, epoch, metrics):
        update(self, label, epoch, metrics)
        rows.append(self.rows[label])

    monkeypatch.setattr(lrcourse.train.live.LiveProgress, "update", recording)
    return rows


def test_mid_run_the_display_averages_every_seed_that_has_not_diverged(shown_rows):
    # At lr 0.001 no seed of the digits task is below 0.9x its first loss after one or two
    # epochs: the end-of-run "did not learn" test would drop them all and show nan.
    slow = {"lr 0.001": SchedulerSpec("ConstantLR", {"factor": 0.01, "total_iters": 100})}
    result = compare_schedules(slow, task="digits", epochs=2, device="cpu", live=True)
    (run,) = result.runs
    assert all(step is None for step in run.diverged_at)
    assert len(shown_rows) == 2
    for epoch, row in enumerate(shown_rows):
        train = sum(curve[epoch] for curve in run.seed_train_loss) / len(run.seeds)
        val = sum(curve[epoch] for curve in run.seed_val_loss) / len(run.seeds)
        assert row.startswith(f"epoch {epoch + 1}/2 · train loss {train:.4f} · val loss {val:.4f}")
        assert "nan" not in row and "diverged" not in row


def test_mid_run_a_diverged_run_says_so_instead_of_nan(shown_rows):
    compare_schedules(SCHEDULES, task="regression", epochs=2, device="cpu", live=True)
    assert shown_rows[:2] == [
        "epoch 1/2 · train loss 60.2959 · val loss 43.1620",  # lr 0.001: every seed averaged
        "epoch 1/2 · every seed diverged",  # lr 0.1
    ]
    assert not any("nan" in row for row in shown_rows)


def test_refreshing_the_display_costs_a_small_share_of_training(fake_kernel, monkeypatch):
    shown = []
    start = lrcourse.train.live.LiveProgress.start

    def keep(self, device):
        start(self, device)
        shown.append(self)

    monkeypatch.setattr(lrcourse.train.live.LiveProgress, "start", keep)
    monkeypatch.setattr(lrcourse.train.live, "DISPLAY_SHARE", 0.05)
    schedules = {f"run {k}": SchedulerSpec("StepLR", {"step_size": 3}) for k in range(6)}
    compare_schedules(schedules, task="digits", epochs=6, seeds=2, device="cpu", live=True)
    (progress,) = shown
    elapsed = time.monotonic() - progress.started
    # Refreshes happen only while the total is within budget; the last one may overshoot by
    # its own cost (a status table, a figure); finish() adds one more of each.
    assert progress.spent <= 0.05 * elapsed + 2 * (progress.draw_cost + 0.05)
    assert progress.done == 36 and "epoch 6/6" in progress.status.value
