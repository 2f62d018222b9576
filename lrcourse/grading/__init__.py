"""The instructor's side: assign releases, collect hand-ins, grade them, keep the gradebook and
export grades and feedback.

Owns: ``manifest``, ``assign``, ``collect``, ``grade`` and ``grader``, ``gradebook`` (SQLite),
``export``, ``lms`` and ``qti`` (LMS formats), ``cli`` (its subcommands).
May import: ``lrcourse.quiz`` (questions, keys, checks), ``lrcourse.sandbox`` (code answers run
there), ``lrcourse.trace``, ``lrcourse.errors``. Not explorers, train or content.
"""
