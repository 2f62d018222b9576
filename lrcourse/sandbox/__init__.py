"""The isolated runner for untrusted code, used by both the quiz engine and the grader.

Owns: ``pool`` (the grader-side API: ``Sandbox``, ``SandboxPool``, ``Probe``, ``Limits``),
``_zygote`` (the warm server that forks one locked-down child per run), ``_harness`` (the child
side: run, probe, report once) and ``_confine`` (an ordinary user's walls).
May import: ``lrcourse.trace``, ``lrcourse.errors`` and the standard library. It knows nothing of
quiz or grading: callers name the probe modules it preloads (``preload=``).
"""
