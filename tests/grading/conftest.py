"""Fixtures of the grading tests: the test bank's questions and the golden manifest."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lrcourse.grading.manifest import Manifest, load_questions
from lrcourse.quiz.model import QuestionModel
from tests.grading.helpers import BANKS, GOLDEN, adopt_orphans


@pytest.fixture(scope="session", autouse=True)
def _adopt_orphans() -> Iterator[None]:
    """Keep every sandbox process this session starts its descendant (see ``sandbox_processes``)."""
    adopt_orphans()
    yield
    adopt_orphans(False)


@pytest.fixture(scope="session")
def questions() -> dict[str, QuestionModel]:
    return load_questions(BANKS)


@pytest.fixture(scope="session")
def manifest() -> Manifest:
    return Manifest.load(GOLDEN / "manifest.json")
