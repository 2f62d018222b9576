"""Facts the quiz tests compute with plain torch, apart from the bank's own snippets."""

from __future__ import annotations

import torch


def exponential_sweep_printout() -> str:
    """What lr-range.exponentiallr-sweep's snippet prints, from a plain torch loop."""
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1e-3)
    scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=10.0)
    rates = []
    for _ in range(4):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return str([f"{rate:.0e}" for rate in rates])
