"""The exceptions lrcourse raises: one base class, one subclass per kind of mistake."""

from __future__ import annotations


class LRCourseError(Exception):
    """Base class of every error lrcourse raises on purpose.

    Messages name the thing that is wrong (a scheduler, a parameter, a file and a question id)
    and what would be valid, so a learner can fix it without reading a traceback.
    """


class SchedulerConfigError(LRCourseError, ValueError):
    """A scheduler name or parameter that torch would refuse, reported with its name."""


class ScheduleRunError(LRCourseError, RuntimeError):
    """Torch refused to step a scheduler that was built fine (e.g. OneCycleLR stepped too often)."""


class DeviceError(LRCourseError, ValueError):
    """A device name (argument or ``LRCOURSE_DEVICE``) that is unknown or not available here."""


class TrainingConfigError(LRCourseError, ValueError):
    """A training demo set up so it cannot run (no schedules, a metric-less plateau, bad epochs)."""
