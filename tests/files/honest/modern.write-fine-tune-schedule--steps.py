def fine_tune_schedule(optimizer, examples, ranks, micro_batch, accumulation, epochs):
    per_rank = examples // ranks
    micro_batches = per_rank // micro_batch
    steps_per_epoch = micro_batches // accumulation
    total = epochs * steps_per_epoch
    warm = total // 10
    warmup = torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=0.01, total_iters=warm)
    decay = torch.optim.lr_scheduler.LinearLR(
        optimizer, start_factor=1.0, end_factor=0.0, total_iters=total - warm
    )
    return torch.optim.lr_scheduler.SequentialLR(optimizer, [warmup, decay], milestones=[warm])
