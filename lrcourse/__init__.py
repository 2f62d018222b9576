"""lrcourse: learning-rate schedulers in PyTorch, taught from what torch actually does.

The public API: what a notebook or the CLI may call. Everything here is re-exported; the engine
modules (trace, plot, explore, ...) hold the code.
"""

from lrcourse.errors import LRCourseError, SchedulerConfigError, ScheduleRunError
from lrcourse.explore import learning_rate_explorer
from lrcourse.plot import plot_descent, plot_trace_grid, plot_traces
from lrcourse.quadratic import DescentRun, run_gradient_descent
from lrcourse.reference import SchedulerInfo, scheduler_reference, scheduler_reference_markdown
from lrcourse.scheduler_checks import (
    CheckReport,
    SchedulerCheck,
    SchedulerCheckError,
    check_scheduler,
)
from lrcourse.trace import (
    SCHEDULER_NAMES,
    CapturedWarning,
    SchedulerSpec,
    ScheduleTrace,
    build_scheduler,
    trace_schedule,
    trace_scheduler,
)

__all__ = [
    "SCHEDULER_NAMES",
    "CapturedWarning",
    "CheckReport",
    "DescentRun",
    "LRCourseError",
    "ScheduleRunError",
    "ScheduleTrace",
    "SchedulerCheck",
    "SchedulerCheckError",
    "SchedulerConfigError",
    "SchedulerInfo",
    "SchedulerSpec",
    "build_scheduler",
    "check_scheduler",
    "learning_rate_explorer",
    "plot_descent",
    "plot_trace_grid",
    "plot_traces",
    "run_gradient_descent",
    "scheduler_reference",
    "scheduler_reference_markdown",
    "trace_schedule",
    "trace_scheduler",
]
