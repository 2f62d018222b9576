"""Observe what learner code does under real torch: the child side of code and fix-the-loop labs.

Runs inside the sandbox (``lrcourse.sandbox``'s ``lab`` probe) or, without it, as
``python -m lrcourse.quiz.labs JOB.json RESULT.json`` (see ``run.py``): it executes the learner's
source, runs the question's probes or the recording training loop, and returns *observations*
(rates, warnings, recorded calls, final weights, errors). A job holds only public inputs (the
learner's ``build`` expressions and probe settings the grader drew for this run), never a
reference, expected value or verdict: the grader judges the observations against torch in its
own process (``check.py``, ``loops.py``). :func:`reference_training` is the one function here
the grader itself runs, so that both sides build the same model and data.
"""

from __future__ import annotations

import json
import math
import sys
import traceback
import warnings
from collections.abc import Callable, Iterator
from typing import Any

#: Where the learner's code appears in tracebacks, so line numbers point at their own lines.
LEARNER_FILE = "<your code>"


def torch_names() -> dict[str, Any]:
    """Return the names a check expression sees: ``torch`` and every scheduler class by name."""
    import torch
    from torch.optim import lr_scheduler

    from lrcourse.trace import SCHEDULER_NAMES

    names: dict[str, Any] = {"torch": torch, "lr_scheduler": lr_scheduler, "math": math}
    names.update({name: getattr(lr_scheduler, name) for name in SCHEDULER_NAMES})
    names["LRScheduler"] = lr_scheduler.LRScheduler
    return names


def describe_error(error: BaseException) -> str:
    """Return ``"TypeError: message (line 3 of your code)"``: the learner's line, not a traceback."""
    line = None
    for frame in traceback.extract_tb(error.__traceback__):
        if frame.filename == LEARNER_FILE:
            line = frame.lineno
    if isinstance(error, SyntaxError) and error.filename == LEARNER_FILE:
        line = error.lineno
    where = f" (line {line} of your code)" if line else ""
    message = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return (
        f"{type(error).__name__}: {message}{where}" if message else f"{type(error).__name__}{where}"
    )


def learner_namespace(source: str) -> dict[str, Any]:
    """Execute ``source`` in a namespace holding torch names; return that namespace."""
    import types

    # A module of its own, found in sys.modules under its name as a script's is: tools that
    # look a class's module up there (``dataclasses``, ``pickle``, ``typing``) then work.
    module = types.ModuleType("__learner__")
    namespace = module.__dict__
    namespace.update(torch_names())
    sys.modules["__learner__"] = module
    exec(compile(source, LEARNER_FILE, "exec"), namespace)
    return namespace


def _optimizer(lr: float, param_groups: list[dict[str, float]] | None, name: str = "SGD") -> Any:
    from lrcourse.trace import build_optimizer

    return build_optimizer(name, lr=lr, param_groups=param_groups)


def _rates(opt: Any) -> list[float]:
    return [float(group["lr"]) for group in opt.param_groups]


def _plain(value: Any) -> Any:
    """Return ``value`` as JSON data: tensors and numbers become floats, callables their names."""
    import torch

    if isinstance(value, torch.Tensor):
        return value.tolist()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    return f"<{type(value).__name__}>"


def observe_trace(ns: dict[str, Any], check: dict[str, Any]) -> dict[str, Any]:
    """Return the learner scheduler's rates over the check's loop (``lrcourse.trace_scheduler``)."""
    from lrcourse.trace import trace_scheduler

    trace = trace_scheduler(
        lambda opt: eval(check["build"], {**ns, "opt": opt}),
        epochs=check["epochs"],
        steps_per_epoch=check.get("steps_per_epoch", 1),
        step_per=check.get("step_per", "epoch"),
        lr=check.get("lr", 0.1),
        param_groups=check.get("param_groups"),
        optimizer=check.get("optimizer", "SGD"),
    )
    return {
        "lrs": [list(g) for g in trace.lrs],
        "final_lrs": list(trace.final_lrs),
        "warnings": trace.warning_messages(),
    }


