class HalveEvery(LRScheduler):
    """Halve every group's rate each `every` epochs."""

    def __init__(self, optimizer, every, last_epoch=-1):
        self.every = every
        super(HalveEvery, self).__init__(optimizer, last_epoch)

    def _factor(self):
        return 0.5 ** (self.last_epoch // self.every)

    def get_lr(self):
        factor = self._factor()
        rates = []
        for base in self.base_lrs:
            rates.append(base * factor)
        return rates
