def weight_after(w0, curvature, lr, steps):
    """Each step multiplies the weight by (1 - lr * curvature)."""
    factor = 1 - lr * curvature
    return w0 * factor ** steps
