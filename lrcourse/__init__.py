"""lrcourse: learning-rate schedulers in PyTorch, taught from what torch actually does.

The public API: what a notebook or the CLI may call. Each name is re-exported from the engine
module that holds its code and loaded on first use (PEP 562), so ``import lrcourse`` is cheap and
the ``lrcourse`` command does not pay for matplotlib, ipywidgets or the explorers it never uses.
No public name may equal a submodule's name (a test checks): importing that submodule would
otherwise replace the name on this package.
"""

import importlib as _importlib

#: Public name -> the module that defines it. Its order is ``__all__``'s.
_EXPORTS: dict[str, str] = {
    "SCHEDULER_NAMES": "lrcourse.trace",
    "CapturedWarning": "lrcourse.trace",
    "CheckReport": "lrcourse.scheduler_checks",
    "Comparison": "lrcourse.compare",
    "DescentRun": "lrcourse.quadratic",
    "DeviceError": "lrcourse.errors",
    "FlashcardDeck": "lrcourse.flashcards",
    "LRCourseError": "lrcourse.errors",
    "QuizAnswerError": "lrcourse.quiz.errors",
    "QuizBankError": "lrcourse.quiz.errors",
    "RangeTestResult": "lrcourse.range_test",
    "ReviewCard": "lrcourse.flashcards",
    "RunHistory": "lrcourse.train",
    "ScheduleRunError": "lrcourse.errors",
    "ScheduleTrace": "lrcourse.trace",
    "SchedulerCheck": "lrcourse.scheduler_checks",
    "SchedulerCheckError": "lrcourse.scheduler_checks",
    "SchedulerConfigError": "lrcourse.errors",
    "SchedulerInfo": "lrcourse.reference",
    "SchedulerSpec": "lrcourse.trace",
    "Task": "lrcourse.tasks",
    "TrainingConfigError": "lrcourse.errors",
    "TrainingRun": "lrcourse.train",
    "build_scheduler": "lrcourse.trace",
    "check_scheduler": "lrcourse.scheduler_checks",
    "compare_explorer": "lrcourse.explorer_widgets",
    "compare_schedules": "lrcourse.compare",
    "compose_explorer": "lrcourse.explorer_widgets",
    "explore": "lrcourse.explorer_widgets",
    "flashcard_deck": "lrcourse.flashcards",
    "learning_rate_explorer": "lrcourse.explorer_widgets",
    "load_task": "lrcourse.tasks",
    "lr_range_test": "lrcourse.range_test",
    "pick_device": "lrcourse.device",
    "plateau_explorer": "lrcourse.explorer_widgets",
    "plot_descent": "lrcourse.plot",
    "plot_trace_grid": "lrcourse.plot",
    "plot_traces": "lrcourse.plot",
    "resume_run": "lrcourse.checkpoint",
    "run_gradient_descent": "lrcourse.quadratic",
    "save_checkpoint": "lrcourse.checkpoint",
    "scheduler_reference": "lrcourse.reference",
    "scheduler_reference_markdown": "lrcourse.reference",
    "show_question": "lrcourse.quiz.show",
    "show_quiz": "lrcourse.quiz.show",
    "start_run": "lrcourse.runs",
    "trace_schedule": "lrcourse.trace",
    "trace_scheduler": "lrcourse.trace",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'lrcourse' has no attribute {name!r}")
    value = getattr(_importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
