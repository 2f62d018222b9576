"""Mean and spread over seeds, printed at the precision the spread justifies.

A table that prints ``0.1775`` from one seed claims four digits that the next seed (or another
CPU) does not reproduce. Here a value is the mean over seeds, printed beside its standard
deviation rounded to one significant digit, and the mean is rounded to the same decimal place:
``0.146 ± 0.009``. Digits below the spread are noise, so they are not printed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

#: Never print more decimals than this, even for a spread of zero (one seed, or identical seeds).
MAX_DECIMALS = 4


def mean_sd(values: Sequence[float]) -> tuple[float, float]:
    """Return the mean and the sample standard deviation (0 for one value) of ``values``."""
    count = len(values)
    if count == 0:
        return math.nan, math.nan
    mean = sum(values) / count
    if count == 1:
        return mean, 0.0
    return mean, math.sqrt(sum((v - mean) ** 2 for v in values) / (count - 1))


def standard_error(values: Sequence[float]) -> float:
    """Return the standard error of the mean of ``values``: sd / sqrt(n)."""
    return mean_sd(values)[1] / math.sqrt(len(values))


def decimals_for(spread: float) -> int:
    """Return the decimal places that show ``spread`` to one significant digit (0..MAX_DECIMALS)."""
    if not math.isfinite(spread) or spread <= 0:
        return MAX_DECIMALS
    return min(MAX_DECIMALS, max(0, -math.floor(math.log10(spread))))


def format_mean_sd(values: Sequence[float], *, scale: float = 1.0) -> str:
    """Return ``"mean ± sd"`` of ``values`` times ``scale``, both rounded to the sd's first digit."""
    mean, sd = mean_sd([v * scale for v in values])
    if not math.isfinite(mean):
        return "—"
    places = decimals_for(sd)
    if len(values) == 1:
        return f"{mean:.{places}f}"
    return f"{mean:.{places}f} ± {sd:.{places}f}"


def visible_shift(values: Sequence[float], others: Sequence[float]) -> bool:
    """Return whether replacing ``values`` by ``others`` (pairwise) would move their printed mean.

    The expected shift of the mean is sqrt(sum of squared gaps) / n; it counts as visible when
    it exceeds half the last digit :func:`format_mean_sd` prints for ``values``.
    """
    count = len(values)
    shift = math.sqrt(sum((a - b) ** 2 for a, b in zip(values, others, strict=True))) / count
    unit = 10.0 ** -decimals_for(mean_sd(values)[1])
    return not shift <= unit / 2
