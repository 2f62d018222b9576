def HalveEvery(optimizer, every, last_epoch=-1):
    return torch.optim.lr_scheduler.StepLR(optimizer, every, 0.5, last_epoch)
