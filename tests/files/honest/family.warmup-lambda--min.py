START, WARMUP = 0.1, 5

def warmup(epoch):
    progress = min(epoch / WARMUP, 1.0)
    return START + (1 - START) * progress
