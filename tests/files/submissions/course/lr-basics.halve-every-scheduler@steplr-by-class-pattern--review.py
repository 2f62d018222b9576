# torch's StepLR read by a class pattern (an attribute look-up that no attribute node shows),
# used behind a class of one's own: neither the class's name nor its bases show it.
match torch.optim.lr_scheduler:
    case object(StepLR=_TORCHS):
        pass


class HalveEvery(torch.optim.lr_scheduler.LRScheduler):
    def __init__(self, optimizer, every, last_epoch=-1):
        self.every = every
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        weight = torch.zeros(1, requires_grad=True)
        shadow_optimizer = torch.optim.SGD([weight], lr=1.0)
        shadow = _TORCHS(shadow_optimizer, self.every, 0.5)
        for _ in range(max(self.last_epoch, 0)):
            shadow_optimizer.step()
            shadow.step()
        return [base_lr * shadow.get_last_lr()[0] for base_lr in self.base_lrs]
