"""Each scheduler's rule as torch's documentation writes it, shown beside its explorer.

A :class:`Formula` holds the rule in LaTeX (what a reader sees, drawn as MathML), a legend tying
each symbol to torch's parameter name, and the same rule transcribed into Python. The explorer
shows the first two; ``tests/explorers/test_formulas.py`` runs the third against the real torch
scheduler over every setting the explorer offers, so a formula on the page can't drift from torch.

``t`` is the number of ``scheduler.step()`` calls so far (torch's ``last_epoch``) and ``η₀`` the
rate the optimizer held when the scheduler was built (``initial_lr``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from lrcourse.display.math import mathml

Rate = Callable[[int, float, Mapping[str, Any]], float]

T_AND_ETA0 = (
    ("t", "the number of <code>scheduler.step()</code> calls (<code>last_epoch</code>)"),
    (r"\eta_0", "the rate when the scheduler was built (<code>initial_lr</code>)"),
)


@dataclass(frozen=True)
class Formula:
    """A scheduler's rule: LaTeX as torch's docs write it, a legend, and a Python transcription.

    ``rate(t, lr, params)`` returns the rate after ``t`` steps of the scheduler built with
    ``params`` on an optimizer whose rate was ``lr``; ``None`` for a rule with no closed form.
    """

    latex: str
    legend: tuple[tuple[str, str], ...]
    rate: Rate | None = None


def formula_html(formula: Formula) -> str:
    """Return the formula, displayed, and its legend as one ``<div class="lrc-formula">``."""
    terms = "; ".join(f"{mathml(symbol)}: {meaning}" for symbol, meaning in formula.legend)
    return (
        f'<div class="lrc-formula">{mathml(formula.latex, display="block")}'
        f'<p class="lrc-formula-legend">where {terms}.</p></div>'
    )


def _cyclic(t: int, lr: float, p: Mapping[str, Any]) -> float:
    up = float(p.get("step_size_up", 2000))
    down = float(p["step_size_down"]) if p.get("step_size_down") is not None else up
    total, ratio = up + down, up / (up + down)
    cycle = math.floor(1 + t / total)
    x = 1.0 + t / total - cycle
    height = x / ratio if x <= ratio else (x - 1) / (ratio - 1)
    mode, gamma = p.get("mode", "triangular"), p.get("gamma", 1.0)
    scale = {"triangular": 1.0, "triangular2": 1 / 2.0 ** (cycle - 1)}.get(mode, gamma**t)
    return p["base_lr"] + (p["max_lr"] - p["base_lr"]) * height * scale


def _warm_restarts(t: int, lr: float, p: Mapping[str, Any]) -> float:
    t_0, t_mult, eta_min = p["T_0"], p.get("T_mult", 1), p.get("eta_min", 0.0)
    if t_mult == 1 or t < t_0:
        t_cur, t_i = t % t_0, t_0
    else:
        n = int(math.log(t / t_0 * (t_mult - 1) + 1, t_mult))
        t_cur, t_i = t - t_0 * (t_mult**n - 1) / (t_mult - 1), t_0 * t_mult**n
    return eta_min + (lr - eta_min) * (1 + math.cos(math.pi * t_cur / t_i)) / 2


def _one_cycle(t: int, lr: float, p: Mapping[str, Any]) -> float:
    total = p.get("total_steps") or p["epochs"] * p["steps_per_epoch"]
    pct, max_lr = p.get("pct_start", 0.3), p["max_lr"]
    start = max_lr / p.get("div_factor", 25.0)
    end = start / p.get("final_div_factor", 1e4)
    if p.get("three_phase", False):
        phases = [(pct * total - 1, start, max_lr), (2 * pct * total - 2, max_lr, start)]
        phases.append((total - 1, start, end))
    else:
        phases = [(pct * total - 1, start, max_lr), (total - 1, max_lr, end)]
    # the phase of step t: the first that ends at or after it, the last one past the end
    index = next((i for i, phase in enumerate(phases) if t <= phase[0]), len(phases) - 1)
    begin = phases[index - 1][0] if index else 0.0
    stop, high, low = phases[index]
    fraction = (t - begin) / (stop - begin)
    if p.get("anneal_strategy", "cos") == "linear":
        return high + (low - high) * fraction
    return low + (high - low) * (1 + math.cos(math.pi * fraction)) / 2


def _multiplicative(t: int, lr: float, p: Mapping[str, Any]) -> float:
    return lr * math.prod(p["lr_lambda"](k) for k in range(1, t + 1))


FORMULAS: dict[str, Formula] = {
    "LambdaLR": Formula(
        r"\eta_t = \eta_0 \cdot \lambda(t)",
        (*T_AND_ETA0, (r"\lambda", "your function <code>lr_lambda</code>")),
        lambda t, lr, p: lr * p["lr_lambda"](t),
    ),
    "MultiplicativeLR": Formula(
        r"\eta_t = \eta_{t-1} \cdot \lambda(t), \quad t \ge 1",
        (*T_AND_ETA0, (r"\lambda", "your function <code>lr_lambda</code>")),
        _multiplicative,
    ),
    "StepLR": Formula(
        r"\eta_t = \eta_0 \cdot \gamma^{\lfloor t / s \rfloor}",
        (*T_AND_ETA0, ("s", "<code>step_size</code>"), (r"\gamma", "<code>gamma</code>")),
        lambda t, lr, p: lr * p.get("gamma", 0.1) ** (t // p["step_size"]),
    ),
    "MultiStepLR": Formula(
        r"\eta_t = \eta_0 \cdot \gamma^{k(t)}",
        (
            *T_AND_ETA0,
            ("k(t)", "how many of the <code>milestones</code> are ≤ t"),
            (r"\gamma", "<code>gamma</code>"),
        ),
        lambda t, lr, p: lr * p.get("gamma", 0.1) ** sum(m <= t for m in p["milestones"]),
    ),
    "ConstantLR": Formula(
        r"\eta_t = \begin{cases} f \cdot \eta_0 & t < T \\ \eta_0 & t \ge T \end{cases}",
        (
            *T_AND_ETA0,
            ("f", "<code>factor</code>"),
            ("T", "<code>total_iters</code> (with T = 0 torch never restores η₀: f · η₀ for good)"),
        ),
        lambda t, lr, p: (
            lr * p.get("factor", 1 / 3)
            if t < p.get("total_iters", 5) or p.get("total_iters", 5) == 0
            else lr
        ),
    ),
    "LinearLR": Formula(
        r"\eta_t = \eta_0 \left( s + (e - s) \frac{\min(t, T)}{T} \right)",
        (
            *T_AND_ETA0,
            ("s", "<code>start_factor</code>"),
            ("e", "<code>end_factor</code>"),
            ("T", "<code>total_iters</code>"),
        ),
        lambda t, lr, p: (
            lr
            * (
                p.get("start_factor", 1 / 3)
                + (p.get("end_factor", 1.0) - p.get("start_factor", 1 / 3))
                * min(t, p.get("total_iters", 5))
                / p.get("total_iters", 5)
            )
        ),
    ),
    "ExponentialLR": Formula(
        r"\eta_t = \eta_0 \cdot \gamma^{t}",
        (*T_AND_ETA0, (r"\gamma", "<code>gamma</code>")),
        lambda t, lr, p: lr * p["gamma"] ** t,
    ),
    "PolynomialLR": Formula(
        r"\eta_t = \eta_0 \left( 1 - \frac{\min(t, T)}{T} \right)^{p}",
        (*T_AND_ETA0, ("T", "<code>total_iters</code>"), ("p", "<code>power</code>")),
        lambda t, lr, p: (
            lr
            * (1 - min(t, p.get("total_iters", 5)) / p.get("total_iters", 5)) ** p.get("power", 1.0)
        ),
    ),
    "CosineAnnealingLR": Formula(
        r"\eta_t = \eta_{\min} + \tfrac{1}{2} (\eta_0 - \eta_{\min}) "
        r"\left( 1 + \cos \frac{\pi t}{T_{\max}} \right)",
        (
            *T_AND_ETA0,
            (r"T_{\max}", "<code>T_max</code> (past it the cosine goes on: the rate rises)"),
            (r"\eta_{\min}", "<code>eta_min</code>"),
        ),
        lambda t, lr, p: (
            p.get("eta_min", 0.0)
            + (lr - p.get("eta_min", 0.0)) * (1 + math.cos(math.pi * t / p["T_max"])) / 2
        ),
    ),
    "CosineAnnealingWarmRestarts": Formula(
        r"\eta_t = \eta_{\min} + \tfrac{1}{2} (\eta_0 - \eta_{\min}) "
        r"\left( 1 + \cos \frac{\pi T_{cur}}{T_i} \right)",
        (
            *T_AND_ETA0,
            ("T_{cur}", "steps since the last restart"),
            ("T_i", "the current cycle's length: <code>T_0</code>, then × <code>T_mult</code>"),
            (r"\eta_{\min}", "<code>eta_min</code>"),
        ),
        _warm_restarts,
    ),
    "CyclicLR": Formula(
        r"\eta_t = b + (m - b) \cdot h(t) \cdot \sigma(c)",
        (
            ("t", "the number of <code>scheduler.step()</code> calls (usually batches)"),
            ("b, m", "<code>base_lr</code>, <code>max_lr</code>"),
            (
                "h(t)",
                "the triangle: 0 → 1 over <code>step_size_up</code> steps, 1 → 0 over "
                "<code>step_size_down</code>",
            ),
            (
                r"\sigma(c)",
                "the height of cycle c: 1 (<code>triangular</code>), "
                "2<sup>1−c</sup> (<code>triangular2</code>), γ<sup>t</sup> (<code>exp_range</code>)",
            ),
        ),
        _cyclic,
    ),
    "OneCycleLR": Formula(
        r"\eta_t = \begin{cases} \eta_{\max} + \tfrac{1}{2} (\eta_{start} - \eta_{\max}) "
        r"(1 + \cos \pi \tfrac{t}{t_1}) & t \le t_1 \\ "
        r"\eta_{end} + \tfrac{1}{2} (\eta_{\max} - \eta_{end}) "
        r"(1 + \cos \pi \tfrac{t - t_1}{T - 1 - t_1}) & t > t_1 \end{cases}",
        (
            ("t", "the number of <code>scheduler.step()</code> calls (batches)"),
            (r"\eta_{\max}", "<code>max_lr</code>"),
            (r"\eta_{start}", "<code>max_lr / div_factor</code>"),
            (r"\eta_{end}", "<code>η<sub>start</sub> / final_div_factor</code>"),
            ("T", "<code>total_steps</code>"),
            (
                "t_1",
                "<code>pct_start · T − 1</code> (the cosine shape; linear and three phases too)",
            ),
        ),
        _one_cycle,
    ),
    "ReduceLROnPlateau": Formula(
        r"\eta \leftarrow \max(f \cdot \eta, \eta_{\min})",
        (
            (
                "f",
                "<code>factor</code>, applied on the <code>patience + 1</code>-th bad epoch in a row",
            ),
            (r"\eta_{\min}", "<code>min_lr</code>; no closed form: it follows the metric"),
        ),
    ),
}