def observe_state_dict(ns: dict[str, Any], check: dict[str, Any]) -> dict[str, Any]:
    """Return the scheduler's ``state_dict()`` and ``get_last_lr()`` before and after a reload."""
    build = check["build"]
    opt = _optimizer(check.get("lr", 0.1), check.get("param_groups"))
    scheduler = eval(build, {**ns, "opt": opt})
    for _ in range(check.get("steps", 3)):
        opt.step()
        scheduler.step()
    saved = scheduler.state_dict()
    fresh_opt = _optimizer(check.get("lr", 0.1), check.get("param_groups"))
    fresh = eval(build, {**ns, "opt": fresh_opt})
    fresh.load_state_dict(saved)
    return {
        "saved": _plain(saved),
        "reloaded": _plain(fresh.state_dict()),
        "last_lr": _plain(scheduler.get_last_lr()),
        "reloaded_last_lr": _plain(fresh.get_last_lr()),
    }


def observe_resume(ns: dict[str, Any], check: dict[str, Any]) -> dict[str, Any]:
    """Return the rates of one uninterrupted run and of a run saved, rebuilt and resumed."""
    build, lr, groups = check["build"], check.get("lr", 0.1), check.get("param_groups")
    stop, total = check["stop_after"], check["total"]

    def steps(opt: Any, scheduler: Any, count: int) -> list[list[float]]:
        seen = []
        for _ in range(count):
            seen.append(_rates(opt))
            opt.step()
            scheduler.step()
        return seen

    opt = _optimizer(lr, groups)
    straight = steps(opt, eval(build, {**ns, "opt": opt}), total)
    opt = _optimizer(lr, groups)
    scheduler = eval(build, {**ns, "opt": opt})
    first = steps(opt, scheduler, stop)
    opt_state, scheduler_state = opt.state_dict(), scheduler.state_dict()
    new_opt = _optimizer(lr, groups)
    new_scheduler = eval(build, {**ns, "opt": new_opt})
    new_opt.load_state_dict(opt_state)
    new_scheduler.load_state_dict(scheduler_state)
    resumed = first + steps(new_opt, new_scheduler, total - stop)
    return {"straight": straight, "resumed": resumed}


