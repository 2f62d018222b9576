import operator

# torch's StepLR reached by a name built at run time, and used behind a class of one's own, so
# neither the class's name nor the built object's classes show it.
_TORCHS = operator.attrgetter("Step" + "LR")(torch.optim.lr_scheduler)


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
