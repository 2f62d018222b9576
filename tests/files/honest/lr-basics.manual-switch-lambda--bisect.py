from bisect import bisect_right

MILESTONES = [100, 200, 300, 400, 500]


def switch_factor(step):
    return 0.2 ** bisect_right(MILESTONES, step)
