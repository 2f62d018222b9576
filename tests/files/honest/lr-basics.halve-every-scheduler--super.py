from torch.optim.lr_scheduler import LRScheduler


class HalveEvery(LRScheduler):
    def __init__(self, optimizer, every, last_epoch=-1):
        self.every = every
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        halvings = self.last_epoch // self.every
        return [base_lr / 2 ** halvings for base_lr in self.base_lrs]
