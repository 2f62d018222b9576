"""Explorers redraw from real runs when a control moves, and show errors instead of raising."""

from lrcourse import learning_rate_explorer


def test_learning_rate_slider_redraws_the_figure():
    explorer = learning_rate_explorer(lr=0.05)
    slider, verdict, _message, image = explorer.children
    before, verdict_before = image.value, verdict.value
    slider.value = 0.19
    assert image.value != before
    assert verdict.value != verdict_before
    assert "0.190" in verdict.value
