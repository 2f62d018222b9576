"""The item analysis's point-biserial is statistics.correlation, None where r is undefined."""

import pytest

from lrcourse.grading.export import _pearson


def test_it_is_pearsons_r():
    assert _pearson([0, 1, 1, 0], [1.0, 3.0, 3.0, 1.0]) == pytest.approx(1.0)
    assert _pearson([0, 1, 0, 1], [3.0, 1.0, 3.0, 1.0]) == pytest.approx(-1.0)


@pytest.mark.parametrize(("xs", "ys"), [([1], [2]), ([1, 1, 1], [1, 2, 3]), ([0, 1], [2, 2])])
def test_undefined_is_none(xs, ys):
    assert _pearson(xs, ys) is None
