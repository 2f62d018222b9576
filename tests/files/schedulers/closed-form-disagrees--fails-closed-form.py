"""Exponential decay whose chainable get_lr forgets that the constructor already calls step() once.

The constructor's step runs get_lr with last_epoch=0 and multiplies by gamma right away, so the
recursive rates are base * gamma**(t + 1) while the closed form says base * gamma**t.
"""

from torch.optim.lr_scheduler import LRScheduler


class EagerExponential(LRScheduler):
    def __init__(self, optimizer, gamma):
        self.gamma = gamma
        super().__init__(optimizer)

    def get_lr(self):
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self):
        return [base_lr * self.gamma**self.last_epoch for base_lr in self.base_lrs]


def make_scheduler(optimizer):
    return EagerExponential(optimizer, gamma=0.8)
