def weight_after(w0, curvature, lr, steps):
    if steps == 0:
        return w0
    return weight_after(w0 - lr * curvature * w0, curvature, lr, steps - 1)
