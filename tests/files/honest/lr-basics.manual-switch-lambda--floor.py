import math


def switch_factor(step):
    return 0.2 ** math.floor(step / 100)
