"""The errors the quiz engine raises; both subclass :class:`lrcourse.errors.LRCourseError`."""

from __future__ import annotations

from lrcourse.errors import LRCourseError


class QuizBankError(LRCourseError, ValueError):
    """A bank that cannot be used: one line per problem, each naming file, question id and field."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class QuizAnswerError(LRCourseError, ValueError):
    """An answer of the wrong shape for its question (e.g. an option key that does not exist)."""


class ProgressFileError(LRCourseError, ValueError):
    """A progress file to import that is not one (the message names the file and what is wrong)."""
