"""The interactive learning-rate explorers: controls as data, torch-computed frames, widgets, and
the static twin that works in the book without a kernel.

Owns: ``controls`` (each scheduler's sliders, as data), ``model`` (frames and panels),
``builders`` (run real torch for each setting), ``quadratic`` (gradient descent on a quadratic),
``noisy_quadratic`` (the same with gradient noise, many seeds at once), ``plots`` (figures),
``twin`` (the precomputed HTML/JS explorer), ``widgets`` (ipywidgets).
May import: ``lrcourse.trace``, ``lrcourse.display``, ``lrcourse.errors``. Not quiz, train, grading.
"""
