# torch's own SequentialLR, run inside the factor on a throw-away optimizer.
def wsd_factor(step):
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    scheduler = lr_scheduler.SequentialLR(
        optimizer,
        [
            lr_scheduler.LinearLR(optimizer, start_factor=0.1, total_iters=3),
            lr_scheduler.ConstantLR(optimizer, factor=1.0, total_iters=0),
            lr_scheduler.LinearLR(optimizer, start_factor=1.0, end_factor=0.0, total_iters=4),
        ],
        milestones=[3, 8],
    )
    for _ in range(step):
        optimizer.step()
        scheduler.step()
    return optimizer.param_groups[0]["lr"]
