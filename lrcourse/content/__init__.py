"""Helpers the chapters call that are neither explorers nor training: the scheduler reference
sheet, flashcard decks built from the quiz banks, and the checks of a learner's own scheduler.

Owns: ``reference``, ``flashcards``, ``scheduler_checks``.
May import: ``lrcourse.quiz`` (flashcards read the banks), ``lrcourse.trace``,
``lrcourse.display``, ``lrcourse.errors``. Not grading, and nothing imports it but the public API.
"""
