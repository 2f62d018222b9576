"""Training demos: the chapters' tasks, device choice, seeded runs, schedule comparisons,
checkpoints and the learning-rate range test.

Owns: ``tasks`` (data and models), ``device`` (cuda, mps or cpu), ``loop`` (one training run),
``runs`` (building runs from a schedule), ``seeds`` (several seeds as one batched model),
``stats`` (mean ± sd at the precision the spread justifies), ``compare``, ``checkpoint``,
``live`` (progress display), ``range_test``.
May import: ``lrcourse.trace``, ``lrcourse.display``, ``lrcourse.errors``. Not quiz, explorers, grading.
"""
