"""Fixtures of the grading tests: the test bank's questions and the golden manifest."""

from __future__ import annotations

import pytest

from lrcourse.grading.manifest import Manifest, load_questions
from lrcourse.quiz.model import QuestionModel
from tests.grading.helpers import BANKS, GOLDEN


@pytest.fixture(scope="session")
def questions() -> dict[str, QuestionModel]:
    return load_questions(BANKS)


@pytest.fixture(scope="session")
def manifest() -> Manifest:
    return Manifest.load(GOLDEN / "manifest.json")
