HALVE_EVERY = 5
SWITCH = 20
DECAY = 0.9


def two_phase(epoch):
    if epoch < SWITCH:
        return 0.5 ** (epoch // HALVE_EVERY)
    at_switch = 0.5 ** ((SWITCH - 1) // HALVE_EVERY)
    return at_switch * DECAY ** (epoch - SWITCH + 1)
