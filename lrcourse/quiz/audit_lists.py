"""What the source audit flags, as data: the names, attributes and imports an answer has no use for.

:mod:`lrcourse.quiz.audit` walks an answer's syntax tree and looks each name up here; the reasons
are the words a reviewer reads. Adding a door an attacker found is a line in one of these tables
(and a hostile case in ``tests/quiz/test_audit.py``).
"""

from __future__ import annotations

#: Modules an answer may import: numbers, torch and the standard library's plain data tools.
ALLOWED_IMPORTS = frozenset(
    {
        "math",
        "cmath",
        "torch",
        "functools",
        "itertools",
        "collections",
        "bisect",
        "statistics",
        "dataclasses",
        "typing",
        "numbers",
        "fractions",
        "decimal",
        "copy",
        "operator",
        "abc",
        "enum",
        "heapq",
        "random",
        "numpy",
        "warnings",
        "__future__",
    }
)
#: Parts of ``torch`` an answer has no use for: the process, files, other code.
FORBIDDEN_TORCH = ("torch.utils.cpp_extension", "torch._C", "torch.hub", "torch.library")
#: The last names of those parts, reached as attributes (``torch._C``, ``torch.hub``).
TORCH_INTERNALS = frozenset({"_C", "cpp_extension", "hub", "_dynamo", "_inductor", "library"})
#: Built-in functions that run strings as code, reach names by string or open files.
FORBIDDEN_CALLS = {
    "exec": "runs a string as code",
    "eval": "runs a string as code",
    "compile": "compiles a string into code",
    "__import__": "imports a module by name",
    "globals": "reaches the module's names as a table",
    "locals": "reaches the frame's names as a table",
    "vars": "reaches an object's names as a table",
    "open": "opens a file",
    "breakpoint": "starts a debugger",
    "input": "reads the terminal",
    "memoryview": "reads raw memory",
}
#: Of those, the names an answer may well hold as its own variable (``def forward(self, input)``):
#: they are flagged when called, not when merely read, since they run no code.
HARMLESS_AS_VALUES = frozenset({"input", "breakpoint"})
#: Attributes through which code reaches frames, other code's internals or the interpreter.
FORBIDDEN_ATTRIBUTES = {
    "_getframe": "reads the interpreter's frames",
    "f_back": "walks the interpreter's frames",
    "f_locals": "reads a frame's variables",
    "f_globals": "reads a frame's globals",
    "f_builtins": "reads a frame's builtins",
    "f_code": "reads a frame's code",
    "tb_frame": "reaches a frame through a traceback",
    "tb_next": "walks a traceback",
    "gi_frame": "reaches a generator's frame",
    "cr_frame": "reaches a coroutine's frame",
    "ag_frame": "reaches an async generator's frame",
    "__traceback__": "reaches frames through a traceback",
    "__code__": "reads or replaces a function's code",
    "__globals__": "reaches a function's module names",
    "__closure__": "reaches a function's closure",
    "__builtins__": "reaches the built-in names",
    "__subclasses__": "walks the class tree",
    "__bases__": "changes or walks a class's bases",
    "__mro__": "walks the class tree",
    "__getattribute__": "bypasses attribute look-up",
    "__setattr__": "bypasses attribute assignment",
    "__delattr__": "bypasses attribute deletion",
    "__import__": "imports a module by name",
    "__loader__": "reaches a module's loader",
    "__spec__": "reaches a module's spec",
    "__self__": "reaches a bound method's owner",
    "__func__": "reaches a bound method's function",
    "__defaults__": "changes a function's defaults",
    "__kwdefaults__": "changes a function's defaults",
    "modules": "reaches the loaded modules",
}
#: Library functions and modules that run code from strings, load pickles or read and write
#: files for the caller: a scheduler or a training loop has no use for any of them.
LIBRARY_DOORS = {
    "get_type_hints": "evaluates strings as code",
    "ForwardRef": "evaluates a string as code",
    "_eval_type": "evaluates strings as code",
    "CompilationUnit": "compiles a string into code",
    "load_library": "loads native code",
    "f2py": "compiles and loads native code",
    "ctypeslib": "reaches ctypes",
    "copyreg": "changes how pickles are made",
    "from_file": "reads a file",
    "fromfile": "reads a file",
    "memmap": "maps a file",
    "tofile": "writes a file",
    "loadtxt": "reads a file",
    "genfromtxt": "reads a file",
    "savetxt": "writes a file",
    "DataSource": "opens files and addresses",
}
#: Private names of torch that honest answers use as public ones: the legacy base class that old
#: tutorials subclass. Any other ``_name`` reached from a module or a torch class is flagged.
PRIVATE_NAMES_IN_USE = frozenset({"_LRScheduler"})
#: Keyword arguments that let a loader run the code a pickle names.
PICKLE_KEYWORDS = {"weights_only": False, "allow_pickle": True}
#: Modules an answer may not import, which other modules hold as attributes all the same
#: (``torch.os``, ``numpy.sys``): reaching one that way is the import it may not make.
MODULE_ATTRIBUTES = frozenset(
    {
        "os",
        "posix",
        "sys",
        "io",
        "builtins",
        "inspect",
        "gc",
        "ctypes",
        "importlib",
        "subprocess",
        "pickle",
        "marshal",
        "types",
        "shutil",
        "pathlib",
        "socket",
        "signal",
        "threading",
        "multiprocessing",
        "weakref",
        "resource",
        "mmap",
        "fcntl",
        "tempfile",
        "traceback",
        "linecache",
        "atexit",
        "runpy",
        "pkgutil",
        "site",
        "platform",
    }
)
#: Built-ins and ``operator`` functions that reach attributes by a name given as a string.
NAME_REACHERS = ("getattr", "setattr", "delattr")
STRING_GETTERS = ("attrgetter", "methodcaller")
#: Attributes of ``warnings`` that change which warnings are seen.
WARNING_FILTERS = (
    "simplefilter",
    "filterwarnings",
    "resetwarnings",
    "catch_warnings",
    "showwarning",
    "formatwarning",
    "filters",
)
#: Names the learner's namespace holds before their code runs (``labs.torch_names``).
PRELOADED_MODULES = ("torch", "lr_scheduler", "math")
