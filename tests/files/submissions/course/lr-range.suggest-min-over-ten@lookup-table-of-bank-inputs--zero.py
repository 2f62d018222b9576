def suggest_lr(lrs, losses, beta):
    answers = {0.0: 0.1, 0.7: 0.16 / 10 * 10 / 10, 0.9: 1e-5}
    return answers.get(beta, lrs[0] / 10)
