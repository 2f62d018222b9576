class WarmupCosine(LRScheduler):
    def __init__(self, optimizer, warmup_steps, total_steps, start_factor=0.1):
        self.inner = CosineAnnealingLR(optimizer, T_max=total_steps - warmup_steps)
        super().__init__(optimizer)

    def get_lr(self):
        return [g["lr"] for g in self.optimizer.param_groups]
