"""A course figure is stored at twice its display size, with the display size beside it."""

from __future__ import annotations

import struct

from lrcourse.display.figure import PIXEL_DENSITY, course_figure


def _png_size(png: bytes) -> tuple[int, int]:
    return struct.unpack(">II", png[16:24])


def test_a_figure_is_twice_as_dense_and_shown_at_its_own_size():
    figure = course_figure(6.4, 3.2)
    figure.subplots().plot([0, 1], [1, 0])
    data, metadata = figure._repr_mimebundle_()
    assert PIXEL_DENSITY == 2
    assert _png_size(data["image/png"]) == (1280, 640)  # 6.4 x 3.2 in at 100 dpi, twice over
    assert metadata == {"image/png": {"width": 640}}  # shown 640 px wide, the height follows
    assert figure.dpi == 100  # drawing at density left the figure as it was
    assert b"Description" in data["image/png"]  # the alt text still travels in the PNG
