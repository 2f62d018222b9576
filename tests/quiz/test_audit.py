"""The grader's audit of an answer's source: no false flag, and every trick it is there for.

``tests/files/honest/<question-id>--<style>.py`` are honest learner answers written many ways
(loops, closed forms, recursion, helpers, closures, comprehensions, ``math``, ``bisect``,
dataclasses, classes with ``super()``, a hand-written ``state_dict``, plain torch): each must
raise no finding and, as evidence that it is honest, earn full marks on drawn settings. The
course's own reference answers must raise none either. Each hostile construct must be named
with its line.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from lrcourse.quiz.audit import audit_source, review_reason
from lrcourse.quiz.judge import judge_lab, lab_job
from lrcourse.quiz.labs import run_job
from tests.quiz.reference_invariant import course_questions

HONEST = sorted((Path(__file__).resolve().parents[1] / "files" / "honest").glob("*.py"))
QUESTIONS = course_questions()


def test_the_honest_corpus_is_large_and_varied() -> None:
    assert len(HONEST) >= 25
    assert len({p.stem.split("--")[0] for p in HONEST}) >= 12


def test_no_honest_answer_and_no_reference_answer_is_flagged() -> None:
    flagged = {}
    for path in HONEST:
        question = QUESTIONS[path.stem.split("--")[0]]
        found = audit_source(path.read_text(), getattr(question, "forbids", ()))
        if found:
            flagged[path.name] = [str(f) for f in found]
    for question in QUESTIONS.values():
        found = audit_source(question.reference, getattr(question, "forbids", ()))
        if found:
            flagged[question.id] = [str(f) for f in found]
    print(
        f"\n{len(HONEST)} honest answers, {len(QUESTIONS)} reference answers: {len(flagged)} flagged"
    )
    assert flagged == {}, "false flags"


@pytest.mark.parametrize("path", HONEST, ids=[p.stem for p in HONEST])
def test_each_honest_answer_earns_full_marks_on_drawn_settings(path: Path) -> None:
    question = QUESTIONS[path.stem.split("--")[0]]
    for seed in range(2):
        job = lab_job(question, path.read_text(), random.Random(seed))
        result = judge_lab(question, run_job(job), job)
        assert result.correct and result.review is None, result.text()


#: source -> a fragment of the finding it must raise (its construct and line)
HOSTILE: dict[str, str] = {
    "import sys\nf = sys._getframe()\n": "line 1: import sys",
    "def f():\n    return g().f_back.f_locals\n": "line 2: g().f_back.f_locals",
    "try:\n    1 / 0\nexcept Exception as e:\n    t = e.__traceback__.tb_frame\n": "line 4",
    "def gen():\n    yield 1\nx = gen().gi_frame\n": "line 3: gen().gi_frame",
    "import gc\n": "line 1: import gc",
    "import inspect\n": "line 1: import inspect",
    "import ctypes\n": "line 1: import ctypes",
    "import os\nos.write(3, b'{}')\n": "line 1: import os",
    "from os import dup2\n": "line 1: import os",
    "x = open('/proc/self/fd')\n": "line 1: open()",
    "exec('x = 1')\n": "line 1: exec()",
    "y = eval('1')\n": "line 1: eval()",
    "c = compile('1', 'f', 'eval')\n": "line 1: compile()",
    "m = __import__('os')\n": "line 1: __import__()",
    "name = 'wr' + 'ite'\nw = getattr(torch, name)\n": "line 2: getattr() with a computed name",
    "setattr(torch.optim, 'SGD', None)\n": "line 1: setattr(torch.optim, ...)",
    "b = __builtins__\n": "line 1: __builtins__",
    "f = (lambda: 0).__globals__\n": "line 1: (lambda: 0).__globals__",
    "def f():\n    pass\nf.__code__ = (lambda: 1).__code__\n": "line 3: f.__code__",
    "import lrcourse\nlrcourse.check_scheduler = lambda *a, **k: None\n": "line 2: lrcourse.check_scheduler",
    "StepLR.get_lr = lambda self: [0.1]\n": "line 1: StepLR.get_lr",
    "torch.optim.lr_scheduler.StepLR = LambdaLR\n": "line 1: torch.optim.lr_scheduler.StepLR",
    "import warnings\nwarnings.simplefilter('ignore')\n": "line 2: warnings.simplefilter",
    "import warnings as w\nw.filterwarnings('ignore')\n": "line 2: w.filterwarnings",
    "from warnings import catch_warnings\n": "line 1: warnings.catch_warnings",
    "import warnings\nwarnings.showwarning = print\n": "line 2: warnings.showwarning",
    "k = LRScheduler.__subclasses__()\n": "line 1: LRScheduler.__subclasses__",
    "d = torch.__dict__\n": "line 1: torch.__dict__",
    "g = globals()\n": "line 1: globals()",
    "import sys\nm = sys.modules\n": "line 2: sys.modules",
    "import subprocess\n": "line 1: import subprocess",
    "import socket\n": "line 1: import socket",
    # modules other modules hold: the imports an answer may not make, reached as attributes
    "torch.os.write(3, b'{}')\n": "line 1: torch.os",
    "t = torch\nt.sys.exit(0)\n": "line 2: t.sys",
    "import numpy\nf = numpy.inspect\n": "line 2: numpy.inspect",
    "from torch import os as o\n": "line 1: from torch import os",
    # names reached by a string without a call to getattr with a computed name
    "import operator\nk = operator.attrgetter('Step' + 'LR')(lr_scheduler)\n": (
        "line 2: operator.attrgetter"
    ),
    "from operator import methodcaller\n": "line 1: from operator import methodcaller",
    "import functools\nk = functools.reduce(getattr, ['optim'], torch)\n": (
        "line 2: getattr as a value"
    ),
    "s = [setattr][0]\n": "line 1: setattr as a value",
    # a class pattern's keywords are attribute look-ups
    "try:\n    1 / 0\nexcept Exception as e:\n    match e:\n        case object(__traceback__=t):\n"
    "            pass\n": "line 5: a pattern reading __traceback__",
    "match frame:\n    case object(f_back=f):\n        pass\n": "line 2: a pattern reading f_back",
    "match torch:\n    case object(os=o):\n        pass\n": "line 2: a pattern reading os",
    "c = torch._C\n": "line 1: torch._C",
    # code from strings under another name, or run for the caller by a library
    "run = exec\nrun('import os')\n": "line 1: exec as a value",
    "list(map(eval, ['1']))\n": "line 1: eval as a value",
    "@exec\ndef f():\n    pass\n": "line 1: exec as a value",
    "o = open\n": "line 1: open as a value",
    "m = getattr(torch, 'os')\n": "line 1: getattr(..., 'os')",
    "g = getattr(f, '__globals__')\n": "line 1: getattr(..., '__globals__')",
    "import random\no = random._os\n": "line 2: random._os",
    "torch.load('x.pt', weights_only=False)\n": "line 1: weights_only=False",
    "torch.load('x.pt', **{'weights_only': False})\n": "line 1: 'weights_only'",
    "import numpy\nnumpy.load('x.npy', allow_pickle=True)\n": "line 2: allow_pickle=True",
    "import typing\nh = typing.get_type_hints(f)\n": "line 2: typing.get_type_hints",
    "from typing import get_type_hints\n": "line 1: from typing import get_type_hints",
    "def f(x: \"__import__('os')\"):\n    pass\n": "line 1: \"__import__('os')\"",
    "t = torch.from_file('/etc/hostname', size=4)\n": "line 1: torch.from_file",
    "def f(x: 'torch.os'):\n    pass\n": "line 1: 'torch.os'",
    "f = torch.serialization._open_file('x', 'wb')\n": "line 1: torch.serialization._open_file",
    "import numpy\nc = numpy.ctypeslib\n": "line 2: numpy.ctypeslib",
    "torch.library.Library('aten', 'IMPL')\n": "line 1: torch.library",
}


def test_plain_names_of_types_in_string_annotations_and_safe_loads_are_not_flagged() -> None:
    for source in [
        "def f(optimizer: 'torch.optim.Optimizer', rates: 'list[float] | None') -> 'LRScheduler':\n"
        "    return None\n",
        "state = torch.load('checkpoint.pt', weights_only=True)\n",
        "state = torch.load('checkpoint.pt')\n",
        "last = getattr(self, 'last_epoch', 0)\n",
        "compile = 3\n",
        "torch.compile\n",
        "def forward(self, input):\n    return input * 2\n",
        "class Old(lr_scheduler._LRScheduler):\n    def get_lr(self):\n"
        "        return [g['lr'] for g in self.optimizer.param_groups]\n",
        "last = self._last_lr\nv = torch.__version__\n",
        "firsts = [input[0] for input in pairs]\n",
    ]:
        assert audit_source(source) == [], source


@pytest.mark.parametrize("source", HOSTILE, ids=range(len(HOSTILE)))
def test_each_hostile_construct_is_named_with_its_line(source: str) -> None:
    found = [str(f) for f in audit_source(source)]
    assert any(HOSTILE[source] in f for f in found), found


def test_the_scheduler_a_question_forbids_is_flagged_however_it_is_reached() -> None:
    forbids = ("StepLR",)
    for source, line in [
        ("class HalveEvery(StepLR):\n    pass\n", 1),
        ("class HalveEvery(torch.optim.lr_scheduler.StepLR):\n    pass\n", 1),
        ("from torch.optim.lr_scheduler import StepLR as S\n", 1),
        ("def HalveEvery(opt, every):\n    return StepLR(opt, every, 0.5)\n", 2),
        ("k = getattr(lr_scheduler, 'StepLR')\n", 1),
        ("match lr_scheduler:\n    case object(StepLR=k):\n        pass\n", 2),
    ]:
        found = audit_source(source, forbids)
        assert found and found[0].line == line, (source, found)
    assert audit_source("class HalveEvery(LRScheduler):\n    '''like StepLR'''\n", forbids) == []


def test_the_review_reason_names_each_construct_and_line() -> None:
    found = audit_source("import os\nimport warnings\nwarnings.simplefilter('ignore')\n")
    reason = review_reason(found)
    assert reason.startswith("a person must look at this answer: it uses line 1: import os")
    assert "line 3: warnings.simplefilter" in reason


def test_source_that_does_not_parse_has_no_finding() -> None:
    assert audit_source("def f(:\n") == []
