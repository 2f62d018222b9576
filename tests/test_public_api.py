"""The public API is locked: ``__all__`` lists exactly the public names, and each one exists."""

import lrcourse


def test_all_equals_public_names():
    public = {name for name in vars(lrcourse) if not name.startswith("_")}
    modules = {name for name in public if type(getattr(lrcourse, name)).__name__ == "module"}
    assert set(lrcourse.__all__) == public - modules


def test_all_is_sorted_and_unique():
    assert lrcourse.__all__ == sorted(set(lrcourse.__all__), key=lambda n: (not n.isupper(), n))
