import math


class WarmupCosine(LRScheduler):
    def __init__(self, optimizer, warmup_steps, total_steps, start_factor=0.1):
        self.warmup_steps = warmup_steps
        self.total_steps = total_steps
        self.start_factor = start_factor
        super().__init__(optimizer)

    def _warm(self, base, t):
        fraction = t / self.warmup_steps
        return base * (self.start_factor + (1.0 - self.start_factor) * fraction)

    def _cool(self, base, t):
        span = self.total_steps - self.warmup_steps
        return 0.5 * base * (1.0 + math.cos(math.pi * (t - self.warmup_steps) / span))

    def _rates(self):
        t = self.last_epoch
        if t < self.warmup_steps:
            return [self._warm(b, t) for b in self.base_lrs]
        return [self._cool(b, t) for b in self.base_lrs]

    def get_lr(self):
        return self._rates()

    def _get_closed_form_lr(self):
        return self._rates()
