"""Observe a learner's training loop: the child side of fix-the-loop labs.

:func:`observe_loop` runs the learner's ``train`` with a real model, optimizer, scheduler and
data wrapped in recording objects, and returns every call it made (where in the loop, with which
rates and gradients), the warnings torch emitted and the weights it trained.
:func:`loop_model` and :func:`loop_batches` build the same model and data on both sides of the
sandbox, so :func:`reference_training`, which the grader itself runs, trains the correct loop on
exactly what the learner's loop saw (``loops.py`` compares the two).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from typing import Any

from lrcourse.quiz.lab_namespace import Prepared, _namespace, _rates, describe_error


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
