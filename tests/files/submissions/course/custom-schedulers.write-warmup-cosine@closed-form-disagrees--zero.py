import math


class WarmupCosine(LRScheduler):
    def __init__(self, optimizer, warmup_steps, total_steps, start_factor=0.1):
        self.warmup_steps = warmup_steps
        self.total_steps = total_steps
        self.start_factor = start_factor
        super().__init__(optimizer)

    def _rate(self, base_lr, t):
        if t < self.warmup_steps:
            return base_lr * (self.start_factor + (1 - self.start_factor) * t / self.warmup_steps)
        progress = (t - self.warmup_steps) / (self.total_steps - self.warmup_steps)
        return base_lr * (1 + math.cos(math.pi * progress)) / 2

    def get_lr(self):
        return [self._rate(b, self.last_epoch) for b in self.base_lrs]

    def _get_closed_form_lr(self):
        return [self._rate(b, self.last_epoch + 1) for b in self.base_lrs]
