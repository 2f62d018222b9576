def weight_after(w0, curvature, lr, steps):
    w = w0
    for step in range(steps):
        grad = curvature * w
        w -= lr * grad
    return w
