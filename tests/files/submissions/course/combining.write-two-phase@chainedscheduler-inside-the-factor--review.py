# torch's own ChainedScheduler, run inside the factor on a throw-away optimizer.
def two_phase(epoch):
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    scheduler = lr_scheduler.ChainedScheduler(
        [
            lr_scheduler.MultiStepLR(optimizer, milestones=[5, 10, 15], gamma=0.5),
            lr_scheduler.MultiplicativeLR(optimizer, lambda e: 0.9 if e >= 20 else 1.0),
        ]
    )
    for _ in range(epoch):
        optimizer.step()
        scheduler.step()
    return optimizer.param_groups[0]["lr"]
