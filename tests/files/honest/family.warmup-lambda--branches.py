def warmup(epoch):
    if epoch >= 5:
        return 1.0
    return 0.1 + (1.0 - 0.1) * epoch / 5
