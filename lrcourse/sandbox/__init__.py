"""The isolated runner for untrusted code, used by both the quiz engine and the grader.

Owns: ``pool`` (the grader-side API: ``Sandbox``, ``SandboxPool``, ``Probe``, ``Limits``),
``_zygote`` (the warm server that forks one supervisor and one sealed run per request),
``_watch`` (the supervisor's limits and the meaning of a run's ending), ``_harness`` (the run's
side: execute, probe, report observations once), ``_confine`` (the walls: an allow-listed world and a
minimal ``/dev`` for the server; private namespaces, temp folders and ``/proc`` for each run),
``_fence`` (a run's system-call fence: no kernel keys, no new user namespaces, no
capabilities) and
``_cleanup`` (removing what a run left, where no namespace does it).
May import: ``lrcourse.trace``, ``lrcourse.errors`` and the standard library. It knows nothing of
quiz or grading: callers name the probe modules it preloads (``preload=``).
"""
