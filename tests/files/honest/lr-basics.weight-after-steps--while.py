def weight_after(w0, curvature, lr, steps):
    w, n = w0, 0
    while n < steps:
        w = w * (1.0 - lr * curvature)
        n += 1
    return w
