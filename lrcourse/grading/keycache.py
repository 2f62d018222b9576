"""Answer keys torch computed, kept so that a command that only reads them need not import torch.

``export`` writes each student's feedback with the key of every predict and computed numeric
question (of that student's variant), and ``assign`` checks that no release shows a key: both
need the keys, and computing one means importing torch (seconds) and running the snippet. Each
key is still computed by running the real torch classes (:func:`lrcourse.quiz.check.predict_key`,
:func:`~lrcourse.quiz.check.numeric_key`), once per distinct snippet and torch version; the result
is stored in :func:`cache_path` under a hash of the snippet (its code and stated error), the
question type, the torch version, the Python version and the quiz engine's sources (which run the
snippet and show its output), and read back by the next command. A changed snippet, another torch
or an edited engine is another entry, so a cached key is always what this torch, run this way,
prints for this code. A missing, unreadable or corrupt cache is recomputed, never an error.

The cache holds keys: ``grade`` hides its folder from the sandbox (:func:`cache_dir`) like the
banks. ``LRCOURSE_CACHE`` names another folder (tests, a read-only home).
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lrcourse.quiz.model import Numeric, Predict

_FILE = "keys.json"
_loaded: dict[str, object] | None = None


def cache_dir() -> Path:
    """Return the folder of the key cache: ``$LRCOURSE_CACHE``, else ``$XDG_CACHE_HOME/lrcourse``."""
    named = os.environ.get("LRCOURSE_CACHE")
    if named:
        return Path(named)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "lrcourse"


def cache_path() -> Path:
    """Return the key cache file."""
    return cache_dir() / _FILE


@functools.cache
def _engine() -> str:
    """Return a hash of the quiz engine's sources: the code that runs a snippet and shows its output."""
    digest = hashlib.sha256()
    for path in sorted((Path(__file__).resolve().parents[1] / "quiz").glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _entry(kind: str, code: str, raises: str | None) -> str:
    what = {
        "kind": kind,
        "code": code,
        "raises": raises,
        "torch": importlib.metadata.version("torch"),
        "python": list(sys.version_info[:2]),
        "engine": _engine(),
    }
    return hashlib.sha256(json.dumps(what, sort_keys=True).encode("utf-8")).hexdigest()


def _keys() -> dict[str, object]:
    global _loaded
    if _loaded is None:
        try:
            data = json.loads(cache_path().read_text(encoding="utf-8"))
            _loaded = dict(data) if isinstance(data, dict) else {}
        except (OSError, ValueError):
            _loaded = {}
    return _loaded


def _store(entry: str, value: object) -> None:
    keys = _keys()
    keys[entry] = value
    path = cache_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=".keys-", suffix=".json", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(keys, handle, sort_keys=True)
        os.replace(name, path)  # whole or not at all; a concurrent writer's entries recompute
    except OSError:
        pass  # a read-only cache folder: the key is still right, only not kept


def predict_key(question: Predict) -> str:
    """Return what the question's snippet prints under the installed torch (cached per snippet)."""
    entry = _entry("predict", question.code, question.raises)
    cached = _keys().get(entry)
    if isinstance(cached, str):
        return cached
    from lrcourse.quiz.check import predict_key as computed  # imports torch

    key = computed(question)
    _store(entry, key)
    return key


def numeric_key(question: Numeric) -> float:
    """Return the numeric key: the number ``code`` prints (cached per snippet), else ``answer``."""
    if question.code is None:
        assert question.answer is not None  # the model guarantees one of the two
        return question.answer
    entry = _entry("numeric", question.code, None)
    cached = _keys().get(entry)
    if isinstance(cached, float) and not isinstance(cached, bool):
        return cached
    from lrcourse.quiz.check import numeric_key as computed  # imports torch

    key = computed(question)
    _store(entry, float(key))
    return key
