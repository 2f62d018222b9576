"""A correct warm-up + cosine scheduler: chainable-free get_lr, a closed form, nothing hidden."""

import math

from torch.optim.lr_scheduler import LRScheduler


class WarmupCosine(LRScheduler):
    def __init__(self, optimizer, warmup_steps, total_steps, start_factor=0.1, eta_min=0.0):
        self.warmup_steps = warmup_steps
        self.total_steps = total_steps
        self.start_factor = start_factor
        self.eta_min = eta_min
        super().__init__(optimizer)

    def _rate(self, base_lr):
        t = self.last_epoch
        if t < self.warmup_steps:
            return base_lr * (self.start_factor + (1 - self.start_factor) * t / self.warmup_steps)
        progress = (t - self.warmup_steps) / (self.total_steps - self.warmup_steps)
        return self.eta_min + (base_lr - self.eta_min) * (1 + math.cos(math.pi * progress)) / 2

    def get_lr(self):
        return [self._rate(base_lr) for base_lr in self.base_lrs]

    def _get_closed_form_lr(self):
        return [self._rate(base_lr) for base_lr in self.base_lrs]


def make_scheduler(optimizer):
    return WarmupCosine(optimizer, warmup_steps=4, total_steps=20, start_factor=0.1)
