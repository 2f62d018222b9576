import math


class MyExponential(LRScheduler):
    def __init__(self, optimizer, gamma):
        self.gamma = float(gamma)
        super().__init__(optimizer)

    def get_lr(self):
        groups = self.optimizer.param_groups
        scale = 1.0 if self.last_epoch == 0 else self.gamma
        return [g["lr"] * scale for g in groups]

    def _get_closed_form_lr(self):
        return [b * math.pow(self.gamma, self.last_epoch) for b in self.base_lrs]
