"""What :func:`~lrcourse.content.scheduler_checks.check_scheduler` reports: one outcome per
property check, and the report that prints them as a table."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from lrcourse.errors import LRCourseError

#: The checks in the order they run and are reported.
CHECK_NAMES: tuple[str, ...] = (
    "runs",
    "closed-form",
    "state-dict",
    "resume",
    "param-groups",
    "reference",
    "no-warnings",
)

CheckStatus = Literal["passed", "failed", "not applicable", "not run"]
Rates = list[list[float]]  # rates[t][g]: group g's rate after t scheduler.step() calls

DEFAULT_PARAM_GROUPS: tuple[Mapping[str, Any], ...] = ({"lr": 0.1}, {"lr": 0.02})


class SchedulerCheckError(LRCourseError, ValueError):
    """``check_scheduler`` was called wrongly, or a report with failures was asked to raise."""


@dataclass(frozen=True)
class SchedulerCheck:
    """The outcome of one property check: its name, status and a sentence saying what was seen."""

    name: str
    status: CheckStatus
    detail: str

    @property
    def passed(self) -> bool:
        """Return True when the check passed or does not apply to this scheduler."""
        return self.status in ("passed", "not applicable")


@dataclass(frozen=True)
class CheckReport:
    """Every check's outcome for one scheduler; ``passed`` is True when none failed."""

    scheduler: str
    checks: tuple[SchedulerCheck, ...]

    @property
    def passed(self) -> bool:
        """Return True when every check passed or does not apply."""
        return all(check.passed for check in self.checks)

    def check(self, name: str) -> SchedulerCheck:
        """Return the outcome of the check called ``name`` (one of :data:`CHECK_NAMES`)."""
        for check in self.checks:
            if check.name == name:
                return check
        raise SchedulerCheckError(
            f"no check called {name!r}; the checks are: {', '.join(CHECK_NAMES)}"
        )

    def failures(self) -> list[SchedulerCheck]:
        """Return the checks that failed or could not run."""
        return [check for check in self.checks if not check.passed]

    def raise_if_failed(self) -> None:
        """Raise :class:`SchedulerCheckError` listing the failed checks, if any failed."""
        if not self.passed:
            raise SchedulerCheckError(str(self))

    def __str__(self) -> str:
        marks = {"passed": "PASS", "failed": "FAIL", "not applicable": "n/a ", "not run": "----"}
        verdict = "all checks passed" if self.passed else f"{len(self.failures())} check(s) failed"
        lines = [f"{self.scheduler}: {verdict}"]
        width = max(len(name) for name in CHECK_NAMES)
        for check in self.checks:
            lines.append(f"  {marks[check.status]}  {check.name:<{width}}  {check.detail}")
        return "\n".join(lines)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))
