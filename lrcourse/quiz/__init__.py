"""The quiz engine: banks as data (model, bank), reading an answer (parse, shared with the book's
answers.js), checking it (check, result, run; judge, labs and loops for code: references are
computed here, only observations come back from the sandbox), verification of every key against
torch (verify, claims) and rendering (html, widget, show, progress).

May import: ``lrcourse.sandbox`` (learner code runs there), ``lrcourse.trace``,
``lrcourse.display``, ``lrcourse.errors``. Not grading, explorers, train or content.
"""
