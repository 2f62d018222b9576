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
    "CheckReport": "lrcourse.content.scheduler_check_report",
    "Comparison": "lrcourse.train.compare",
    "DescentRun": "lrcourse.explorers.quadratic",
    "DeviceError": "lrcourse.errors",
    "FlashcardDeck": "lrcourse.content.flashcards",
    "LRCourseError": "lrcourse.errors",
    "NoisyDescent": "lrcourse.explorers.noisy_quadratic",
    "QuizAnswerError": "lrcourse.quiz.errors",
    "QuizBankError": "lrcourse.quiz.errors",
    "RangeTestResult": "lrcourse.train.range_test",
    "ReviewCard": "lrcourse.content.flashcards",
    "RunHistory": "lrcourse.train.loop",
    "ScheduleRunError": "lrcourse.errors",
    "ScheduleTrace": "lrcourse.trace",
    "SchedulerCheck": "lrcourse.content.scheduler_check_report",
    "SchedulerCheckError": "lrcourse.content.scheduler_check_report",
    "SchedulerConfigError": "lrcourse.errors",
    "SchedulerInfo": "lrcourse.content.reference",
    "SchedulerSpec": "lrcourse.trace",
    "Task": "lrcourse.train.tasks",
    "TrainingConfigError": "lrcourse.errors",
    "TrainingRun": "lrcourse.train.loop",
    "build_scheduler": "lrcourse.trace",
    "check": "lrcourse.quiz.cell_check",
    "check_scheduler": "lrcourse.content.scheduler_checks",
    "compare_explorer": "lrcourse.explorers.widgets",
    "compare_schedules": "lrcourse.train.compare",
    "compose_explorer": "lrcourse.explorers.widgets",
    "explore": "lrcourse.explorers.widgets",
    "export_progress": "lrcourse.quiz.lab_transfer",
    "flashcard_deck": "lrcourse.content.flashcards",
    "import_progress": "lrcourse.quiz.lab_transfer",
    "learning_rate_explorer": "lrcourse.explorers.widgets",
    "load_task": "lrcourse.train.tasks",
    "lr_range_test": "lrcourse.train.range_test",
    "pick_device": "lrcourse.train.device",
    "plateau_explorer": "lrcourse.explorers.widgets",
    "plot_descent": "lrcourse.explorers.plots",
    "plot_noisy_descent": "lrcourse.explorers.plots",
    "plot_trace_grid": "lrcourse.explorers.plots",
    "plot_traces": "lrcourse.explorers.plots",
    "progress": "lrcourse.quiz.show",
    "resume_run": "lrcourse.train.checkpoint",
    "run_gradient_descent": "lrcourse.explorers.quadratic",
    "run_noisy_descent": "lrcourse.explorers.noisy_quadratic",
    "save_checkpoint": "lrcourse.train.checkpoint",
    "scheduler_reference": "lrcourse.content.reference",
    "scheduler_reference_markdown": "lrcourse.content.reference",
    "show_question": "lrcourse.quiz.show",
    "show_quiz": "lrcourse.quiz.show",
    "start_run": "lrcourse.train.runs",
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
