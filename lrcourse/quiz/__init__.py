"""The quiz engine: banks as data (model, bank), checking one answer (check, run, labs, loops),
verification of every key against torch (verify) and rendering (html, widget, show, progress).

May import: ``lrcourse.sandbox`` (learner code runs there), ``lrcourse.trace``,
``lrcourse.display``, ``lrcourse.errors``. Not grading, explorers, train or content.
"""
