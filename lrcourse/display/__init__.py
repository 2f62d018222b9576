"""Display helpers shared by every subsystem: figures that show themselves, PNG encoding, and the
dual (live widget + static HTML) view.

Owns: ``figure`` (matplotlib figures without pyplot state), ``png`` (a dependency-free PNG
encoder), ``math`` (LaTeX as MathML), ``dual_view`` (one object that renders as a widget in JupyterLab and as HTML in the book).
May import: ``lrcourse.errors`` and libraries (matplotlib, ipywidgets, numpy, latex2mathml). Nothing above it.
"""
