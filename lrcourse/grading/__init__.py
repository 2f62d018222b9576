"""The instructor's side: assign releases, collect hand-ins, grade them, keep the gradebook and
export grades and feedback.

Owns: ``manifest`` (questions, roster, late policy), ``roster`` (class lists), ``variants``
(per-student variants, each verified under torch), ``assign``,
``intake`` (walk a submissions folder safely, match LMS downloads to the roster), ``collect``
(read answers from a notebook), ``grade`` and ``grader``, ``late``, ``gradebook`` (SQLite) and
``history`` (its change log, overrides and undo), ``review`` (answers for a person), ``feedback``,
``export``, ``lms`` and ``qti`` (LMS formats), ``keycache`` (keys torch computed, kept for
the commands that only read them), ``validate`` (students check a notebook's form),
``cli`` and ``cli_book`` (its subcommands).
May import: ``lrcourse.quiz`` (questions, keys, checks), ``lrcourse.sandbox`` (code answers run
there), ``lrcourse.trace``, ``lrcourse.errors``. Not explorers, train or content.
"""
