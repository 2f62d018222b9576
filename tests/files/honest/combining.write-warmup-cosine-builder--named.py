from torch.optim.lr_scheduler import CosineAnnealingLR, LinearLR, SequentialLR


def warmup_cosine(optimizer, warmup_steps, total_steps):
    phases = [
        LinearLR(optimizer, start_factor=0.01, end_factor=1.0, total_iters=warmup_steps),
        CosineAnnealingLR(optimizer, T_max=total_steps - warmup_steps, eta_min=0.0),
    ]
    return SequentialLR(optimizer, schedulers=phases, milestones=[warmup_steps])
