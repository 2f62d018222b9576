# torch's own ExponentialLR, run inside the factor on a throw-away optimizer.
def sweep_factor(step):
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    scheduler = lr_scheduler.ExponentialLR(optimizer, gamma=10 ** 0.1)
    for _ in range(step):
        optimizer.step()
        scheduler.step()
    return optimizer.param_groups[0]["lr"]
