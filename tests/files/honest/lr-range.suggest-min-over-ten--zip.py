from dataclasses import dataclass


@dataclass
class Point:
    lr: float
    smoothed: float


def suggest_lr(lrs, losses, beta):
    points, average = [], None
    for lr, loss in zip(lrs, losses):
        average = loss if average is None else beta * average + (1 - beta) * loss
        points.append(Point(lr, average))
    best = min(points, key=lambda p: p.smoothed)
    return best.lr / 10
