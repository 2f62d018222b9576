"""The formula beside each explorer is torch's rule: its transcription equals the real trace.

For each scheduler, the explorer's default settings and each control at its lowest and highest
value (one at a time) are traced by the real torch class over 40 steps and compared with the
Python transcription of the formula the page shows (``lrcourse/explorers/formulas.py``).
"""

from __future__ import annotations

import math

import pytest

import lrcourse
from lrcourse.explorers.controls import controls_for
from lrcourse.explorers.formulas import FORMULAS, Formula, formula_html
from lrcourse.trace import COMPOSITE_SCHEDULERS, SCHEDULER_NAMES

STEPS, LR = 40, 0.1
CLOSED_FORMS = [name for name, formula in FORMULAS.items() if formula.rate is not None]
SKIPPED_CONTROLS = {"cycle_momentum", "base_momentum", "max_momentum"}


def settings_of(name: str) -> list[dict]:
    """The explorer's defaults, then each control moved to its two ends, one at a time."""
    controls = [c for c in controls_for(name).controls if c.name not in SKIPPED_CONTROLS]
    defaults = {control.name: control.default for control in controls}
    settings = [defaults]
    for control in controls:
        for value in (control.values()[0], control.values()[-1]):
            settings.append({**defaults, control.name: value})
    if name == "OneCycleLR":
        settings = [{**s, "total_steps": STEPS} for s in settings]
    return settings


CASES = [(name, params) for name in CLOSED_FORMS for params in settings_of(name)]


def _case_id(case) -> str:
    name, params = case
    shown = ",".join(f"{k}={getattr(v, '__name__', v)}" for k, v in params.items())
    return f"{name}[{shown}]"


@pytest.mark.parametrize(("name", "params"), CASES, ids=[_case_id(case) for case in CASES])
def test_the_shown_formula_equals_torchs_trace(name, params):
    traced = lrcourse.trace_schedule(name, params, epochs=STEPS, lr=LR).lr
    written = [FORMULAS[name].rate(t, LR, params) for t in range(STEPS)]
    assert written == pytest.approx(traced, rel=1e-9, abs=1e-15)


def test_a_formula_off_by_one_step_is_caught():
    params = {"step_size": 5, "gamma": 0.5}
    traced = lrcourse.trace_schedule("StepLR", params, epochs=STEPS, lr=LR).lr
    shifted = Formula("", (), lambda t, lr, p: lr * p["gamma"] ** ((t + 1) // p["step_size"]))
    assert [shifted.rate(t, LR, params) for t in range(STEPS)] != pytest.approx(traced)


def test_every_single_scheduler_explorer_shows_its_formula_as_mathml():
    for name in SCHEDULER_NAMES:
        if name in COMPOSITE_SCHEDULERS:
            continue
        view = lrcourse.explore(name)
        formula = view.model.formula
        assert formula is not None, name
        shown = formula_html(formula)
        assert shown.count("<math ") == 1 + len(formula.legend)
        assert 'display="block"' in shown and "where " in shown
        live = view.widget.children[0]
        assert live.value == shown, name


@pytest.mark.parametrize("name", ["StepLR", "ReduceLROnPlateau"])
def test_the_book_twin_shows_the_formula_above_the_explorer(name):
    view = lrcourse.explore(name)
    assert view.static_html.startswith(formula_html(FORMULAS[name]) + '<div class="lrc-explorer"')


def test_only_reduce_lr_on_plateau_has_no_closed_form():
    assert [name for name in FORMULAS if name not in CLOSED_FORMS] == ["ReduceLROnPlateau"]
    assert set(FORMULAS) == set(SCHEDULER_NAMES) - set(COMPOSITE_SCHEDULERS)
    assert math.isfinite(FORMULAS["CyclicLR"].rate(7, LR, {"base_lr": 0.01, "max_lr": 0.1}))
