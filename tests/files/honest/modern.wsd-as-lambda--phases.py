def wsd_factor(step):
    warm, stable_end, cool_end = 3, 8, 12
    if step < warm:
        return 0.1 + 0.9 * (step / warm)
    elif step < stable_end:
        return 1.0
    elif step < cool_end:
        return 1.0 - (step - stable_end) / (cool_end - stable_end)
    else:
        return 0.0
