def make_one_cycle(optimizer):
    total_steps = 5 * (48 // 4)
    return OneCycleLR(optimizer, max_lr=0.5, total_steps=total_steps)
