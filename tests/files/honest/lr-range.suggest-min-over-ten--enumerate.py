def suggest_lr(lrs, losses, beta):
    best_index, best_value = 0, None
    average = losses[0]
    for index, loss in enumerate(losses):
        if index > 0:
            average = beta * average + (1 - beta) * loss
        if best_value is None or average < best_value:
            best_index, best_value = index, average
    return lrs[best_index] / 10
