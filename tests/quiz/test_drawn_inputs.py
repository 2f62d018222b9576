"""A value check's drawn inputs never land where a table of the answers the page shows passes."""

from __future__ import annotations

import random

from lrcourse.quiz.bank import find_question
from lrcourse.quiz.judge import _torch_reference, draw_inputs


def test_a_table_of_the_shown_answers_fails_on_every_draw_of_irregular_then_regular() -> None:
    _, question = find_question("steplr.irregular-then-regular")
    check = next(c for c in question.checks if c.kind == "value")

    def table(epochs: int) -> list[int]:  # the lookup an attacker writes from the page
        return [5, 12, 22] if epochs == 30 else [5, 12, 22, 32, 42]

    passed = []
    for seed in range(500):
        epochs = draw_inputs(check.inputs, random.Random(seed))["epochs"]
        if table(epochs) == _torch_reference(check.expected, epochs=epochs):
            passed.append(epochs)
    assert passed == []
