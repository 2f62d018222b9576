"""Step decay written for one param group: every group gets group 0's rate."""

from torch.optim.lr_scheduler import LRScheduler


class OneGroupStep(LRScheduler):
    def __init__(self, optimizer, step_size, gamma=0.5):
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer)

    def get_lr(self):
        rate = self.base_lrs[0] * self.gamma ** (self.last_epoch // self.step_size)
        return [rate for _ in self.optimizer.param_groups]

    def _get_closed_form_lr(self):
        return self.get_lr()


def make_scheduler(optimizer):
    return OneGroupStep(optimizer, step_size=3)