def observe_warnings(ns: dict[str, Any], check: dict[str, Any]) -> dict[str, Any]:
    """Return every warning emitted while building and stepping the learner's scheduler."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        opt = _optimizer(0.1, None)
        scheduler = eval(check["build"], {**ns, "opt": opt})
        for _ in range(check.get("epochs", 5)):
            opt.step()
            scheduler.step()
    return {"warnings": [f"{w.category.__name__}: {w.message}" for w in caught]}


def observe_value(ns: dict[str, Any], check: dict[str, Any]) -> dict[str, Any]:
    """Return the value of the learner expression, on the inputs the grader drew for this run."""
    seen = {"value": _plain(eval(check["expression"], {**ns, **check.get("values", {})}))}
    if "more_values" in check:  # graded work draws several inputs
        seen["more"] = [
            _plain(eval(check["expression"], {**ns, **values})) for values in check["more_values"]
        ]
    return seen


def _round_trip(value: Any) -> Any:
    """Return ``value`` after ``torch.save`` and ``torch.load`` (torch's default, weights_only)."""
    import io

    import torch

    buffer = io.BytesIO()
    torch.save(value, buffer)
    buffer.seek(0)
    return torch.load(buffer)


def _attempt(record: Callable[[], Any]) -> Any:
    """Return what ``record()`` returns, or ``{"error": ...}`` when the learner's code raised."""
    try:
        return record()
    except Exception as error:
        return {"error": describe_error(error)}


def observe_properties(ns: dict[str, Any], check: dict[str, Any]) -> dict[str, Any]:
    """Record what ``lrcourse.check_scheduler`` looks at; the grader decides each property.

    The scheduler is stepped ``epochs`` times (``optimizer.step()`` then ``scheduler.step()``);
    recorded: the rates after construction and each step, ``_get_closed_form_lr()`` at every
    ``last_epoch`` of a fresh one (None when it has none), its ``state_dict()`` before and after
    a ``torch.save``/``torch.load`` and ``load_state_dict`` round trip, the rates of a run
    checkpointed after ``stop_after`` steps and resumed, each group's rates alone in its own
    optimizer, and every warning torch emitted meanwhile.
    """
    build, lr, epochs = check["build"], check.get("lr", 0.1), int(check["epochs"])
    groups = check.get("param_groups") or [{"lr": 0.1}, {"lr": 0.02}]
    stop = int(check.get("stop_after", epochs // 2))

    def make(param_groups: list[dict[str, float]]) -> tuple[Any, Any]:
        opt = _optimizer(lr, [dict(g) for g in param_groups])
        return opt, eval(build, {**ns, "opt": opt})

    def run(param_groups: list[dict[str, float]], steps: int) -> tuple[Any, Any, list[Any]]:
        opt, scheduler = make(param_groups)
        seen = [_rates(opt)]
        for _ in range(steps):
            opt.step()
            scheduler.step()
            seen.append(_rates(opt))
        return opt, scheduler, seen

    def closed_form() -> Any:
        _, fresh = make(groups)
        if not hasattr(fresh, "_get_closed_form_lr"):
            return None
        out = []
        for t in range(epochs + 1):
            fresh.last_epoch = t
            out.append([float(v) for v in fresh._get_closed_form_lr()])
        return out

    def state_dict() -> Any:
        _, scheduler, _ = run(groups, stop)
        saved = scheduler.state_dict()
        try:
            loaded = _round_trip(saved)
        except Exception as error:
            return {"save_error": f"{type(error).__name__}: {error}"[:300]}
        _, restored = make(groups)
        restored.load_state_dict(loaded)
        return {"saved": _plain(saved), "restored": _plain(restored.state_dict())}

    def resume() -> Any:
        opt, scheduler, _ = run(groups, stop)
        try:
            checkpoint = _round_trip(
                {"optimizer": opt.state_dict(), "scheduler": scheduler.state_dict()}
            )
        except Exception as error:
            return {"save_error": f"{type(error).__name__}: {error}"[:300]}
        new_opt, resumed = make(groups)
        new_opt.load_state_dict(checkpoint["optimizer"])
        resumed.load_state_dict(checkpoint["scheduler"])
        seen = [_rates(new_opt)]
        for _ in range(stop + 1, epochs + 1):
            new_opt.step()
            resumed.step()
            seen.append(_rates(new_opt))
        return seen

    def alone() -> Any:
        return [run([group], epochs)[2] for group in groups]

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rates = run(groups, epochs)[2]  # raises: the scheduler does not run at all
        found = {
            "rates": rates,
            "stop_after": stop,
            "closed_form": _attempt(closed_form),
            "state_dict": _attempt(state_dict),
            "resume": _attempt(resume),
            "alone": _attempt(alone) if len(groups) > 1 else None,
        }
    found["warnings"] = sorted({f"{w.category.__name__}: {w.message}" for w in caught})
    return found


OBSERVERS: dict[str, Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]] = {
    "trace": observe_trace,
    "state_dict": observe_state_dict,
    "resume": observe_resume,
    "no_warnings": observe_warnings,
    "value": observe_value,
    "properties": observe_properties,
}


def built_classes(ns: dict[str, Any], build: str) -> list[str]:
    """Return ``module.qualname`` of every class of what ``build`` makes, most derived first."""
    opt = _optimizer(0.1, None)
    made = eval(build, {**ns, "opt": opt})
    return [f"{cls.__module__}.{cls.__qualname__}" for cls in type(made).__mro__]


class Prepared:
    """The learner's code, already run: its namespace, or the error that stopped it."""

    def __init__(self, namespace: dict[str, Any] | None, error: str | None) -> None:
        self.namespace, self.error = namespace, error


def prepare(source: str) -> Prepared:
    """Run the learner's ``source`` once, before the job (and its drawn settings) is read.

    The sandbox's harness calls this first when it can, so that no frame the code's top level
    could walk holds the probe settings yet; :func:`run_job` then observes that namespace.
    """
    try:
        return Prepared(learner_namespace(source), None)
    except BaseException as error:  # the learner's code: any failure is an observation
        return Prepared(None, f"your code did not run: {describe_error(error)}")


def _namespace(source: str, prepared: Prepared | None) -> Prepared:
    return prepared if isinstance(prepared, Prepared) else prepare(source)


def observe_code(
    source: str, entry: str, checks: list[dict[str, Any]], prepared: Prepared | None = None
) -> dict[str, Any]:
    """Run ``source`` then each check; return ``{"error"}`` or ``{"observations": [...]}``."""
    ran = _namespace(source, prepared)
    if ran.namespace is None:
        return {"error": ran.error}
    ns = ran.namespace
    if entry not in ns:
        return {"error": f"your code does not define `{entry}`"}
    observations = []
    for check in checks:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                observations.append({"kind": check["kind"], **OBSERVERS[check["kind"]](ns, check)})
        except BaseException as error:
            observations.append({"kind": check["kind"], "error": describe_error(error)})
    built: dict[str, Any] = {}
    for build in dict.fromkeys(c["build"] for c in checks if "build" in c):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                built[build] = built_classes(ns, build)
        except BaseException:  # the checks above already report why it does not build
            built[build] = []
    return {"observations": observations, "built": built}


class _Position:
    """Where the recording loader is: epoch index (number of iterations started) and batch."""

    def __init__(self) -> None:
        self.epoch = -1
        self.batch = -1


def loop_batches(seed: int, batches: int) -> list[tuple[Any, Any]]:
    """Return the ``batches`` fixed (inputs, targets) batches of a loop job, drawn from ``seed``."""
    import torch

    generator = torch.Generator().manual_seed(seed)
    return [
        (torch.randn(8, 2, generator=generator), torch.randn(8, 1, generator=generator))
        for _ in range(batches)
    ]


def loop_model(seed: int, lr: float) -> tuple[Any, Any]:
    """Return the model and SGD optimizer a loop job trains: the same on both sides of the sandbox."""
    import torch

    generator = torch.Generator().manual_seed(seed + 1)
    model = torch.nn.Linear(2, 1)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator))
    return model, torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)


