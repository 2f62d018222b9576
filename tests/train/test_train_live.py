"""The live progress display: widgets in a kernel, nothing elsewhere, fixed text in the notebook."""

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
