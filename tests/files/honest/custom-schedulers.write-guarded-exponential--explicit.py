class MyExponential(LRScheduler):
    def __init__(self, optimizer, gamma):
        self.gamma = gamma
        super().__init__(optimizer)

    def get_lr(self):
        current = [group["lr"] for group in self.optimizer.param_groups]
        if self.last_epoch == 0:
            return current
        return [lr * self.gamma for lr in current]

    def _get_closed_form_lr(self):
        return [base * self.gamma ** self.last_epoch for base in self.base_lrs]
