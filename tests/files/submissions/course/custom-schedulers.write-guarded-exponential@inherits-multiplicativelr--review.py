# torch's own MultiplicativeLR does the chainable step and its guard; only the closed form is new.
class MyExponential(lr_scheduler.MultiplicativeLR):
    def __init__(self, optimizer, gamma):
        self.gamma = gamma
        super().__init__(optimizer, lambda epoch: gamma)

    def _get_closed_form_lr(self):
        return [base_lr * self.gamma**self.last_epoch for base_lr in self.base_lrs]
