"""lrcourse: learning-rate schedulers in PyTorch, taught from what torch actually does.

The public API: what a notebook or the CLI may call. Everything here is re-exported; the engine
modules (trace, plot, explore, ...) hold the code.
"""

from lrcourse.checkpoint import resume_run, save_checkpoint
from lrcourse.compare import Comparison, compare_schedules
from lrcourse.device import pick_device
from lrcourse.errors import (
    DeviceError,
    LRCourseError,
    SchedulerConfigError,
    ScheduleRunError,
    TrainingConfigError,
)
from lrcourse.explore import (
    compare_explorer,
    compose_explorer,
    explore,
    learning_rate_explorer,
    plateau_explorer,
)
from lrcourse.flashcards import FlashcardDeck, ReviewCard, flashcard_deck
from lrcourse.plot import plot_descent, plot_trace_grid, plot_traces
from lrcourse.quadratic import DescentRun, run_gradient_descent
from lrcourse.quiz.errors import QuizAnswerError, QuizBankError
from lrcourse.quiz.show import show_question, show_quiz
from lrcourse.range_test import RangeTestResult, lr_range_test
from lrcourse.reference import SchedulerInfo, scheduler_reference, scheduler_reference_markdown
from lrcourse.runs import start_run
from lrcourse.scheduler_checks import (
    CheckReport,
    SchedulerCheck,
    SchedulerCheckError,
    check_scheduler,
)
from lrcourse.tasks import Task, load_task
from lrcourse.trace import (
    SCHEDULER_NAMES,
    CapturedWarning,
    SchedulerSpec,
    ScheduleTrace,
    build_scheduler,
    trace_schedule,
    trace_scheduler,
)
from lrcourse.train import RunHistory, TrainingRun

__all__ = [
    "SCHEDULER_NAMES",
    "CapturedWarning",
    "CheckReport",
    "Comparison",
    "DescentRun",
    "DeviceError",
    "FlashcardDeck",
    "LRCourseError",
    "QuizAnswerError",
    "QuizBankError",
    "RangeTestResult",
    "ReviewCard",
    "RunHistory",
    "ScheduleRunError",
    "ScheduleTrace",
    "SchedulerCheck",
    "SchedulerCheckError",
    "SchedulerConfigError",
    "SchedulerInfo",
    "SchedulerSpec",
    "Task",
    "TrainingConfigError",
    "TrainingRun",
    "build_scheduler",
    "check_scheduler",
    "compare_explorer",
    "compare_schedules",
    "compose_explorer",
    "explore",
    "flashcard_deck",
    "learning_rate_explorer",
    "load_task",
    "lr_range_test",
    "pick_device",
    "plateau_explorer",
    "plot_descent",
    "plot_trace_grid",
    "plot_traces",
    "resume_run",
    "run_gradient_descent",
    "save_checkpoint",
    "scheduler_reference",
    "scheduler_reference_markdown",
    "show_question",
    "show_quiz",
    "start_run",
    "trace_schedule",
    "trace_scheduler",
]