def loop_weights(model: Any) -> list[float]:
    """Return every parameter of ``model`` as one flat list of floats."""
    return [float(v) for p in model.parameters() for v in p.detach().flatten().tolist()]


def reference_training(job: dict[str, Any]) -> list[float]:
    """Return the weights the plain, correct torch loop reaches on ``job``'s data and settings.

    Run by the grader in its own process: zero_grad, loss, backward, optimizer.step per batch,
    scheduler.step per batch or per epoch (``job["step_per"]``).
    """
    import torch

    from lrcourse.trace import SchedulerSpec, build_scheduler

    model, optimizer = loop_model(job["seed"], job["lr"])
    scheduler = build_scheduler(optimizer, SchedulerSpec(job["scheduler"], job["scheduler_params"]))
    data = loop_batches(job["seed"], job["batches"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(job["epochs"]):
            for inputs, targets in data:
                optimizer.zero_grad()
                loss = torch.nn.functional.mse_loss(model(inputs), targets)
                loss.backward()
                optimizer.step()
                if job["step_per"] == "batch":
                    scheduler.step()
            if job["step_per"] == "epoch":
                scheduler.step()
    return loop_weights(model)


class RecordingLoader:
    """A data loader over fixed batches that records which epoch and batch is current."""

    def __init__(self, data: list[tuple[Any, Any]], position: _Position) -> None:
        self._data = data
        self._position = position

    def __len__(self) -> int:
        return len(self._data)

    def __iter__(self) -> Iterator[Any]:
        self._position.epoch += 1
        for index, batch in enumerate(self._data):
            self._position.batch = index
            yield batch


class _Recorder:
    """What the recording objects share: the event list, the position, the model and data."""

    def __init__(self, model: Any, data: list[tuple[Any, Any]]) -> None:
        self.events: list[dict[str, Any]] = []
        self.position = _Position()
        self.model, self.data = model, data

    def record(self, call: str, **extra: Any) -> None:
        self.events.append(
            {"call": call, "epoch": self.position.epoch, "batch": self.position.batch, **extra}
        )

    def gradient_state(self) -> str:
        """Return ``fresh`` if every gradient is that of this batch's loss, else why not."""
        import torch

        parameters = list(self.model.parameters())
        if any(p.grad is None for p in parameters):
            return "missing"
        if not 0 <= self.position.batch < len(self.data):
            return "stale"
        inputs, targets = self.data[self.position.batch]
        with torch.enable_grad():
            loss = torch.nn.functional.mse_loss(self.model(inputs), targets)
            fresh = torch.autograd.grad(loss, parameters)
        same = all(
            torch.allclose(p.grad, g, rtol=1e-5, atol=1e-7)
            for p, g in zip(parameters, fresh, strict=True)
        )
        return "fresh" if same else "stale"


class RecordingOptimizer:
    """A real optimizer that records ``zero_grad()`` and ``step()`` (rates used, gradient state)."""

    def __init__(self, optimizer: Any, recorder: _Recorder) -> None:
        self._optimizer, self._recorder = optimizer, recorder

    def zero_grad(self, *args: Any, **kwargs: Any) -> Any:
        self._recorder.record("zero_grad")
        return self._optimizer.zero_grad(*args, **kwargs)

    def step(self, *args: Any, **kwargs: Any) -> Any:
        self._recorder.record(
            "optimizer.step",
            lrs=_rates(self._optimizer),
            gradient=self._recorder.gradient_state(),
        )
        return self._optimizer.step(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._optimizer, name)


class RecordingScheduler:
    """A real scheduler that records each ``step()`` call and where in the loop it happened."""

    def __init__(self, scheduler: Any, recorder: _Recorder) -> None:
        self._scheduler, self._recorder = scheduler, recorder

    def step(self, *args: Any, **kwargs: Any) -> Any:
        self._recorder.record("scheduler.step")
        return self._scheduler.step(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._scheduler, name)


def _recording_loss(recorder: _Recorder) -> Callable[..., Any]:
    """Return ``mse_loss`` that records each call, and each ``backward()`` through its result."""
    import torch

    def loss_fn(*args: Any, **kwargs: Any) -> Any:
        loss = torch.nn.functional.mse_loss(*args, **kwargs)
        recorder.record("loss")
        if loss.requires_grad:
            loss.register_hook(lambda grad: recorder.record("backward"))
        return loss

    return loss_fn


def observe_loop(job: dict[str, Any], prepared: Prepared | None = None) -> dict[str, Any]:
    """Run the learner's ``train`` with recording objects; return its calls, warnings, weights.

    The data, the model's first weights and the rate come from the job (drawn by the grader per
    run); the grader checks the calls' order and counts and retrains the same model with the
    correct loop in its own process to compare the weights.
    """
    from lrcourse.trace import SchedulerSpec, build_scheduler

    ran = _namespace(job["source"], prepared)
    if ran.namespace is None:
        return {"error": ran.error}
    ns = ran.namespace
    train = ns.get(job["entry"])
    if not callable(train):
        return {"error": f"your code does not define a function `{job['entry']}`"}
    seed, lr = int(job.get("seed", 0)), float(job.get("lr", 0.1))
    model, real_optimizer = loop_model(seed, lr)
    recorder = _Recorder(model, loop_batches(seed, job["batches"]))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scheduler = build_scheduler(
            real_optimizer, SchedulerSpec(job["scheduler"], job["scheduler_params"])
        )
        try:
            train(
                model,
                RecordingOptimizer(real_optimizer, recorder),
                RecordingScheduler(scheduler, recorder),
                RecordingLoader(recorder.data, recorder.position),
                _recording_loss(recorder),
                job["epochs"],
            )
            error = None
        except BaseException as raised:
            error = f"your loop raised {describe_error(raised)}"
    return {
        "events": recorder.events,
        "warnings": [f"{w.category.__name__}: {w.message}" for w in caught],
        "loop_error": error,
        "weights": loop_weights(model),
    }


def run_job(job: dict[str, Any], prepared: Prepared | None = None) -> dict[str, Any]:
    """Return the observations of one job: ``kind`` ``"code"`` or ``"loop"``.

    ``prepared`` is the learner's code already run by :func:`prepare` (else it runs here).
    """
    if job["kind"] == "code":
        return observe_code(job["source"], job["entry"], job["checks"], prepared)
    return observe_loop(job, prepared)


def main(argv: list[str]) -> int:
    """Read the job in ``argv[0]``, write observations to ``argv[1]``; the exit code is 0."""
    with open(argv[0], encoding="utf-8") as handle:
        job = json.load(handle)
    if job.get("cpu_seconds"):
        import resource

        limit = int(job["cpu_seconds"])
        resource.setrlimit(resource.RLIMIT_CPU, (limit, limit + 1))
    result = run_job(job)
    with open(argv[1], "w", encoding="utf-8") as handle:
        json.dump(result, handle)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
