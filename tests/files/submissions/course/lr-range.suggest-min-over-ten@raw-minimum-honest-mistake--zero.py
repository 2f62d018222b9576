def suggest_lr(lrs, losses, beta):
    return lrs[losses.index(min(losses))] / 10
