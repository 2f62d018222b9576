"""Choose the device a training demo runs on: cuda, then mps, then cpu, unless told otherwise."""

from __future__ import annotations

import os

import torch

from lrcourse.errors import DeviceError

#: The environment variable that overrides the automatic choice (e.g. ``LRCOURSE_DEVICE=cpu``).
DEVICE_ENV_VAR = "LRCOURSE_DEVICE"

#: Device types a learner may name, in the order :func:`pick_device` tries them.
DEVICE_CHOICES: tuple[str, ...] = ("cuda", "mps", "cpu")


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def available_devices() -> tuple[str, ...]:
    """Return the device types that work on this machine, best first (``cpu`` is always there)."""
    found = []
    if torch.cuda.is_available():
        found.append("cuda")
    if _mps_available():
        found.append("mps")
    found.append("cpu")
    return tuple(found)


def pick_device(override: str | torch.device | None = None) -> torch.device:
    """Return the device to train on: ``override``, else ``$LRCOURSE_DEVICE``, else cuda, mps, cpu.

    ``override`` may be ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"`` or a ``torch.device``. A name
    torch does not know, or a device this machine does not have, raises :class:`DeviceError`
    naming the valid choices, before any training starts.
    """
    source = "device"
    if override is None:
        override = os.environ.get(DEVICE_ENV_VAR) or None
        source = DEVICE_ENV_VAR
    if override is None:
        return torch.device(available_devices()[0])
    here = available_devices()
    try:
        device = torch.device(override)
    except (RuntimeError, TypeError, ValueError):
        raise DeviceError(
            f"{source}={override!r} is not a device name. Valid choices: "
            f"{', '.join(DEVICE_CHOICES)} (optionally with an index, e.g. 'cuda:0'); "
            f"available here: {', '.join(here)}."
        ) from None
    if device.type not in DEVICE_CHOICES:
        raise DeviceError(
            f"{source}={override!r}: lrcourse trains on {', '.join(DEVICE_CHOICES)} only; "
            f"available here: {', '.join(here)}."
        )
    if device.type not in here:
        raise DeviceError(
            f"{source}={override!r}: this machine has no {device.type} device. "
            f"Available here: {', '.join(here)}."
        )
    if device.type == "cuda" and device.index is not None:
        count = torch.cuda.device_count()
        if device.index >= count:
            raise DeviceError(
                f"{source}={override!r}: there are {count} cuda device(s), "
                f"numbered 0 to {count - 1}."
            )
    return device
