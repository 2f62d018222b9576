"""A scheduler that logs its rate with get_lr() inside step(): torch warns to use get_last_lr()."""

from torch.optim.lr_scheduler import ExponentialLR


class LoggingExponential(ExponentialLR):
    def step(self):
        super().step()
        self.logged = [float(rate) for rate in self.get_lr()]


def make_scheduler(optimizer):
    return LoggingExponential(optimizer, gamma=0.9)
