"""The grade of one answer, shared by the checks of every question type (``check``, ``judge``)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Result:
    """The grade of one answer: ``score`` in [0, 1], ``correct`` only for a full answer."""

    score: float
    correct: bool
    feedback: str
    details: tuple[str, ...] = field(default_factory=tuple)
    #: Why a person must decide this answer (it used what the question forbids, or what an
    #: answer has no business touching); such an answer earns nothing from the machine.
    review: str | None = None

    def text(self) -> str:
        """Return feedback and details as one Markdown block."""
        return "\n".join([self.feedback, *(f"- {line}" for line in self.details)])
