"""The quiz engine: banks as data (model, bank), reading an answer (parse, shared with the book's
answers.js), checking it (check, result, run; for code: lab_jobs, judge, judge_checks and loops
here, where references are computed, and labs with lab_namespace, lab_observers and lab_loop in
the sandbox, from which only observations come back; the source audit, audit and audit_lists,
before any of it earns credit), verification of every key against torch
(verify, verify_report, claims) and rendering (html, widget, show, progress).

May import: ``lrcourse.sandbox`` (learner code runs there), ``lrcourse.trace``,
``lrcourse.display``, ``lrcourse.errors``. Not grading, explorers, train or content.
"""
