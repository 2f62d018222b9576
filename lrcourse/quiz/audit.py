"""Read a learner's answer before it earns anything: what it has no business touching.

A run's report is only what its own process says it observed, and no wall inside one Python
process stops code from lying about that (it can walk the harness's frames, write the result
descriptor itself, swap an observer's code). The grader therefore reads the *source* too, here,
in its own process: :func:`audit_source` lists every construct a learner's answer to a scheduler
or training-loop question has no use for, each with its line. An answer with any finding earns
nothing silently: the grader files it as ``needs-review`` naming what and where, and a person
decides (``lrcourse review``).

What is flagged, and why each is enough:

* **reaching into the process**: frames and tracebacks (``sys._getframe``, ``f_back``,
  ``f_locals``, ``tb_frame``, ``gi_frame``...), ``gc``, ``inspect``, ``ctypes``, ``sys`` and its
  ``modules``, function internals (``__code__``, ``__globals__``, ``__closure__``,
  ``__subclasses__``, ``__builtins__``...);
* **its own channel**: file descriptors and files (``os``, ``io``, ``open``, ``/proc``...);
* **code from strings**: ``exec``, ``eval``, ``compile``, ``__import__``, ``globals()``,
  ``vars()``, called or passed on as a value (``run = exec``, ``map(eval, ...)``, ``@exec``),
  ``getattr``/``setattr``/``delattr`` with a computed name or passed on as a value (with a
  constant name, the name is checked as the attribute it reaches: ``getattr(torch, "os")`` is
  ``torch.os``), ``operator.attrgetter`` and ``methodcaller``, and the library functions that
  run code or read files for you (``typing.get_type_hints`` evaluates strings, a pickle loaded
  with ``weights_only=False`` or ``allow_pickle=True`` runs code, ``torch.from_file``,
  ``numpy.fromfile``, ``numpy.ctypeslib``, ``numpy.f2py``);
* **modules held by other modules**: ``torch.os``, ``numpy.sys`` and the like, the imports an
  answer may not make, reached as attributes;
* **changing what others rely on**: assigning or deleting an attribute of a module or of a
  torch class (``lrcourse.check_scheduler = ...``, ``StepLR.get_lr = ...``), warning filters
  (``warnings.simplefilter``, ``filterwarnings``, ``catch_warnings``, ``showwarning``);
* **the answer the question forbids**: naming a class of the question's ``forbids`` (the very
  scheduler the learner is asked to write), e.g. ``class HalveEvery(StepLR)``;
* **any import** outside the few a scheduler or a loop needs (:data:`ALLOWED_IMPORTS`).

The list errs towards a person looking: a false flag costs a reviewer a minute, a missed one a
forged grade. ``tests/quiz/test_audit.py`` holds it to zero flags on the course's reference
solutions and on a corpus of honest, varied learner answers.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from dataclasses import dataclass

from lrcourse.quiz.audit_lists import (
    ALLOWED_IMPORTS,
    FORBIDDEN_ATTRIBUTES,
    FORBIDDEN_CALLS,
    FORBIDDEN_TORCH,
    HARMLESS_AS_VALUES,
    LIBRARY_DOORS,
    MODULE_ATTRIBUTES,
    NAME_REACHERS,
    PICKLE_KEYWORDS,
    PRELOADED_MODULES,
    PRIVATE_NAMES_IN_USE,
    STRING_GETTERS,
    TORCH_INTERNALS,
    WARNING_FILTERS,
)


@dataclass(frozen=True)
class Finding:
    """One construct an answer has no business using: where, what, and why it matters."""

    line: int
    construct: str
    why: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.construct} ({self.why})"


def _root(node: ast.expr) -> ast.expr:
    """Return the leftmost object of an attribute or subscript chain (``a`` of ``a.b[0].c``)."""
    while isinstance(node, ast.Attribute | ast.Subscript | ast.Call):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node


def _dotted(node: ast.expr) -> str:
    """Return ``a.b.c`` for an attribute chain of names, else ``...``-shortened text."""
    try:
        text = ast.unparse(node)
    except Exception:  # pragma: no cover - unparse handles every parsed expression
        text = "..."
    return text if len(text) <= 60 else text[:57] + "..."


#: A string annotation that only names a type (``"Optimizer"``, ``"list[float] | None"``).
_PLAIN_TYPE = re.compile(r"[\w. \[\],|]*")


def _attribute_reason(name: str) -> str | None:
    """Why reaching attribute ``name`` of any object is flagged, or None."""
    if name in FORBIDDEN_ATTRIBUTES:
        return FORBIDDEN_ATTRIBUTES[name]
    if name in MODULE_ATTRIBUTES or name.lstrip("_") in MODULE_ATTRIBUTES:
        return "reaches a module an answer may not import"  # ``torch.os``, ``random._os``
    if name in STRING_GETTERS:
        return "reaches names by string"
    if name in TORCH_INTERNALS:
        return "reaches torch's internals"
    return LIBRARY_DOORS.get(name)


class _Auditor(ast.NodeVisitor):
    def __init__(self, forbids: Iterable[str], scheduler_names: Iterable[str]) -> None:
        self.forbids = set(forbids)
        self.findings: list[Finding] = []
        #: Names bound to modules (imports, the preloaded ones) or to torch's classes.
        self.foreign = set(PRELOADED_MODULES) | set(scheduler_names) | {"LRScheduler"}
        #: Names the answer bound to a module it imported (``import warnings as w``).
        self.module_alias: dict[str, str] = {
            name: name for name in ("torch", "math", "lr_scheduler")
        }
        #: ``getattr`` and friends seen as the function of a call (checked there, not as values).
        self.called: set[int] = set()

    def flag(self, node: ast.AST, construct: str, why: str) -> None:
        self.findings.append(Finding(getattr(node, "lineno", 0), construct, why))

    # --- imports ------------------------------------------------------------------------
    def _check_module(self, node: ast.AST, module: str) -> None:
        top = module.split(".")[0]
        if top not in ALLOWED_IMPORTS:
            self.flag(node, f"import {module}", "an answer has no use for this module")
        elif module.startswith(FORBIDDEN_TORCH):
            self.flag(node, f"import {module}", "reaches torch's internals")

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._check_module(node, alias.name)
            bound = alias.asname or alias.name.split(".")[0]
            self.foreign.add(bound)
            self.module_alias[bound] = alias.name if alias.asname else alias.name.split(".")[0]
        self.generic_visit(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        if node.level:
            self.flag(node, "a relative import", "an answer is not part of a package")
        self._check_module(node, module)
        for alias in node.names:
            if alias.name == "*":
                self.flag(node, f"from {module} import *", "binds names it does not show")
            if alias.name in self.forbids:
                self.flag(node, f"import of {alias.name}", "the question forbids this class")
            if module == "warnings" and alias.name in WARNING_FILTERS:
                self.flag(node, f"warnings.{alias.name}", "changes which warnings are seen")
            if (
                alias.name in MODULE_ATTRIBUTES
                or alias.name in STRING_GETTERS
                or alias.name in LIBRARY_DOORS
            ):
                self.flag(node, f"from {module} import {alias.name}", "reaches what it may not")
            if module == "sys" or alias.name in FORBIDDEN_ATTRIBUTES:
                self.flag(node, f"from {module} import {alias.name}", "reaches the interpreter")
            self.foreign.add(alias.asname or alias.name)
        self.generic_visit(node)

    # --- names and attributes -------------------------------------------------------------
    def visit_Name(self, node: ast.Name) -> None:
        if node.id in self.forbids:
            self.flag(node, node.id, "the question asks you to write this scheduler yourself")
        if node.id == "__builtins__":
            self.flag(node, node.id, FORBIDDEN_ATTRIBUTES["__builtins__"])
        if node.id in NAME_REACHERS and id(node) not in self.called:
            # passed on as a value (reduce(getattr, names, torch)): its name is computed later
            self.flag(node, f"{node.id} as a value", "reaches names by string")
        if (
            node.id in FORBIDDEN_CALLS
            and node.id not in HARMLESS_AS_VALUES
            and id(node) not in self.called
            and isinstance(node.ctx, ast.Load)
        ):
            # ``run = exec; run(text)``, ``map(eval, ...)``, ``@exec``: called under another name
            self.flag(node, f"{node.id} as a value", FORBIDDEN_CALLS[node.id])
        if node.id in STRING_GETTERS:
            self.flag(node, node.id, "reaches names by string")
        self.generic_visit(node)

    def _name_reason(self, name: str, owner: ast.expr | None) -> str | None:
        """Why reaching attribute ``name`` of ``owner`` (None: an unknown object) is flagged.

        One rule for every way of reaching an attribute: ``owner.name``, ``getattr(owner,
        "name")`` and a class pattern's ``name=`` keyword.
        """
        if name in self.forbids:
            return "the question asks you to write this scheduler yourself"
        why = _attribute_reason(name)  # of any object: ``t = torch; t.os`` too
        if why is not None:
            return why
        root = _root(owner) if owner is not None else None
        root_name = root.id if isinstance(root, ast.Name) else None
        if name == "__dict__" and root_name != "self":
            return "reaches another object's names as a table"
        if (
            name.startswith("_")
            and not (name.startswith("__") and name.endswith("__"))
            and name not in PRIVATE_NAMES_IN_USE
            and root_name in self.foreign
        ):  # ``torch.serialization._open_file``: a library's internals, reached from the library
            return "reaches a library's private internals"
        if name in WARNING_FILTERS and self.module_alias.get(root_name or "") == "warnings":
            return "changes which warnings are seen"
        return None

    def visit_Attribute(self, node: ast.Attribute) -> None:
        why = self._name_reason(node.attr, node.value)
        if why is not None:
            self.flag(node, _dotted(node), why)
        if isinstance(node.ctx, ast.Store | ast.Del) and self._foreign_root(node):
            verb = "deletes" if isinstance(node.ctx, ast.Del) else "assigns"
            self.flag(node, _dotted(node), f"{verb} an attribute of a module or a torch class")
        self.generic_visit(node)

    def visit_MatchClass(self, node: ast.MatchClass) -> None:
        # ``case object(f_back=frame)`` reads the attribute f_back: a keyword of a class pattern
        # is an attribute look-up that no Attribute node shows.
        for name in node.kwd_attrs:
            why = self._name_reason(name, None)
            if why is not None:
                self.flag(node, f"a pattern reading {name}", why)
        self.generic_visit(node)

    def _foreign_root(self, node: ast.expr) -> bool:
        root = _root(node)
        return isinstance(root, ast.Name) and root.id in self.foreign

    def visit_Subscript(self, node: ast.Subscript) -> None:
        if isinstance(node.ctx, ast.Store | ast.Del) and self._foreign_root(node):
            self.flag(node, _dotted(node), "changes a table of a module or a torch class")
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str):
            if node.value in self.forbids:
                self.flag(node, repr(node.value), "names a class the question forbids")
            if node.value.startswith(("/proc", "/dev", "/sys")):
                self.flag(node, repr(node.value[:40]), "names a system file")
            if node.value in PICKLE_KEYWORDS:  # ``torch.load(path, **{"weights_only": False})``
                self.flag(node, repr(node.value), "switches a loader to running pickled code")
        self.generic_visit(node)

    # --- calls ------------------------------------------------------------------------------
    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Name):
            self.called.add(id(func))
            why = FORBIDDEN_CALLS.get(func.id)
            if why is not None:
                self.flag(node, f"{func.id}()", why)
            if func.id in ("getattr", "setattr", "delattr", "hasattr"):
                name = node.args[1] if len(node.args) > 1 else None
                computed = not (isinstance(name, ast.Constant) and isinstance(name.value, str))
                if computed and func.id != "hasattr":
                    self.flag(node, f"{func.id}() with a computed name", "reaches names by string")
                elif not computed:  # ``getattr(torch, "os")`` is ``torch.os``
                    self._check_named_attribute(node, func.id, name.value)  # type: ignore[union-attr]
                target = node.args[0] if node.args else None
                if func.id in ("setattr", "delattr") and target is not None:
                    root = _root(target)
                    if isinstance(root, ast.Name) and root.id in self.foreign:
                        self.flag(
                            node, f"{func.id}({_dotted(target)}, ...)", "changes a module or class"
                        )
        for keyword in node.keywords:
            if keyword.arg in PICKLE_KEYWORDS and not (
                isinstance(keyword.value, ast.Constant)
                and keyword.value.value is not PICKLE_KEYWORDS[keyword.arg]
            ):  # ``torch.load(path, weights_only=False)``, or a value only known when it runs
                self.flag(
                    node,
                    f"{keyword.arg}={_dotted(keyword.value)}",
                    "loads a pickle, which runs code",
                )
        self.generic_visit(node)

    def _check_named_attribute(self, node: ast.Call, function: str, name: str) -> None:
        why = self._name_reason(name, node.args[0] if node.args else None)
        if why is not None:
            self.flag(node, f"{function}(..., {name!r})", why)

    def _check_annotation(self, annotation: ast.expr | None) -> None:
        # A string annotation is code that ``typing.get_type_hints`` (and so
        # ``functools.singledispatch``'s ``register``) evaluates: only a plain type name passes.
        if not (isinstance(annotation, ast.Constant) and isinstance(annotation.value, str)):
            return
        text = annotation.value
        if not _PLAIN_TYPE.fullmatch(text):
            self.flag(annotation, repr(text[:40]), "an annotation that runs as code")
            return
        for name in re.findall(r"\w+", text):  # ``"torch.os"`` evaluates to the module
            why = _attribute_reason(name) or FORBIDDEN_CALLS.get(name)
            if why is not None or name in self.forbids:
                self.flag(annotation, repr(text[:40]), why or "names a class the question forbids")

    def visit_arg(self, node: ast.arg) -> None:
        self._check_annotation(node.annotation)
        self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self._check_annotation(node.returns)
        self.generic_visit(node)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self._check_annotation(node.annotation)
        self.generic_visit(node)

    def visit_Global(self, node: ast.Global) -> None:
        for name in node.names:
            if name in self.foreign:
                self.flag(node, f"global {name}", "rebinds a module or torch name")
        self.generic_visit(node)


def audit_source(
    source: str, forbids: Iterable[str] = (), scheduler_names: Iterable[str] | None = None
) -> list[Finding]:
    """Return what ``source`` uses that an answer has no business touching, in line order.

    ``forbids`` names the torch classes the question asks the learner to write themselves.
    Source that does not parse has no findings (the run reports the syntax error).
    """
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    if scheduler_names is None:
        from lrcourse.trace import SCHEDULER_NAMES

        scheduler_names = SCHEDULER_NAMES
    auditor = _Auditor(forbids, scheduler_names)
    try:
        auditor.visit(tree)
    except RecursionError:
        return [Finding(1, "nesting deeper than Python reads", "code no one writes by hand")]
    unique = {(f.line, f.construct): f for f in auditor.findings}
    return sorted(unique.values(), key=lambda f: (f.line, f.construct))


def review_reason(findings: list[Finding], limit: int = 5) -> str:
    """Return the sentence a reviewer reads: what the answer used, and where."""
    shown = "; ".join(str(f) for f in findings[:limit])
    more = f"; and {len(findings) - limit} more" if len(findings) > limit else ""
    return f"a person must look at this answer: it uses {shown}{more}"
