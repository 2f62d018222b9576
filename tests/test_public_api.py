"""The public API is locked: ``__all__`` lists exactly the public names, each one resolves to the
object its engine module defines, and ``import lrcourse`` stays cheap (names load on first use)."""

import importlib
import pkgutil
import subprocess
import sys

import lrcourse


def test_all_is_sorted_and_unique():
    assert lrcourse.__all__ == sorted(set(lrcourse.__all__), key=lambda n: (not n.isupper(), n))


def test_every_public_name_is_the_object_its_module_defines():
    for name in lrcourse.__all__:
        module = importlib.import_module(lrcourse._EXPORTS[name])
        assert getattr(lrcourse, name) is getattr(module, name), name


def test_no_public_name_is_also_a_submodule_name():
    """Importing lrcourse.<x> sets the attribute <x> on the package, which would hide a name <x>."""
    submodules = {info.name for info in pkgutil.iter_modules(lrcourse.__path__)}
    assert submodules & set(lrcourse.__all__) == set()


def test_public_names_are_exactly_all():
    for name in lrcourse.__all__:
        getattr(lrcourse, name)  # load every lazy name first
    public = {name for name in dir(lrcourse) if not name.startswith("_")}
    submodules = {name for name in public if type(getattr(lrcourse, name)).__name__ == "module"}
    assert public - submodules == set(lrcourse.__all__)


def test_a_misspelt_name_is_an_attribute_error_naming_it():
    try:
        lrcourse.trace_shedule  # noqa: B018
    except AttributeError as error:
        assert "trace_shedule" in str(error)
    else:
        raise AssertionError("a misspelt name resolved")


def test_importing_lrcourse_loads_no_heavy_library():
    heavy = ("torch", "matplotlib", "ipywidgets", "pydantic")
    code = f"import sys, lrcourse; print([m for m in {heavy!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_call_the_quiz_tells_learners_to_run_is_public():
    """The widget and the book print ``lrcourse.check("<id>")``; that name must resolve."""
    from lrcourse.quiz.cell_check import check
    from lrcourse.quiz.html import check_call

    assert check_call("a.b") == 'lrcourse.check("a.b")'
    assert "check" in lrcourse.__all__ and lrcourse.check is check
