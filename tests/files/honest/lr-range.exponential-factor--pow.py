def sweep_factor(step):
    return pow(10.0, step / 10)
